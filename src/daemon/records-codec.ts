/**
 * Binary encoding of record lists on the daemon's socket: one attachment per batch instead of a
 * JSON object per message, so a million-line publish or consume spends its time moving bytes.
 * The values come last, together, so they are copied by runs (a stdin chunk's lines, a log
 * chunk's messages) rather than one by one, and the daemon keeps a produce's values as they came.
 *
 *   list   := u32 count, record{count}, values
 *   record := i32 partition (-1: none), f64 offset (-1: none), f64 timestamp (0: none),
 *             u32 valueStart, u32 valueLength (within values),
 *             i32 keyLength (-1: null), key, u16 headerCount, (u16 nameLength, name, u32 valueLength, value)*
 */
import { NO_HEADERS, type PackedValues, type RecordBatch } from '../pubsub/record-batch.js';
import type { DeliveredRecord, Headers } from '../pubsub/types.js';
import { ProtocolError } from './protocol.js';

/**
 * Encodes records: a produce's batch, or (with `stored`, the same records as read from a log) a
 * fetch reply, which also carries each record's offset and timestamp.
 */
export function encodeRecords(batch: RecordBatch, stored?: { offset(i: number): number; timestamp(i: number): number }): Buffer {
  const values = batch.packedValues();
  let size = 4 + values.bytes.byteLength;
  for (let i = 0; i < batch.length; i++) {
    const key = batch.key(i);
    const headers = batch.headers(i);
    size += FIXED_BYTES + (key === null ? 0 : Buffer.byteLength(key));
    for (const name in headers) size += 2 + Buffer.byteLength(name) + 4 + Buffer.byteLength(headers[name]!);
  }
  const out = Buffer.allocUnsafe(size);
  // DataView writes compile to plain stores; Buffer's write methods check every argument
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(0, batch.length);
  let at = 4;
  for (let i = 0; i < batch.length; i++) {
    view.setInt32(at, batch.partition(i) ?? -1);
    view.setFloat64(at + 4, stored ? stored.offset(i) : -1);
    view.setFloat64(at + 12, stored ? stored.timestamp(i) : 0);
    view.setUint32(at + 20, values.starts[i]!);
    view.setUint32(at + 24, batch.valueLength(i));
    at += 28;
    const key = batch.key(i);
    if (key === null) {
      view.setInt32(at, -1);
      at += 4;
    } else {
      const keyLength = out.write(key, at + 4);
      view.setInt32(at, keyLength);
      at += 4 + keyLength;
    }
    const countAt = at;
    at += 2;
    let headerCount = 0;
    const headers = batch.headers(i);
    for (const name in headers) {
      const nameLength = out.write(name, at + 2);
      view.setUint16(at, nameLength);
      at += 2 + nameLength;
      const valueLength = out.write(headers[name]!, at + 4);
      view.setUint32(at, valueLength);
      at += 4 + valueLength;
      headerCount++;
    }
    view.setUint16(countAt, headerCount);
  }
  out.set(values.bytes, at);
  return out;
}

/** partition, offset, timestamp, value start, value length, key length, header count */
const FIXED_BYTES = 4 + 8 + 8 + 4 + 4 + 4 + 2;

/**
 * A received record list, checked whole on arrival and read in place: the daemon keeps the values
 * as they came (see PartitionLog), and keys and headers are decoded only when asked for.
 */
export class WireRecords implements RecordBatch {
  readonly length: number;
  /** Where each record starts in the bytes. */
  private readonly starts: Uint32Array;
  /** Where each value starts in the values section, and how long it is. */
  private readonly valueStarts: Uint32Array;
  private readonly valueLengths: Uint32Array;
  /** Where the values section starts. */
  private readonly valuesAt: number;
  private readonly bytes: Buffer;
  private readonly view: DataView;

