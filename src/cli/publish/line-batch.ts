import { widened } from '../../wire/columns.js';
import { headerBytes, type RecordHeaders } from '../../records/record.js';
import type { PlainRecords, RecordBatch } from '../../records/record-batch.js';
import { packRanges, type PackedValues } from '../../records/packed-values.js';

/**
 * A batch of `zps publish` messages held as ranges of the buffers their lines were read into: a
 * million stdin lines make a thousand batches, not a million objects. Keys may differ
 * (--key-delimiter); headers and partition are the same for every message unless lines bring
 * their own (--from-json).
 */
/** What a message of --from-json brings of its own. */
export interface OwnFields {
  headers?: RecordHeaders;
  partition?: number;
}

export class LineBatch implements RecordBatch {
  length = 0;
  /** Value bytes held. */
  bytes = 0;
  /** Line or argument numbers of the first and last message. */
  first = 0;
  last = 0;
  private readonly sources: Buffer[] = [];
  private sourceOf: Uint32Array;
  private starts: Uint32Array;
  private ends: Uint32Array;
  /** Per message only once one is a tombstone (its range is then empty). */
  private tombstones: Uint8Array | undefined;
  /** Per message only once a key differs from the first (--key-delimiter). */
  private keys: Array<Buffer | null> | undefined;
  private firstKey: Buffer | null = null;
  /** Per message only once one brings its own (--from-json). */
  private ownHeaders: RecordHeaders[] | undefined;
  private ownPartitions: Array<number | undefined> | undefined;
  private readonly headerBytes: number;
  /** plain()'s column, as of the message count it was made at. */
  private column: PlainRecords | undefined;

  constructor(
    private readonly fixedHeaders: RecordHeaders,
    private readonly fixedPartition: number | undefined,
    capacity: number,
  ) {
    this.headerBytes = headerBytes(fixedHeaders);
    this.sourceOf = new Uint32Array(capacity);
    this.starts = new Uint32Array(capacity);
    this.ends = new Uint32Array(capacity);
  }

  /** What the message size limit counts for a value of `valueLength` bytes under `key` (and its own headers). */
  messageSize(key: Buffer | null, valueLength: number, headers?: RecordHeaders): number {
    return (headers === undefined ? this.headerBytes : headerBytes(headers)) + (key?.byteLength ?? 0) + valueLength;
  }

  /**
   * Adds bytes [start, end) of `source` as the value of the message from `position` (a tombstone:
   * no value), with its own headers and partition when it has them.
   */
  add(source: Buffer, start: number, end: number, key: Buffer | null, position: number, tombstone = false, own: OwnFields = {}): void {
    const i = this.length++;
    if (own.headers !== undefined || this.ownHeaders !== undefined)
      (this.ownHeaders ??= new Array<RecordHeaders>(i).fill(this.fixedHeaders))[i] = own.headers ?? this.fixedHeaders;
    if (own.partition !== undefined || this.ownPartitions !== undefined)
      (this.ownPartitions ??= new Array<number | undefined>(i).fill(this.fixedPartition))[i] = own.partition ?? this.fixedPartition;
    if (i === this.starts.length) this.grow();
    if (this.sources[this.sources.length - 1] !== source) this.sources.push(source);
    this.sourceOf[i] = this.sources.length - 1;
    this.starts[i] = start;
    this.ends[i] = tombstone ? start : end;
    if (tombstone) (this.tombstones ??= new Uint8Array(this.starts.length))[i] = 1;
    if (i === 0) {
      this.firstKey = key;
      this.first = position;
    } else if (this.keys !== undefined || key !== this.firstKey) {
      this.keys ??= new Array<Buffer | null>(i).fill(this.firstKey);
      this.keys.push(key);
    }
    if (!tombstone) this.bytes += end - start;
    this.last = position;
  }

  partition(i: number): number | undefined {
    return this.ownPartitions === undefined ? this.fixedPartition : this.ownPartitions[i];
  }

  key(i: number): Buffer | null {
    return this.keys === undefined ? this.firstKey : this.keys[i]!;
  }

  headers(i: number): RecordHeaders {
    return this.ownHeaders === undefined ? this.fixedHeaders : this.ownHeaders[i]!;
  }

  size(i: number): number {
    return this.messageSize(this.key(i), Math.max(this.valueLength(i), 0), this.ownHeaders?.[i]);
  }

  value(i: number): Buffer | null {
    if (this.isTombstone(i)) return null;
    return this.sources[this.sourceOf[i]!]!.subarray(this.starts[i]!, this.ends[i]!);
  }

  valueLength(i: number): number {
    return this.isTombstone(i) ? -1 : this.ends[i]! - this.starts[i]!;
  }

  private isTombstone(i: number): boolean {
    return this.tombstones !== undefined && this.tombstones[i] === 1;
  }

  /**
   * The value lengths as a column when no message has a key or headers (bulk lines): encoders then
   * skip both. Made once for every partition and batch the messages are split into (a message
   * added since makes it anew: messages are only ever appended).
   */
  plain(): PlainRecords | undefined {
    if (this.firstKey !== null || this.keys !== undefined || this.ownHeaders !== undefined || this.fixedHeaders.length > 0) return undefined;
    if (this.column?.valueLengths.length === this.length) return this.column;
    const valueLengths = new Int32Array(this.length);
    for (let i = 0; i < this.length; i++) valueLengths[i] = this.valueLength(i);
    this.column = { valueLengths };
    return this.column;
  }

  /** The lines of a stdin chunk lie back to back: they are copied as one run. */
  packedValues(): PackedValues {
    return packRanges(this.length, this.sources, this.sourceOf, this.starts, this.ends);
  }

  private grow(): void {
    const length = Math.max(16, this.starts.length * 2);
    this.sourceOf = widened(this.sourceOf, length);
    this.starts = widened(this.starts, length);
    this.ends = widened(this.ends, length);
    if (this.tombstones) this.tombstones = widened(this.tombstones, length);
  }
}
