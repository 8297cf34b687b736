import type { DeliveredRecord, Headers } from '../pubsub/types.js';
import { NO_HEADERS, type RecordBatch } from '../pubsub/record-batch.js';

/** Per-record bookkeeping charged on top of key, value and headers, so the cap tracks real memory. */
export const RECORD_OVERHEAD_BYTES = 96;

/**
 * Values are copied into chunks, so no per-message Buffer object stays alive. Chunks start small
 * (a topic with a few messages stays small) and double up to the largest size; a value larger
 * than a quarter of that gets a chunk of its own.
 */
const FIRST_CHUNK_BYTES = 4 * 1024;
const CHUNK_BYTES = 1024 * 1024;
const FIRST_CAPACITY = 16;

interface Chunk {
  readonly id: number;
  readonly buffer: Buffer;
  used: number;
  /** Live records with their value in this chunk: at 0 (and not the current chunk) it is freed. */
  live: number;
}

/**
 * One partition: an append-only log whose offsets never go back, trimmed only at the front.
 * Records are stored column by column, in typed arrays for the numbers, so a message costs a few
 * dozen bytes besides its value and appending one allocates nothing.
 */
export class PartitionLog {
  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  /** Offset of slot 0; slots before `head` were trimmed, and are dropped when the columns move. */
  private slotBase = 0;
  private head = 0;
  private tail = 0;
  private timestamps = new Float64Array(0);
  private valueStarts = new Uint32Array(0);
  private valueLengths = new Uint32Array(0);
  private chunkIds = new Uint32Array(0);
  /** Bytes charged against the memory cap and byte retention. */
  private sizes = new Uint32Array(0);
  private keys: Array<string | null> = [];
  private headerSets: Headers[] = [];
  private readonly chunks = new Map<number, Chunk>();
  private current: Chunk | undefined;
  private nextChunkId = 0;
  bytes = 0;

  get startOffset(): number {
    return this.slotBase + this.head;
  }

  get endOffset(): number {
    return this.slotBase + this.tail;
  }

  get count(): number {
    return this.tail - this.head;
  }

  /** Appends record `index` of `batch` (its value copied in); returns its offset. */
  append(timestamp: number, key: string | null, headers: Headers, size: number, batch: RecordBatch, index: number): number {
    if (this.tail === this.timestamps.length) this.makeRoom();
    const slot = this.tail++;
    this.timestamps[slot] = timestamp;
    this.sizes[slot] = size;
    this.keys.push(key);
    this.headerSets.push(isEmpty(headers) ? NO_HEADERS : headers);
    this.store(slot, batch, index);
    this.bytes += size;
    return this.slotBase + slot;
  }

  /**
   * Records from `offset` on (clamped to the start), at most `maxRecords` and about `maxBytes`,
   * as delivered to readers; values are views into the log's storage.
   */
  read(offset: number, maxRecords: number, maxBytes: number): DeliveredRecord[] {
    const out: DeliveredRecord[] = [];
    let bytes = 0;
    let chunk: Chunk | undefined;
    for (let slot = Math.max(offset - this.slotBase, this.head); slot < this.tail; slot++) {
      if (out.length >= maxRecords || (bytes >= maxBytes && out.length > 0)) break;
      if (chunk?.id !== this.chunkIds[slot]) chunk = this.chunks.get(this.chunkIds[slot]!)!;
      const start = this.valueStarts[slot]!;
      out.push({
        topic: this.topic,
        partition: this.partition,
        offset: this.slotBase + slot,
        timestamp: this.timestamps[slot]!,
        key: this.keys[slot]!,
        headers: this.headerSets[slot]!,
        value: chunk.buffer.subarray(start, start + this.valueLengths[slot]!),
      });
      bytes += this.sizes[slot]!;
    }
    return out;
  }

  /** Drops the oldest records until both limits hold; returns the bytes freed. */
  trim(maxMessages: number, maxBytes: number): number {
    let freed = 0;
    while (this.count > 0 && (this.count > maxMessages || this.bytes > maxBytes)) {
      const slot = this.head++;
      const size = this.sizes[slot]!;
      this.bytes -= size;
      freed += size;
      this.keys[slot] = null;
      this.headerSets[slot] = NO_HEADERS;
      const chunk = this.chunks.get(this.chunkIds[slot]!)!;
      if (--chunk.live === 0 && chunk !== this.current) this.chunks.delete(chunk.id);
    }
    return freed;
  }

  /** Copies the value into the current chunk, or one of its own, and notes where it went. */
  private store(slot: number, batch: RecordBatch, index: number): void {
    const length = batch.valueLength(index);
    let chunk = this.current;
    if (length > CHUNK_BYTES / 4) chunk = this.newChunk(length);
    else if (!chunk || chunk.used + length > chunk.buffer.byteLength) {
      if (chunk && chunk.live === 0) this.chunks.delete(chunk.id);
      chunk = this.current = this.newChunk(Math.min(CHUNK_BYTES, Math.max(FIRST_CHUNK_BYTES, (chunk?.buffer.byteLength ?? 0) * 2, length)));
    }
    batch.copyValue(index, chunk.buffer, chunk.used);
    this.valueStarts[slot] = chunk.used;
    this.valueLengths[slot] = length;
    this.chunkIds[slot] = chunk.id;
    chunk.used += length;
    chunk.live++;
  }

  private newChunk(size: number): Chunk {
    const chunk: Chunk = { id: this.nextChunkId++, buffer: Buffer.allocUnsafeSlow(size), used: 0, live: 0 };
    this.chunks.set(chunk.id, chunk);
    return chunk;
  }

  /** Moves the live slots to the front, into columns twice as long when they are more than half full. */
  private makeRoom(): void {
    const live = this.count;
    const capacity = this.timestamps.length;
    const size = live * 2 >= capacity ? Math.max(FIRST_CAPACITY, capacity * 2) : capacity;
    const { head, tail } = this;
    this.timestamps = moved(this.timestamps, head, tail, size, Float64Array);
    this.valueStarts = moved(this.valueStarts, head, tail, size, Uint32Array);
    this.valueLengths = moved(this.valueLengths, head, tail, size, Uint32Array);
    this.chunkIds = moved(this.chunkIds, head, tail, size, Uint32Array);
    this.sizes = moved(this.sizes, head, tail, size, Uint32Array);
    if (head > 0) {
      this.keys = this.keys.slice(head);
      this.headerSets = this.headerSets.slice(head);
    }
    this.slotBase += head;
    this.tail -= head;
    this.head = 0;
  }
}

type Column = Float64Array | Uint32Array;

function moved<T extends Column>(column: T, head: number, tail: number, size: number, Type: new (size: number) => T): T {
  if (size === column.length) {
    column.copyWithin(0, head, tail);
    return column;
  }
  const grown = new Type(size);
  grown.set(column.subarray(head, tail));
  return grown;
}

function isEmpty(headers: Headers): boolean {
  for (const _ in headers) return false;
  return true;
}
