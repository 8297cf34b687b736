import type { Headers } from '../pubsub/types.js';

/** A record as read back: its value is a view into the log's storage. */
export interface StoredRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: Buffer;
  headers: Headers;
}

/** Per-record bookkeeping charged on top of key, value and headers, so the cap tracks real memory. */
export const RECORD_OVERHEAD_BYTES = 96;

/**
 * Values are copied into chunks, so no per-message Buffer object stays alive. Chunks start small
 * (a topic with a few messages stays small) and double up to the largest size.
 */
const FIRST_CHUNK_BYTES = 4 * 1024;
const CHUNK_BYTES = 1024 * 1024;

const NO_HEADERS: Headers = Object.freeze({}) as Headers;

/** What the log keeps per message: a small object; the value lives in a shared chunk. */
interface Entry {
  timestamp: number;
  key: string | null;
  headers: Headers;
  chunk: Buffer;
  start: number;
  length: number;
  /** Bytes charged against the memory cap and byte retention. */
  size: number;
}

/** One partition: an append-only log whose offsets never go back, trimmed only at the front. */
export class PartitionLog {
  private entries: Entry[] = [];
  /** Index in `entries` of the first live record; the front is compacted lazily. */
  private head = 0;
  private nextOffset = 0;
  private chunk = Buffer.allocUnsafeSlow(0);
  private chunkUsed = 0;
  bytes = 0;

  get startOffset(): number {
    return this.nextOffset - this.count;
  }

  get endOffset(): number {
    return this.nextOffset;
  }

  get count(): number {
    return this.entries.length - this.head;
  }

  append(timestamp: number, key: string | null, value: Buffer, headers: Headers, size: number): number {
    const { chunk, start } = this.store(value);
    this.entries.push({
      timestamp,
      key,
      headers: isEmpty(headers) ? NO_HEADERS : headers,
      chunk,
      start,
      length: value.byteLength,
      size,
    });
    this.bytes += size;
    return this.nextOffset++;
  }

  /** Records from `offset` on (clamped to the start), at most `maxRecords` and about `maxBytes`. */
  read(offset: number, maxRecords: number, maxBytes: number): StoredRecord[] {
    const startOffset = this.startOffset;
    const from = Math.max(offset, startOffset);
    let index = this.head + (from - startOffset);
    const out: StoredRecord[] = [];
    let bytes = 0;
    while (index < this.entries.length && out.length < maxRecords && (bytes < maxBytes || out.length === 0)) {
      const entry = this.entries[index]!;
      out.push({
        offset: startOffset + (index - this.head),
        timestamp: entry.timestamp,
        key: entry.key,
        value: entry.chunk.subarray(entry.start, entry.start + entry.length),
        headers: entry.headers,
      });
      bytes += entry.size;
      index++;
    }
    return out;
  }

  /** Drops the oldest records until both limits hold; returns the bytes freed. */
  trim(maxMessages: number, maxBytes: number): number {
    let freed = 0;
    while (this.count > 0 && (this.count > maxMessages || this.bytes > maxBytes)) {
      const entry = this.entries[this.head]!;
      this.entries[this.head++] = undefined as unknown as Entry;
      this.bytes -= entry.size;
      freed += entry.size;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    return freed;
  }

  /** Copies the value into the current chunk (a large value gets a buffer of its own). */
  private store(value: Buffer): { chunk: Buffer; start: number } {
    if (value.byteLength > CHUNK_BYTES / 4) return { chunk: Buffer.from(value), start: 0 };
    if (this.chunkUsed + value.byteLength > this.chunk.byteLength) {
      const size = Math.min(CHUNK_BYTES, Math.max(FIRST_CHUNK_BYTES, this.chunk.byteLength * 2, value.byteLength));
      this.chunk = Buffer.allocUnsafeSlow(size);
      this.chunkUsed = 0;
    }
    const start = this.chunkUsed;
    value.copy(this.chunk, start);
    this.chunkUsed += value.byteLength;
    return { chunk: this.chunk, start };
  }
}

function isEmpty(headers: Headers): boolean {
  for (const _ in headers) return false;
  return true;
}
