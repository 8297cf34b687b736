import { isUtf8 } from 'node:buffer';
import { isJsonValue } from '../wire/json-text.js';
import { usageError } from './errors.js';

/**
 * How library values become bytes and back, the same in every environment. Values are
 * JSON-encoded; on the way out, bytes that are JSON are that JSON value, else UTF-8 text, else
 * `{ base64 }`, so values written by other Kafka clients still read well. A tombstone is null.
 */
export function encodeJson(value: unknown): Buffer {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw usageError(`the value cannot be encoded as JSON: ${(error as Error).message.split('\n')[0]}`); // a BigInt, a cycle
  }
  if (text === undefined) throw usageError(`the value cannot be encoded as JSON: ${value === undefined ? 'it is undefined' : `it is a ${typeof value}`}`);
  return Buffer.from(text);
}

export function decodeValue(bytes: Uint8Array | null): unknown {
  if (bytes === null) return null;
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isJsonValue(buffer)) return JSON.parse(buffer.toString('utf8'));
  return isText(buffer) ? buffer.toString('utf8') : { base64: buffer.toString('base64') };
}

/**
 * Whether bytes read as text: well-formed UTF-8 without control characters other than tab and
 * line breaks (bytes like those are binary: protobuf, Avro, compressed data).
 */
export function isText(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return false;
  }
  return isUtf8(bytes);
}
