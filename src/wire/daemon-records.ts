/**
 * Binary encoding of record lists on the daemon's socket: one attachment per batch instead of a
 * JSON object per message, so a million-line publish or consume spends its time moving bytes.
 * The values come last, together, so they are copied by runs (a stdin chunk's lines, a log
 * chunk's messages) rather than one by one, and the daemon keeps a produce's values as they came.
 * Keys, values and header values are bytes, any bytes, and each may be null, as in Kafka.
 *
 *   list   := u32 count, record{count}, values
 *   record := i32 partition (-1: none), f64 offset (-1: none), f64 timestamp (0: none),
 *             u32 valueStart, i32 valueLength (-1: null, a tombstone; bytes within values),
 *             i32 keyLength (-1: null), key, u16 headerCount,
 *             (u16 nameLength, name (UTF-8), i32 valueLength (-1: null), value)*
 *
 * Invariants: a WireRecords is checked whole when made (every length within the list, values
 * within the values section), so reading it later cannot overrun; it reads the bytes in place and
 * keeps nothing else. Numbers are big-endian.
 */
import type { PlainRecords, RecordBatch } from '../records/record-batch.js';
import { NO_HEADERS, type DeliveredRecord, type RecordHeader, type RecordHeaders } from '../records/record.js';
import type { PackedValues } from '../records/packed-values.js';

/** What a fetch reply adds to each record: where it was stored, and its key as the log keeps it. */
export interface StoredRecords {
  offset(i: number): number;
  timestamp(i: number): number;
  /** The key as a latin1 string of its bytes (how the log keeps it), or null. */
  storedKey(i: number): string | null;
}

/** partition, offset, timestamp, value start, value length, key length */
const RECORD_HEAD_BYTES = 4 + 8 + 8 + 4 + 4 + 4;
const OFFSET_AT = 4;
const TIMESTAMP_AT = 12;
const VALUE_START_AT = 20;
const VALUE_LENGTH_AT = 24;
const KEY_LENGTH_AT = 28;
/** Per header besides its name and value: u16 name length, i32 value length. */
const HEADER_HEAD_BYTES = 2 + 4;

/**
 * Encodes records: a produce's batch, or (with `stored`, the same records as read from a log) a
 * fetch reply, which also carries each record's offset and timestamp.
 */
export function encodeRecords(batch: RecordBatch, stored?: StoredRecords): Buffer {
  const values = batch.packedValues();
  const keys: Array<Buffer | string | null> = new Array(batch.length);
  let size = 4 + values.bytes.byteLength;
  for (let i = 0; i < batch.length; i++) {
    const key = (keys[i] = stored ? stored.storedKey(i) : batch.key(i));
    size += RECORD_HEAD_BYTES + 2 + (key === null ? 0 : key.length);
    for (const [name, value] of batch.headers(i)) size += HEADER_HEAD_BYTES + Buffer.byteLength(name) + (value?.byteLength ?? 0);
  }
  const out = Buffer.allocUnsafe(size);
  // DataView writes compile to plain stores; Buffer's write methods check every argument
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(0, batch.length);
  let at = 4;
  for (let i = 0; i < batch.length; i++) {
    view.setInt32(at, batch.partition(i) ?? -1);
    view.setFloat64(at + OFFSET_AT, stored ? stored.offset(i) : -1);
    view.setFloat64(at + TIMESTAMP_AT, stored ? stored.timestamp(i) : 0);
    view.setUint32(at + VALUE_START_AT, values.starts[i]!);
    view.setInt32(at + VALUE_LENGTH_AT, batch.valueLength(i));
    const key = keys[i]!;
    if (key === null) view.setInt32(at + KEY_LENGTH_AT, -1);
    else view.setInt32(at + KEY_LENGTH_AT, typeof key === 'string' ? out.write(key, at + RECORD_HEAD_BYTES, 'latin1') : copy(key, out, at + RECORD_HEAD_BYTES));
    at += RECORD_HEAD_BYTES + (key === null ? 0 : key.length);
    const headers = batch.headers(i);
    view.setUint16(at, headers.length);
    at += 2;
    for (const [name, value] of headers) {
      const nameLength = out.write(name, at + 2);
      view.setUint16(at, nameLength);
      at += 2 + nameLength;
      view.setInt32(at, value === null ? -1 : copy(value, out, at + 4));
      at += 4 + (value?.byteLength ?? 0);
    }
  }
  out.set(values.bytes, at);
  return out;
}

function copy(bytes: Uint8Array, out: Buffer, at: number): number {
  out.set(bytes, at);
  return bytes.byteLength;
}

/**
 * A received record list, checked whole on arrival and read in place: the daemon keeps the values
 * as they came (see PartitionLog), and keys and headers are decoded only when asked for.
 */
export class WireRecords implements RecordBatch {
  readonly length: number;
  /** Where each record starts in the bytes. */
  private readonly starts: Uint32Array;
  /** Where each value starts in the values section, and how long it is (-1: a tombstone). */
  private readonly valueStarts: Uint32Array;
  private readonly valueLengths: Int32Array;
  /** Where the values section starts. */
  private readonly valuesAt: number;
  private readonly bytes: Buffer;
  private readonly view: DataView;
  /** No record has a key or headers. */
  private readonly isPlain: boolean;

