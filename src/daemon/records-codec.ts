/**
 * Binary encoding of record lists on the daemon's socket: one attachment per batch instead of a
 * JSON object per message, so a million-line publish or consume spends its time moving bytes.
 *
 *   record := i32 partition (-1: none), f64 offset, f64 timestamp,
 *             i32 keyLength (-1: null), key, u16 headerCount, (u16 nameLength, name, u32 valueLength, value)*,
 *             u32 valueLength, value
 */
import { NO_HEADERS, type RecordBatch } from '../memory/record-batch.js';
import type { DeliveredRecord, Headers } from '../pubsub/types.js';
import { ProtocolError } from './protocol.js';

export interface WireRecord {
  partition?: number;
  offset?: number;
  timestamp?: number;
  key: string | null;
  headers: Headers;
  value: Buffer;
}

export function encodeRecords(records: readonly WireRecord[]): Buffer {
  let size = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    size += FIXED_BYTES + (record.key === null ? 0 : Buffer.byteLength(record.key)) + record.value.byteLength;
    for (const name in record.headers) size += 2 + Buffer.byteLength(name) + 4 + Buffer.byteLength(record.headers[name]!);
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    at = out.writeInt32BE(record.partition ?? -1, at);
    at = out.writeDoubleBE(record.offset ?? -1, at);
    at = out.writeDoubleBE(record.timestamp ?? 0, at);
    if (record.key === null) at = out.writeInt32BE(-1, at);
    else {
      const keyLength = out.write(record.key, at + 4);
      out.writeInt32BE(keyLength, at);
      at += 4 + keyLength;
    }
    const countAt = at;
    at += 2;
    let headerCount = 0;
    for (const name in record.headers) {
      const nameLength = out.write(name, at + 2);
      out.writeUInt16BE(nameLength, at);
      at += 2 + nameLength;
      const valueLength = out.write(record.headers[name]!, at + 4);
      out.writeUInt32BE(valueLength, at);
      at += 4 + valueLength;
      headerCount++;
    }
    out.writeUInt16BE(headerCount, countAt);
    at = out.writeUInt32BE(record.value.byteLength, at);
    out.set(record.value, at);
    at += record.value.byteLength;
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

  /** Throws ProtocolError unless `bytes` is a well-formed record list. */
  constructor(bytes: unknown) {
    if (!Buffer.isBuffer(bytes)) throw new ProtocolError('records are not a binary attachment');
    this.bytes = bytes;
    const end = bytes.byteLength;
    const most = Math.ceil(end / FIXED_BYTES);
    this.starts = new Uint32Array(most);
    this.valueStarts = new Uint32Array(most);
    let count = 0;
    let at = 0;
    while (at < end) {
      this.starts[count] = at;
      if (at + 24 > end) throw truncated();
      const keyLength = bytes.readInt32BE(at + 20);
      at += 24 + Math.max(keyLength, 0);
      if (at + 2 > end) throw truncated();
      const headerCount = bytes.readUInt16BE(at);
      at += 2;
      for (let h = 0; h < headerCount; h++) {
        if (at + 2 > end) throw truncated();
        at += 2 + bytes.readUInt16BE(at);
        if (at + 4 > end) throw truncated();
        at += 4 + bytes.readUInt32BE(at);
      }
      if (at + 4 > end) throw truncated();
      const valueLength = bytes.readUInt32BE(at);
      this.valueStarts[count++] = at + 4;
      at += 4 + valueLength;
      if (at > end) throw truncated();
    }
    this.length = count;
  }

  partition(i: number): number | undefined {
    const partition = this.bytes.readInt32BE(this.starts[i]!);
    return partition >= 0 ? partition : undefined;
  }

  key(i: number): string | null {
    const at = this.starts[i]! + 24;
    const length = this.bytes.readInt32BE(at - 4);
    return length < 0 ? null : this.bytes.toString('utf8', at, at + length);
  }

  headers(i: number): Headers {
    let at = this.headersAt(i);
    const count = this.bytes.readUInt16BE(at);
    if (count === 0) return NO_HEADERS;
    at += 2;
    const headers: Headers = {};
    for (let h = 0; h < count; h++) {
      const nameLength = this.bytes.readUInt16BE(at);
      const name = this.bytes.toString('utf8', at + 2, at + 2 + nameLength);
      at += 2 + nameLength;
      const valueLength = this.bytes.readUInt32BE(at);
      headers[name] = this.bytes.toString('utf8', at + 4, at + 4 + valueLength);
      at += 4 + valueLength;
    }
    return headers;
  }

  size(i: number): number {
    const headersAt = this.headersAt(i);
    const keyBytes = headersAt - this.starts[i]! - 24;
    const headerBytes = this.valueStarts[i]! - 4 - (headersAt + 2) - 6 * this.bytes.readUInt16BE(headersAt);
    return keyBytes + headerBytes + this.valueLength(i);
  }

  valueLength(i: number): number {
    return this.valueEnd(i) - this.valueStarts[i]!;
  }

  copyValue(i: number, target: Uint8Array, at: number): void {
    this.bytes.copy(target, at, this.valueStarts[i]!, this.valueEnd(i));
  }

  /** A fetch reply's records of one partition, as delivered to readers; values are views into the bytes. */
  toRecords(topic: string, partition: number): DeliveredRecord[] {
    const records: DeliveredRecord[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) {
      const at = this.starts[i]!;
      records[i] = {
        topic,
        partition,
        offset: this.bytes.readDoubleBE(at + 4),
        timestamp: this.bytes.readDoubleBE(at + 12),
        key: this.key(i),
        headers: this.headers(i),
        value: this.bytes.subarray(this.valueStarts[i]!, this.valueEnd(i)),
      };
    }
    return records;
  }

  private headersAt(i: number): number {
    const at = this.starts[i]! + 24;
    return at + Math.max(this.bytes.readInt32BE(at - 4), 0);
  }

  /** The value is a record's last field: it ends where the next record starts. */
  private valueEnd(i: number): number {
    return i + 1 < this.length ? this.starts[i + 1]! : this.bytes.byteLength;
  }
}

function truncated(): ProtocolError {
  return new ProtocolError('truncated record list');
}