  /** Throws ProtocolError unless `bytes` is a well-formed record list. */
  constructor(bytes: unknown) {
    if (!Buffer.isBuffer(bytes)) throw new ProtocolError('records are not a binary attachment');
    this.bytes = bytes;
    // DataView reads compile to plain loads; Buffer's read methods check every argument
    const view = (this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    const end = bytes.byteLength;
    if (end < 4) throw truncated();
    const count = view.getUint32(0);
    if (count > (end - 4) / FIXED_BYTES) throw truncated();
    this.starts = new Uint32Array(count);
    this.valueStarts = new Uint32Array(count);
    this.valueLengths = new Uint32Array(count);
    let at = 4;
    for (let i = 0; i < count; i++) {
      this.starts[i] = at;
      if (at + 32 > end) throw truncated();
      this.valueStarts[i] = view.getUint32(at + 20);
      this.valueLengths[i] = view.getUint32(at + 24);
      at += 32 + Math.max(view.getInt32(at + 28), 0);
      if (at + 2 > end) throw truncated();
      const headerCount = view.getUint16(at);
      at += 2;
      for (let h = 0; h < headerCount; h++) {
        if (at + 2 > end) throw truncated();
        at += 2 + view.getUint16(at);
        if (at + 4 > end) throw truncated();
        at += 4 + view.getUint32(at);
      }
      if (at > end) throw truncated();
    }
    this.valuesAt = at;
    for (let i = 0; i < count; i++) {
      if (this.valueStarts[i]! + this.valueLengths[i]! > end - at) throw new ProtocolError('value out of bounds');
    }
    this.length = count;
  }

  partition(i: number): number | undefined {
    const partition = this.view.getInt32(this.starts[i]!);
    return partition >= 0 ? partition : undefined;
  }

  key(i: number): string | null {
    const at = this.starts[i]! + 32;
    const length = this.view.getInt32(at - 4);
    return length < 0 ? null : this.bytes.toString('utf8', at, at + length);
  }

  headers(i: number): Headers {
    let at = this.headersAt(i);
    const count = this.view.getUint16(at);
    if (count === 0) return NO_HEADERS;
    at += 2;
    const headers: Headers = {};
    for (let h = 0; h < count; h++) {
      const nameLength = this.view.getUint16(at);
      const name = this.bytes.toString('utf8', at + 2, at + 2 + nameLength);
      at += 2 + nameLength;
      const valueLength = this.view.getUint32(at);
      headers[name] = this.bytes.toString('utf8', at + 4, at + 4 + valueLength);
      at += 4 + valueLength;
    }
    return headers;
  }

  size(i: number): number {
    const headersAt = this.headersAt(i);
    const keyBytes = headersAt - this.starts[i]! - 32;
    const recordEnd = i + 1 < this.length ? this.starts[i + 1]! : this.valuesAt;
    const headerBytes = recordEnd - (headersAt + 2) - 6 * this.view.getUint16(headersAt);
    return keyBytes + headerBytes + this.valueLengths[i]!;
  }

  value(i: number): Buffer {
    const start = this.valuesAt + this.valueStarts[i]!;
    return this.bytes.subarray(start, start + this.valueLengths[i]!);
  }

  valueLength(i: number): number {
    return this.valueLengths[i]!;
  }

  packedValues(): PackedValues {
    return { bytes: this.bytes.subarray(this.valuesAt), starts: this.valueStarts };
  }

  /** A fetch reply's records of one partition, as delivered to readers; values are views into the bytes. */
  toRecords(topic: string, partition: number): DeliveredRecord[] {
    const records: DeliveredRecord[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) {
      const at = this.starts[i]!;
      records[i] = {
        topic,
        partition,
        offset: this.view.getFloat64(at + 4),
        timestamp: this.view.getFloat64(at + 12),
        key: this.key(i),
        headers: this.headers(i),
        value: this.value(i),
      };
    }
    return records;
  }

  private headersAt(i: number): number {
    const at = this.starts[i]! + 32;
    return at + Math.max(this.view.getInt32(at - 4), 0);
  }
}

function truncated(): ProtocolError {
  return new ProtocolError('truncated record list');
}
