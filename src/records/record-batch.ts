import { packValues, type PackedValues } from './packed-values.js';
import { messageSize, type OutgoingRecord, type RecordAck, type RecordHeaders } from './record.js';

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
  /** When the record was made (a Kafka client's CreateTime); without it the broker stamps its clock. */
  timestamp?(i: number): number;
  /**
   * The records as columns, when none of them has a key or headers (most bulk input): a store may
   * then take them column by column instead of record by record.
   */
  plain?(): PlainRecords | undefined;
}

/** Records without keys or headers, as columns (RecordBatch.plain). */
export interface PlainRecords {
  /** Each value's length, -1 for a tombstone; value i is at packedValues().starts[i]. */
  valueLengths: Int32Array;
  /** Each record's own timestamp, when they have one (timestamp()). */
  timestamps?: Float64Array;
}

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

/**
 * A send's acks as runs of consecutive offsets in one partition: [partition, first offset, count].
 * The runs cover the batch's records in their order, so a million messages in one partition are
 * acknowledged by a few runs instead of a million objects.
 */
export type AckRun = [number, number, number];

/** One ack per record sent, from the runs. */
export function expandAcks(runs: readonly AckRun[]): RecordAck[] {
  const acks: RecordAck[] = [];
  for (const [partition, first, count] of runs) {
    for (let offset = first; offset < first + count; offset++) acks.push({ partition, offset });
  }
  return acks;
}

/** The runs of records each stored at (partitions[i], offsets[i]), in record order. */
export function ackRuns(partitions: ArrayLike<number>, offsets: ArrayLike<number>, count = partitions.length): AckRun[] {
  const runs: AckRun[] = [];
  let run: AckRun | undefined;
  for (let i = 0; i < count; i++) {
    const partition = partitions[i]!;
    const offset = offsets[i]!;
    if (run !== undefined && run[0] === partition && run[1] + run[2] === offset) run[2]++;
    else runs.push((run = [partition, offset, 1]));
  }
  return runs;
}

/** How many records the runs acknowledge. */
export function ackedCount(runs: readonly AckRun[]): number {
  let count = 0;
  for (const run of runs) count += run[2];
  return count;
}
