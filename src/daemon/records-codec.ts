/**
 * Binary encoding of record lists on the daemon's socket: one attachment per batch instead of a
 * JSON object per message, so a million-line publish or consume spends its time moving bytes.
 *
 *   record := i32 partition (-1: none), f64 offset, f64 timestamp,
 *             i32 keyLength (-1: null), key, u16 headerCount, (u16 nameLength, name, u32 valueLength, value)*,
 *             u32 valueLength, value
 */
import type { Headers } from '../pubsub/types.js';
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

/** Decodes what encodeRecords wrote; values are views into `bytes`. Throws ProtocolError on garbage. */
export function decodeRecords(bytes: unknown): WireRecord[] {
  if (!Buffer.isBuffer(bytes)) throw new ProtocolError('records are not a binary attachment');
  const records: WireRecord[] = [];
  const end = bytes.byteLength;
  let at = 0;
  while (at < end) {
    if (at + 24 > end) throw truncated();
    const partition = bytes.readInt32BE(at);
    const offset = bytes.readDoubleBE(at + 4);
    const timestamp = bytes.readDoubleBE(at + 12);
    const keyLength = bytes.readInt32BE(at + 20);
    at += 24;
    let key: string | null = null;
    if (keyLength >= 0) {
      if (at + keyLength > end) throw truncated();
      key = bytes.toString('utf8', at, at + keyLength);
      at += keyLength;
    }
    if (at + 2 > end) throw truncated();
    const headerCount = bytes.readUInt16BE(at);
    at += 2;
    const headers: Headers = {};
    for (let h = 0; h < headerCount; h++) {
      if (at + 2 > end) throw truncated();
      const nameLength = bytes.readUInt16BE(at);
      if (at + 2 + nameLength + 4 > end) throw truncated();
      const name = bytes.toString('utf8', at + 2, at + 2 + nameLength);
      at += 2 + nameLength;
      const valueLength = bytes.readUInt32BE(at);
      if (at + 4 + valueLength > end) throw truncated();
      headers[name] = bytes.toString('utf8', at + 4, at + 4 + valueLength);
      at += 4 + valueLength;
    }
    if (at + 4 > end) throw truncated();
    const valueLength = bytes.readUInt32BE(at);
    if (at + 4 + valueLength > end) throw truncated();
    const value = bytes.subarray(at + 4, at + 4 + valueLength);
    at += 4 + valueLength;
    const record: WireRecord = { key, headers, value };
    if (partition >= 0) record.partition = partition;
    if (offset >= 0) record.offset = offset;
    if (timestamp > 0) record.timestamp = timestamp;
    records.push(record);
  }
  return records;
}

function truncated(): ProtocolError {
  return new ProtocolError('truncated record list');
}
