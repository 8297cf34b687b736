import { messageSize } from '../pubsub/limits.js';
import { packValues, type PackedValues, type RecordBatch } from '../pubsub/record-batch.js';
import type { Headers } from '../pubsub/types.js';

/**
 * A batch of `zps publish` messages held as ranges of the buffers their lines were read into: a
 * million stdin lines make a thousand batches, not a million objects. Headers and partition are
 * the same for every message; keys may differ (--key-delimiter).
 */
export class LineBatch implements RecordBatch {
  length = 0;
  /** Value bytes held. */
  bytes = 0;
  /** Line or argument numbers of the first and last message. */
  first = 0;
  last = 0;
  private readonly sources: Buffer[] = [];
  private readonly sourceOf: number[] = [];
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly keys: Array<string | null> = [];
  private readonly headerBytes: number;

  constructor(
    private readonly fixedHeaders: Headers,
    private readonly fixedPartition: number | undefined,
  ) {
    this.headerBytes = messageSize(null, new Uint8Array(0), fixedHeaders);
  }

  /** What the message size limit counts for a value of `valueLength` bytes under `key`. */
  messageSize(key: string | null, valueLength: number): number {
    return this.headerBytes + (key === null ? 0 : Buffer.byteLength(key)) + valueLength;
  }

  /** Adds bytes [start, end) of `source` as the value of the message from `position`. */
  add(source: Buffer, start: number, end: number, key: string | null, position: number): void {
    if (this.sources[this.sources.length - 1] !== source) this.sources.push(source);
    this.sourceOf.push(this.sources.length - 1);
    this.starts.push(start);
    this.ends.push(end);
    this.keys.push(key);
    this.bytes += end - start;
    if (this.length++ === 0) this.first = position;
    this.last = position;
  }

  partition(): number | undefined {
    return this.fixedPartition;
  }

  key(i: number): string | null {
    return this.keys[i]!;
  }

  headers(): Headers {
    return this.fixedHeaders;
  }

  size(i: number): number {
    return this.messageSize(this.keys[i]!, this.valueLength(i));
  }

  value(i: number): Buffer {
    return this.sources[this.sourceOf[i]!]!.subarray(this.starts[i]!, this.ends[i]!);
  }

  valueLength(i: number): number {
    return this.ends[i]! - this.starts[i]!;
  }

  /** The lines of a stdin chunk lie back to back: they are copied as one run. */
  packedValues(): PackedValues {
    const source = (i: number) => this.sources[this.sourceOf[i]!]!;
    return packValues(
      this.length,
      (i) => source(i).buffer,
      (i) => source(i).byteOffset + this.starts[i]!,
      (i) => this.ends[i]! - this.starts[i]!,
    );
  }
}
