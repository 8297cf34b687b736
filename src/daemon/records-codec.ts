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
  const keys: Array<Buffer | null> = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const key = record.key === null ? null : Buffer.from(record.key);
    keys[i] = key;
    size += 4 + 8 + 8 + 4 + (key?.byteLength ?? 0) + 2 + 4 + record.value.byteLength;
    for (const name in record.headers) size += 2 + Buffer.byteLength(name) + 4 + Buffer.byteLength(record.headers[name]!);
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    at = out.writeInt32BE(record.partition ?? -1, at);
    at = out.writeDoubleBE(record.offset ?? -1, at);
    at = out.writeDoubleBE(record.timestamp ?? 0, at);
    const key = keys[i];
    at = out.writeInt32BE(key ? key.byteLength : -1, at);
    if (key) at += key.copy(out, at);
    const names = Object.keys(record.headers);
    at = out.writeUInt16BE(names.length, at);
    for (const name of names) {
      const nameLength = out.write(name, at + 2);
      out.writeUInt16BE(nameLength, at);
      at += 2 + nameLength;
      const valueLength = out.write(record.headers[name]!, at + 4);
      out.writeUInt32BE(valueLength, at);
      at += 4 + valueLength;
    }
    at = out.writeUInt32BE(record.value.byteLength, at);
    at += record.value.copy(out, at);
  }
  return out;
}

/** Decodes what encodeRecords wrote; values are views into `bytes`. Throws ProtocolError on garbage. */
export function decodeRecords(bytes: unknown): WireRecord[] {
  if (!Buffer.isBuffer(bytes)) throw new ProtocolError('records are not a binary attachment');
  const records: WireRecord[] = [];
  let at = 0;
  const need = (n: number) => {
    if (at + n > bytes.byteLength) throw new ProtocolError('truncated record list');
  };
  while (at < bytes.byteLength) {
    need(24);
    const partition = bytes.readInt32BE(at);
    const offset = bytes.readDoubleBE(at + 4);
    const timestamp = bytes.readDoubleBE(at + 12);
    const keyLength = bytes.readInt32BE(at + 20);
    at += 24;
    let key: string | null = null;
    if (keyLength >= 0) {
      need(keyLength);
      key = bytes.toString('utf8', at, at + keyLength);
      at += keyLength;
    }
    need(2);
    const headerCount = bytes.readUInt16BE(at);
    at += 2;
    const headers: Headers = {};
    for (let h = 0; h < headerCount; h++) {
      need(2);
      const nameLength = bytes.readUInt16BE(at);
      need(2 + nameLength + 4);
      const name = bytes.toString('utf8', at + 2, at + 2 + nameLength);
      at += 2 + nameLength;
      const valueLength = bytes.readUInt32BE(at);
      need(4 + valueLength);
      headers[name] = bytes.toString('utf8', at + 4, at + 4 + valueLength);
      at += 4 + valueLength;
    }
    need(4);
    const valueLength = bytes.readUInt32BE(at);
    need(4 + valueLength);
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
