import { messageSize } from './limits.js';
import type { OutgoingRecord, RecordAck, RecordHeaders } from './types.js';

/**
 * Records to publish, however they are held: objects (the library), ranges of the lines `zps
 * publish` read, or the bytes of a produce request as the daemon received them. Senders and the
 * broker read them through this, so bulk input never becomes an object per message.
 */
export interface RecordBatch {
  readonly length: number;
  partition(i: number): number | undefined;
  key(i: number): Buffer | null;
  headers(i: number): RecordHeaders;
  /** Value, key and header bytes: what the message size limit counts. */
  size(i: number): number;
  /** Null for a tombstone. */
  value(i: number): Buffer | null;
  /** The value's length in bytes, -1 for a tombstone. */
  valueLength(i: number): number;
  /** Every value in one buffer, copied by runs (or not at all, when they already are). */
  packedValues(): PackedValues;
}

export interface PackedValues {
  /** Value i is bytes [starts[i], starts[i] + valueLength(i)); bytes between values are not values. */
  bytes: Buffer;
  starts: Uint32Array;
}

/** Shared by every record without headers (frozen: it is handed to every reader of one). */
export const NO_HEADERS: RecordHeaders = Object.freeze([]) as RecordHeaders;

const EMPTY = Buffer.alloc(0);

export function outgoingBatch(records: readonly OutgoingRecord[]): RecordBatch {
  return {
    length: records.length,
    partition: (i) => records[i]!.partition,
    key: (i) => records[i]!.key,
    headers: (i) => records[i]!.headers,
    size: (i) => messageSize(records[i]!.key, records[i]!.value, records[i]!.headers),
    value: (i) => records[i]!.value,
    valueLength: (i) => records[i]!.value?.byteLength ?? -1,
    packedValues: () =>
      packValues(
        records.length,
        (i) => (records[i]!.value ?? EMPTY).buffer,
        (i) => (records[i]!.value ?? EMPTY).byteOffset,
        (i) => records[i]!.value?.byteLength ?? 0,
      ),
  };
}

/** Bytes between two values that are copied along rather than starting a new run (a newline, say). */
const MAX_GAP = 16;

/**
 * Packs values into one buffer with one copy per run of values lying (nearly) back to back in
 * memory: the lines of one stdin chunk, the messages of one log chunk. Value i is `length(i)`
 * bytes at byte `offset(i)` of `buffer(i)` (a tombstone: 0 bytes).
 */
export function packValues(
  count: number,
  buffer: (i: number) => ArrayBufferLike,
  offset: (i: number) => number,
  length: (i: number) => number,
): PackedValues {
  const starts = new Uint32Array(count);
  const runs: Array<{ buffer: ArrayBufferLike; from: number; to: number; at: number }> = [];
  let run: (typeof runs)[number] | undefined;
  let size = 0;
  for (let i = 0; i < count; i++) {
    const from = offset(i);
    const to = from + length(i);
    if (run !== undefined && run.buffer === buffer(i) && from >= run.to && from - run.to <= MAX_GAP) {
      size += to - run.to;
      run.to = to;
    } else {
      runs.push((run = { buffer: buffer(i), from, to, at: size }));
      size += to - from;
    }
    starts[i] = run.at + (from - run.from);
  }
  const bytes = Buffer.allocUnsafe(size);
  for (const { buffer: source, from, to, at } of runs) bytes.set(new Uint8Array(source, from, to - from), at);
  return { bytes, starts };
}

/** A produce's acks as runs of consecutive offsets in one partition: [partition, first offset, count]. */
export type AckRun = [number, number, number];

/** One ack per record sent, from the runs. */
export function expandAcks(runs: readonly AckRun[]): RecordAck[] {
  const acks: RecordAck[] = [];
  for (const [partition, first, count] of runs) {
    for (let offset = first; offset < first + count; offset++) acks.push({ partition, offset });
  }
  return acks;
}