  /** Throws MalformedRecordsError unless `bytes` is a well-formed record list. */
  constructor(bytes: unknown) {
    if (!Buffer.isBuffer(bytes)) throw new MalformedRecordsError('records are not a binary attachment');
    this.bytes = bytes;
    // DataView reads compile to plain loads; Buffer's read methods check every argument
    const view = (this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    const end = bytes.byteLength;
    if (end < 4) throw truncated();
    const count = view.getUint32(0);
    if (count > (end - 4) / (RECORD_HEAD_BYTES + 2)) throw truncated();
    this.starts = new Uint32Array(count);
    this.valueStarts = new Uint32Array(count);
    this.valueLengths = new Int32Array(count);
    let at = 4;
    let plain = true;
    for (let i = 0; i < count; i++) {
      this.starts[i] = at;
      if (at + RECORD_HEAD_BYTES > end) throw truncated();
      this.valueStarts[i] = view.getUint32(at + VALUE_START_AT);
      this.valueLengths[i] = nullableLength(view.getInt32(at + VALUE_LENGTH_AT));
      const keyLength = nullableLength(view.getInt32(at + KEY_LENGTH_AT));
      at += RECORD_HEAD_BYTES + Math.max(keyLength, 0);
      if (at + 2 > end) throw truncated();
      const headerCount = view.getUint16(at);
      if (keyLength >= 0 || headerCount > 0) plain = false;
      at += 2;
      for (let h = 0; h < headerCount; h++) {
        if (at + 2 > end) throw truncated();
        at += 2 + view.getUint16(at);
        if (at + 4 > end) throw truncated();
        at += 4 + Math.max(nullableLength(view.getInt32(at)), 0);
      }
      if (at > end) throw truncated();
    }
    this.valuesAt = at;
    this.isPlain = plain;
    for (let i = 0; i < count; i++) {
      if (this.valueStarts[i]! + Math.max(this.valueLengths[i]!, 0) > end - at) throw new MalformedRecordsError('value out of bounds');
    }
    this.length = count;
  }

  partition(i: number): number | undefined {
    const partition = this.view.getInt32(this.starts[i]!);
    return partition >= 0 ? partition : undefined;
  }

  key(i: number): Buffer | null {
    const at = this.starts[i]! + RECORD_HEAD_BYTES;
    const length = this.view.getInt32(at - RECORD_HEAD_BYTES + KEY_LENGTH_AT);
    return length < 0 ? null : this.bytes.subarray(at, at + length);
  }

  headers(i: number): RecordHeaders {
    let at = this.headersAt(i);
    const count = this.view.getUint16(at);
    if (count === 0) return NO_HEADERS;
    at += 2;
    const headers: RecordHeader[] = new Array(count);
    for (let h = 0; h < count; h++) {
      const nameLength = this.view.getUint16(at);
      const name = this.bytes.toString('utf8', at + 2, at + 2 + nameLength);
      at += 2 + nameLength;
      const valueLength = this.view.getInt32(at);
      at += 4;
      headers[h] = [name, valueLength < 0 ? null : this.bytes.subarray(at, (at += valueLength))];
    }
    return headers;
  }

  size(i: number): number {
    const headersAt = this.headersAt(i);
    const keyBytes = headersAt - this.starts[i]! - RECORD_HEAD_BYTES;
    const recordEnd = i + 1 < this.length ? this.starts[i + 1]! : this.valuesAt;
    const headerBytes = recordEnd - (headersAt + 2) - HEADER_HEAD_BYTES * this.view.getUint16(headersAt);
    return keyBytes + headerBytes + Math.max(this.valueLengths[i]!, 0);
  }

  value(i: number): Buffer | null {
    const length = this.valueLengths[i]!;
    if (length < 0) return null;
    const start = this.valuesAt + this.valueStarts[i]!;
    return this.bytes.subarray(start, start + length);
  }

  valueLength(i: number): number {
    return this.valueLengths[i]!;
  }

  packedValues(): PackedValues {
    return { bytes: this.bytes.subarray(this.valuesAt), starts: this.valueStarts };
  }

  plain(): PlainRecords | undefined {
    return this.isPlain ? { valueLengths: this.valueLengths } : undefined;
  }

  /** A fetch reply's records of one partition, as delivered to readers; bytes are views into the list. */
  toRecords(topic: string, partition: number): DeliveredRecord[] {
    const records: DeliveredRecord[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) {
      const at = this.starts[i]!;
      records[i] = {
        topic,
        partition,
        offset: this.view.getFloat64(at + OFFSET_AT),
        timestamp: this.view.getFloat64(at + TIMESTAMP_AT),
        key: this.key(i),
        headers: this.headers(i),
        value: this.value(i),
      };
    }
    return records;
  }

  private headersAt(i: number): number {
    const at = this.starts[i]!;
    return at + RECORD_HEAD_BYTES + Math.max(this.view.getInt32(at + KEY_LENGTH_AT), 0);
  }
}

/** A record list that is not well formed. */
export class MalformedRecordsError extends Error {}

/** A length that may be -1 (null); anything below is malformed. */
function nullableLength(length: number): number {
  if (length < -1) throw new MalformedRecordsError(`invalid length ${length}`);
  return length;
}

function truncated(): MalformedRecordsError {
  return new MalformedRecordsError('truncated record list');
}
