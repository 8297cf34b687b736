/**
 * Binary encoding of record lists on the daemon's socket: one attachment per batch instead of a
 * JSON object per message, so a million-line publish or consume spends its time moving bytes.
 *
 *   record := i32 partition (-1: none), f64 offset, f64 timestamp,
 *             i32 keyLength (-1: null), key, u16 headerCount, (u16 nameLength, name, u32 valueLength, value)*,
 *             u32 valueLength, value
 */
import { NO_HEADERS, type RecordBatch } from '../pubsub/record-batch.js';
import type { DeliveredRecord, Headers } from '../pubsub/types.js';
import { ProtocolError } from './protocol.js';

/**
 * Encodes records: a produce's batch, or (with `stored`, the same records as read from a log) a
 * fetch reply, which also carries each record's offset and timestamp.
 */
export function encodeRecords(batch: RecordBatch, stored?: readonly DeliveredRecord[]): Buffer {
  let size = 0;
  for (let i = 0; i < batch.length; i++) {
    const key = batch.key(i);
    const headers = batch.headers(i);
    size += FIXED_BYTES + (key === null ? 0 : Buffer.byteLength(key)) + batch.valueLength(i);
    for (const name in headers) size += 2 + Buffer.byteLength(name) + 4 + Buffer.byteLength(headers[name]!);
  }
  const out = Buffer.allocUnsafe(size);
  // DataView writes compile to plain stores; Buffer's write methods check every argument
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let at = 0;
  for (let i = 0; i < batch.length; i++) {
    view.setInt32(at, batch.partition(i) ?? -1);
    view.setFloat64(at + 4, stored ? stored[i]!.offset : -1);
    view.setFloat64(at + 12, stored ? stored[i]!.timestamp : 0);
    at += 20;
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
    const valueLength = batch.valueLength(i);
    view.setUint32(at, valueLength);
    batch.copyValue(i, out, at + 4);
    at += 4 + valueLength;
  }
  return out;
}

/** partition, offset, timestamp, key length, header count, value length */
const FIXED_BYTES = 4 + 8 + 8 + 4 + 2 + 4;

/**
 * A received record list, checked whole on arrival and read in place: the daemon appends values
 * straight from these bytes, and keys and headers are decoded only when asked for.
 */
export class WireRecords implements RecordBatch {
  readonly length: number;
  /** Where each record, and its value, starts in the bytes. */
  private readonly starts: Uint32Array;
  private readonly valueStarts: Uint32Array;
  private readonly bytes: Buffer;
  private readonly view: DataView;
  /** The bytes as a plain Uint8Array: its subarrays cost less than a Buffer's. */
  private readonly plain: Uint8Array;

  /** Throws ProtocolError unless `bytes` is a well-formed record list. */
  constructor(bytes: unknown) {
    if (!Buffer.isBuffer(bytes)) throw new ProtocolError('records are not a binary attachment');
    this.bytes = bytes;
    // DataView reads compile to plain loads; Buffer's read methods check every argument
    const view = (this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    this.plain = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const end = bytes.byteLength;
    const most = Math.ceil(end / FIXED_BYTES);
    this.starts = new Uint32Array(most);
    this.valueStarts = new Uint32Array(most);
    let count = 0;
    let at = 0;
    while (at < end) {
      this.starts[count] = at;
      if (at + 24 > end) throw truncated();
      const keyLength = view.getInt32(at + 20);
      at += 24 + Math.max(keyLength, 0);
      if (at + 2 > end) throw truncated();
      const headerCount = view.getUint16(at);
      at += 2;
      for (let h = 0; h < headerCount; h++) {
        if (at + 2 > end) throw truncated();
        at += 2 + view.getUint16(at);
        if (at + 4 > end) throw truncated();
        at += 4 + view.getUint32(at);
      }
      if (at + 4 > end) throw truncated();
      const valueLength = view.getUint32(at);
      this.valueStarts[count++] = at + 4;
      at += 4 + valueLength;
      if (at > end) throw truncated();
    }
    this.length = count;
  }

  partition(i: number): number | undefined {
    const partition = this.view.getInt32(this.starts[i]!);
    return partition >= 0 ? partition : undefined;
  }

  key(i: number): string | null {
    const at = this.starts[i]! + 24;
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
    const keyBytes = headersAt - this.starts[i]! - 24;
    const headerBytes = this.valueStarts[i]! - 4 - (headersAt + 2) - 6 * this.view.getUint16(headersAt);
    return keyBytes + headerBytes + this.valueLength(i);
  }

  value(i: number): Buffer {
    return this.bytes.subarray(this.valueStarts[i]!, this.valueEnd(i));
  }

  valueLength(i: number): number {
    return this.valueEnd(i) - this.valueStarts[i]!;
  }

  copyValue(i: number, target: Uint8Array, at: number): void {
    target.set(this.plain.subarray(this.valueStarts[i]!, this.valueEnd(i)), at);
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
    const at = this.starts[i]! + 24;
    return at + Math.max(this.view.getInt32(at - 4), 0);
  }

  /** The value is a record's last field: it ends where the next record starts. */
  private valueEnd(i: number): number {
    return i + 1 < this.length ? this.starts[i + 1]! : this.bytes.byteLength;
  }
}

function truncated(): ProtocolError {
  return new ProtocolError('truncated record list');
}
