import { NO_HEADERS, type RecordHeaders } from '../records/record.js';
import { widened, type Column } from '../wire/columns.js';
import type { PlainRecords, RecordBatch } from '../records/record-batch.js';
import { LogSlice } from './log-slice.js';

/** Per-record bookkeeping charged on top of key, value and headers, so the cap tracks real memory. */
export const RECORD_OVERHEAD_BYTES = 96;

/** The value length a tombstone (null value) is stored with: no real value comes near it. */
export const NULL_VALUE = 0xffffffff;

/**
 * Values are copied into chunks, so no per-message Buffer object stays alive. Chunks start small
 * (a topic with a few messages stays small) and double up to the largest size; a value larger
 * than a quarter of that gets a chunk of its own.
 */
const FIRST_CHUNK_BYTES = 4 * 1024;
const CHUNK_BYTES = 1024 * 1024;
const FIRST_CAPACITY = 16;

/** The columns of a log with no room yet, shared: a topic of many empty partitions costs little (makeRoom replaces them). */
const NO_TIMESTAMPS = new Float64Array(0);
const NO_SLOTS = new Uint32Array(0);

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
  private timestamps = NO_TIMESTAMPS;
  private valueStarts = NO_SLOTS;
  private valueLengths = NO_SLOTS;
  private chunkIds = NO_SLOTS;
  /** Bytes charged against the memory cap and byte retention. */
  private sizes = NO_SLOTS;
  /**
   * Made on the first key or headers: until then every record has none, and a log of millions
   * of keyless messages holds no array the garbage collector must walk. Keys are kept as latin1
   * strings of their bytes: one byte a character, exact for any bytes, and no Buffer object each.
   */
  private keys: Array<string | null> | undefined;
  private headerSets: RecordHeaders[] | undefined;
  private readonly chunks = new Map<number, Chunk>();
  /** Where small batches' values are copied to. */
  private current: Chunk | undefined;
  /** The last large batch's values, kept as they came. */
  private kept: Chunk | undefined;
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

  /** The first offset whose record was stored at or after `timestamp`; the end offset when none was. */
  offsetAtTime(timestamp: number): number {
    for (let slot = this.head; slot < this.tail; slot++) if (this.timestamps[slot]! >= timestamp) return this.slotBase + slot;
    return this.endOffset;
  }

  /**
   * Appends a record whose value is `length` bytes at `start` of `values` (-1: a tombstone);
   * returns its offset. With `keep`, `values` is a buffer of its own (a large batch's
   * values) that the log keeps as it is, with no copy per message; otherwise the value is copied
   * into the log's chunks.
   */
  append(timestamp: number, key: Buffer | null, headers: RecordHeaders, size: number, values: Buffer, start: number, length: number, keep: boolean): number {
    if (this.tail === this.timestamps.length) this.makeRoom(1);
    const slot = this.tail++;
    this.timestamps[slot] = timestamp;
    this.sizes[slot] = size;
    this.noteKeyAndHeaders(slot, key, headers);
    this.store(slot, values, start, length, keep);
    this.bytes += size;
    return this.slotBase + slot;
  }

  /**
   * append() for records [from, to) of `batch`, whose values lie at `starts` of `values`, a large
   * batch's buffer of its own that the log keeps as it is: room made once, the columns filled in
   * one pass; their offsets follow the log's end. `sizes`: what each record is charged; `now`: the
   * timestamp of records without their own.
   */
  appendKept(batch: RecordBatch, from: number, to: number, values: Buffer, starts: Uint32Array, sizes: Float64Array, now: number): void {
    const count = to - from;
    if (this.tail + count > this.timestamps.length) this.makeRoom(count);
    const first = this.tail;
    this.tail += count;
    const chunk = this.keptChunk(values);
    chunk.live += count;
    const plain = batch.plain?.();
    if (plain) {
      this.appendPlain(plain, from, to, first, starts, sizes, now, chunk.id);
      return;
    }
    const stamped = batch.timestamp !== undefined;
    let bytes = 0;
    for (let i = from, slot = first; i < to; i++, slot++) {
      this.timestamps[slot] = stamped ? batch.timestamp!(i) : now;
      const size = sizes[i]!;
      this.sizes[slot] = size;
      bytes += size;
      const length = batch.valueLength(i);
      this.valueStarts[slot] = starts[i]!;
      this.valueLengths[slot] = length < 0 ? NULL_VALUE : length;
      this.chunkIds[slot] = chunk.id;
      this.noteKeyAndHeaders(slot, batch.key(i), batch.headers(i));
    }
    this.bytes += bytes;
  }

  /** appendKept() of records without keys or headers: column by column, no call per record. */
  private appendPlain(
    plain: PlainRecords,
    from: number,
    to: number,
    first: number,
    starts: Uint32Array,
    sizes: Float64Array,
    now: number,
    chunkId: number,
  ): void {
    const end = first + (to - from);
    if (plain.timestamps) this.timestamps.set(plain.timestamps.subarray(from, to), first);
    else this.timestamps.fill(now, first, end);
    this.sizes.set(sizes.subarray(from, to), first);
    this.valueStarts.set(starts.subarray(from, to), first);
    this.valueLengths.set(plain.valueLengths.subarray(from, to), first); // a tombstone's -1 is NULL_VALUE as an unsigned
    this.chunkIds.fill(chunkId, first, end);
    for (let slot = first; slot < end; slot++) {
      this.bytes += this.sizes[slot]!;
      if (this.keys) this.keys.push(null);
      if (this.headerSets) this.headerSets.push(NO_HEADERS);
    }
  }

  /** Keys and headers go in arrays made at the first record that has one (see keys). */
  private noteKeyAndHeaders(slot: number, key: Buffer | null, headers: RecordHeaders): void {
    if (key !== null || this.keys) (this.keys ??= new Array<string | null>(slot).fill(null)).push(key?.toString('latin1') ?? null);
    if (headers.length > 0 || this.headerSets) {
      (this.headerSets ??= new Array<RecordHeaders>(slot).fill(NO_HEADERS)).push(headers.length === 0 ? NO_HEADERS : headers);
    }
  }

  /**
   * Records from `offset` on (clamped to the start), at most `maxRecords` and about `maxBytes`
   * (always at least one when there is one), each counted as its key, value and headers plus
   * `overheadBytes`: the reader's encoding of a record, not what it costs in memory.
   */
  slice(offset: number, maxRecords: number, maxBytes: number, overheadBytes = RECORD_OVERHEAD_BYTES): LogSlice {
    const from = Math.max(offset - this.slotBase, this.head);
    let to = from;
    let bytes = 0;
    const extra = overheadBytes - RECORD_OVERHEAD_BYTES;
    while (to < this.tail && to - from < maxRecords && (bytes < maxBytes || to === from)) bytes += this.sizes[to++]! + extra;
    const valueBuffers: Buffer[] = new Array(to - from);
    let chunk: Chunk | undefined;
    for (let slot = from; slot < to; slot++) {
      const id = this.chunkIds[slot]!;
      if (chunk?.id !== id) chunk = this.chunks.get(id)!;
      valueBuffers[slot - from] = chunk.buffer;
    }
    return new LogSlice({
      topic: this.topic,
      partition: this.partition,
      firstOffset: this.slotBase + from,
      timestamps: this.timestamps.slice(from, to),
      valueStarts: this.valueStarts.slice(from, to),
      valueLengths: this.valueLengths.slice(from, to),
      valueBuffers,
      keys: this.keys?.slice(from, to),
      headerSets: this.headerSets?.slice(from, to),
    });
  }

  /** Drops the oldest records until both limits hold; returns the bytes freed. */
  trim(maxMessages: number, maxBytes: number): number {
    let freed = 0;
    while (this.count > 0 && (this.count > maxMessages || this.bytes > maxBytes)) freed += this.dropOldest();
    return freed;
  }

  /** Drops the records stored (or stamped) before `timestamp` from the front (Kafka's retention.ms); returns the bytes freed. */
  expireBefore(timestamp: number): number {
    let freed = 0;
    while (this.count > 0 && this.timestamps[this.head]! < timestamp) freed += this.dropOldest();
    return freed;
  }

  /** Drops the records before `offset` (Kafka's DeleteRecords); returns the bytes freed. */
  deleteBefore(offset: number): number {
    let freed = 0;
    while (this.count > 0 && this.startOffset < offset) freed += this.dropOldest();
    return freed;
  }

  private dropOldest(): number {
    const slot = this.head++;
    const size = this.sizes[slot]!;
    this.bytes -= size;
    if (this.keys) this.keys[slot] = null;
    if (this.headerSets) this.headerSets[slot] = NO_HEADERS;
    const chunk = this.chunks.get(this.chunkIds[slot]!)!;
    if (--chunk.live === 0 && chunk !== this.current && chunk !== this.kept) this.chunks.delete(chunk.id);
    return size;
  }

  /** Notes where the value is: in the kept buffer, or copied into the current chunk or one of its own. */
  private store(slot: number, values: Buffer, start: number, valueLength: number, keep: boolean): void {
    const length = Math.max(valueLength, 0); // a tombstone takes no bytes
    let chunk: Chunk;
    if (keep) chunk = this.keptChunk(values);
    else {
      const current = this.current;
      if (length > CHUNK_BYTES / 4) chunk = this.newChunk(Buffer.allocUnsafeSlow(length));
      else if (!current || current.used + length > current.buffer.byteLength) {
        if (current?.live === 0) this.chunks.delete(current.id);
        const size = Math.min(CHUNK_BYTES, Math.max(FIRST_CHUNK_BYTES, (current?.buffer.byteLength ?? 0) * 2, length));
        chunk = this.current = this.newChunk(Buffer.allocUnsafeSlow(size));
      } else chunk = current;
      chunk.buffer.set(values.subarray(start, start + length), chunk.used);
      start = chunk.used;
      chunk.used += length;
    }
    this.valueStarts[slot] = start;
    this.valueLengths[slot] = valueLength < 0 ? NULL_VALUE : valueLength;
    this.chunkIds[slot] = chunk.id;
    chunk.live++;
  }

  /** The chunk of a large batch's own buffer: the last one kept, or a new one (the last freed if nothing lives in it). */
  private keptChunk(values: Buffer): Chunk {
    if (this.kept?.buffer !== values) {
      if (this.kept?.live === 0) this.chunks.delete(this.kept.id);
      this.kept = this.newChunk(values);
    }
    return this.kept;
  }

  private newChunk(buffer: Buffer): Chunk {
    const chunk: Chunk = { id: this.nextChunkId++, buffer, used: 0, live: 0 };
    this.chunks.set(chunk.id, chunk);
    return chunk;
  }

  /**
   * Makes room for `extra` more slots: moves the live slots to the front, into columns twice as
   * long (or as long as needed) when they would be more than half full.
   */
  private makeRoom(extra: number): void {
    const live = this.count;
    const capacity = this.timestamps.length;
    const needed = live + extra;
    const size = needed * 2 > capacity + 1 ? Math.max(FIRST_CAPACITY, capacity * 2, needed) : capacity;
    const { head, tail } = this;
    this.timestamps = moved(this.timestamps, head, tail, size);
    this.valueStarts = moved(this.valueStarts, head, tail, size);
    this.valueLengths = moved(this.valueLengths, head, tail, size);
    this.chunkIds = moved(this.chunkIds, head, tail, size);
    this.sizes = moved(this.sizes, head, tail, size);
    if (head > 0) {
      this.keys = this.keys?.slice(head);
      this.headerSets = this.headerSets?.slice(head);
    }
    this.slotBase += head;
    this.tail -= head;
    this.head = 0;
  }
}

/** The column's live slots [head, tail) moved to the front: in place, or into `size` slots. */
function moved<T extends Column>(column: T, head: number, tail: number, size: number): T {
  if (size === column.length) {
    column.copyWithin(0, head, tail);
    return column;
  }
  return widened(column.subarray(head, tail) as T, size);
}
