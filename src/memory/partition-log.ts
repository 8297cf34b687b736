import type { Headers } from '../pubsub/types.js';

export interface StoredRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: Buffer;
  headers: Headers;
  /** Bytes charged against the memory cap and byte retention. */
  size: number;
}

/** Per-record bookkeeping charged on top of key, value and headers, so the cap tracks real memory. */
export const RECORD_OVERHEAD_BYTES = 96;

/** One partition: an append-only log whose offsets never go back, trimmed only at the front. */
export class PartitionLog {
  private records: StoredRecord[] = [];
  /** Index in `records` of the first live record; the front is compacted lazily. */
  private head = 0;
  private nextOffset = 0;
  bytes = 0;

  get startOffset(): number {
    return this.head < this.records.length ? this.records[this.head]!.offset : this.nextOffset;
  }

  get endOffset(): number {
    return this.nextOffset;
  }

  get count(): number {
    return this.records.length - this.head;
  }

  append(timestamp: number, key: string | null, value: Buffer, headers: Headers, size: number): number {
    const offset = this.nextOffset++;
    this.records.push({ offset, timestamp, key, value, headers, size });
    this.bytes += size;
    return offset;
  }

  /** Records from `offset` on (clamped to the start), at most `maxRecords` and about `maxBytes`. */
  read(offset: number, maxRecords: number, maxBytes: number): StoredRecord[] {
    const from = Math.max(offset, this.startOffset);
    let index = this.head + (from - this.startOffset);
    const out: StoredRecord[] = [];
    let bytes = 0;
    while (index < this.records.length && out.length < maxRecords && (bytes < maxBytes || out.length === 0)) {
      const record = this.records[index++]!;
      out.push(record);
      bytes += record.size;
    }
    return out;
  }

  /** Drops the oldest records until both limits hold; returns the bytes freed. */
  trim(maxMessages: number, maxBytes: number): number {
    let freed = 0;
    while (this.count > 0 && (this.count > maxMessages || this.bytes > maxBytes)) {
      const record = this.records[this.head]!;
      this.records[this.head++] = undefined as unknown as StoredRecord;
      this.bytes -= record.size;
      freed += record.size;
    }
    if (this.head > 1024 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
    return freed;
  }
}
