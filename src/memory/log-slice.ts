import { messageSize, NO_HEADERS, type DeliveredRecord, type RecordHeaders } from '../records/record.js';
import type { RecordBatch } from '../records/record-batch.js';
import { packValues, type PackedValues } from '../records/packed-values.js';
import { NULL_VALUE } from './partition-log.js';

/** What a slice copies out of its log, so later appends and trims of the log cannot change it. */
export interface SliceColumns {
  topic: string;
  partition: number;
  firstOffset: number;
  timestamps: Float64Array;
  valueStarts: Uint32Array;
  /** NULL_VALUE for a tombstone. */
  valueLengths: Uint32Array;
  /** The buffer holding each record's value. */
  valueBuffers: Buffer[];
  /** Undefined: no record has a key, or headers. Keys are latin1 strings of their bytes. */
  keys: Array<string | null> | undefined;
  headerSets: RecordHeaders[] | undefined;
}

/**
 * Consecutive records of one partition as read: the daemon encodes them straight into a fetch
 * reply (values copied by runs, no object per message); in-process readers take them as records.
 */
export class LogSlice implements RecordBatch {
  readonly length: number;

  constructor(private readonly columns: SliceColumns) {
    this.length = columns.timestamps.length;
  }

  get topic(): string {
    return this.columns.topic;
  }

  get lastOffset(): number {
    return this.columns.firstOffset + this.length - 1;
  }

  offset(i: number): number {
    return this.columns.firstOffset + i;
  }

  timestamp(i: number): number {
    return this.columns.timestamps[i]!;
  }

  partition(): number {
    return this.columns.partition;
  }

  key(i: number): Buffer | null {
    const key = this.columns.keys?.[i];
    return key == null ? null : Buffer.from(key, 'latin1');
  }

  /** The key as the log holds it (a latin1 string of its bytes), for encoders that write it as it is. */
  storedKey(i: number): string | null {
    return this.columns.keys?.[i] ?? null;
  }

  headers(i: number): RecordHeaders {
    return this.columns.headerSets?.[i] ?? NO_HEADERS;
  }

  size(i: number): number {
    return messageSize(this.key(i), this.value(i), this.headers(i));
  }

  value(i: number): Buffer | null {
    const length = this.columns.valueLengths[i]!;
    if (length === NULL_VALUE) return null;
    const start = this.columns.valueStarts[i]!;
    return this.columns.valueBuffers[i]!.subarray(start, start + length);
  }

  valueLength(i: number): number {
    const length = this.columns.valueLengths[i]!;
    return length === NULL_VALUE ? -1 : length;
  }

  /** Messages stored back to back in a chunk go out as one run. */
  packedValues(): PackedValues {
    const { valueBuffers, valueStarts } = this.columns;
    return packValues(
      this.length,
      (i) => valueBuffers[i]!.buffer,
      (i) => valueBuffers[i]!.byteOffset + valueStarts[i]!,
      (i) => Math.max(this.valueLength(i), 0),
    );
  }

  /** As delivered to readers; values are views into the log's storage. */
  toRecords(): DeliveredRecord[] {
    const records: DeliveredRecord[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) {
      records[i] = {
        topic: this.columns.topic,
        partition: this.columns.partition,
        offset: this.offset(i),
        timestamp: this.timestamp(i),
        key: this.key(i),
        headers: this.headers(i),
        value: this.value(i),
      };
    }
    return records;
  }
}

/** Records of one partition, as the broker reads them. */
export interface PartitionSlice {
  partition: number;
  slice: LogSlice;
}
