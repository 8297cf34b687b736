import type { RecordHeaders } from '../../records/record.js';
import { isJsonValue } from '../../wire/json-text.js';

/** How `zps publish` turns a line (or a value argument) into a message. */
export interface LineEncoding {
  /** -k: the key of every message. */
  key: Buffer | null;
  /** -K: split each line at the first delimiter into key and value. */
  delimiter?: Buffer;
  /** -Z: an empty value is a tombstone. */
  tombstones: boolean;
  /** --schema: encodes the value (parsed as JSON, or as a string with --raw); throws naming the field that does not fit. */
  schema?: (value: unknown) => Buffer;
  /** --raw: with a schema, the value is given as the string it is. */
  raw: boolean;
  /** --key-schema: encodes each key (parsed as JSON, else taken as a string); throws naming the field that does not fit. */
  keySchema?: (key: unknown) => Buffer;
}

/** A line's message: its key, and its value as bytes [start, end) of `bytes` (a tombstone: null). */
export interface EncodedLine {
  key: Buffer | null;
  bytes: Buffer;
  start: number;
  end: number;
  tombstone: boolean;
  /** Its own headers and partition (--from-json); absent: the publish's. */
  headers?: RecordHeaders;
  partition?: number;
}

/**
 * The encoder of lines into messages: pure, bytes in and bytes out, no I/O. A value is its bytes as
 * given (JSON stays the JSON text, text stays text); only a schema changes them. The result object
 * is the encoder's own and reused by its next call (a million lines make no object each).
 */
/** Encodes the line at bytes [start, end) as a message. */
export type LineEncoder = (bytes: Buffer, start: number, end: number) => EncodedLine;

export function lineEncoder(encoding: LineEncoding): LineEncoder {
  const line: EncodedLine = { key: null, bytes: Buffer.alloc(0), start: 0, end: 0, tombstone: false };
  const { delimiter, schema, keySchema } = encoding;
  const encodeKey = (key: Buffer) => (keySchema === undefined ? key : keySchema(parseValue(key, 0, key.byteLength)));
  const fixedKey = encoding.key === null ? null : encodeKey(encoding.key); // -k: encoded once
  return (bytes, start, end) => {
    line.key = fixedKey;
    if (delimiter !== undefined) {
      const at = bytes.subarray(start, end).indexOf(delimiter);
      if (at >= 0) {
        line.key = encodeKey(bytes.subarray(start, start + at));
        start += at + delimiter.length;
      }
    }
    line.tombstone = encoding.tombstones && end === start;
    if (schema !== undefined && !line.tombstone) {
      const value = schema(encoding.raw ? bytes.toString('utf8', start, end) : parseValue(bytes, start, end));
      [bytes, start, end] = [value, 0, value.byteLength];
    }
    line.bytes = bytes;
    line.start = start;
    line.end = end;
    return line;
  };
}

/** The JSON value the bytes hold, or their text when they are not JSON (what a schema then checks). */
function parseValue(bytes: Buffer, start: number, end: number): unknown {
  const text = bytes.toString('utf8', start, end);
  return isJsonValue(bytes, start, end) ? JSON.parse(text) : text;
}
