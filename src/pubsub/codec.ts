import { utf8SequenceEnd } from './json-text.js';

/**
 * How values become bytes and back, the same in every environment.
 * Library values are JSON-encoded; on the way out, bytes that parse as JSON are that JSON value,
 * else UTF-8 text, else `{ base64 }` — so values written by other Kafka clients still read well.
 */
export type DecodedValue = unknown;

export function encodeJson(value: unknown): Buffer {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError('value cannot be encoded as JSON');
  return Buffer.from(text);
}

export function decodeValue(bytes: Uint8Array): DecodedValue {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buffer.toString('utf8');
  if (looksLikeJson(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // not JSON after all: fall through to text
    }
  }
  if (isUtf8(buffer, text) && !CONTROL.test(text)) return text;
  return { base64: buffer.toString('base64') };
}

/**
 * Whether the value prints as its very bytes: well-formed UTF-8 with no whitespace or control
 * characters that is not a JSON string is either compact JSON or a bare word, printed as stored
 * either way. Not so for JSON strings (to unescape), JSON with spaces (to compact) and binary.
 */
export function printableAsStored(bytes: Uint8Array): boolean {
  const end = bytes.length;
  if (end === 0 || bytes[0] === 0x22) return false;
  for (let i = 0; i < end; ) {
    const c = bytes[i]!;
    if (c < 0x80) {
      if (c <= 0x20 || c === 0x7f) return false;
      i++;
    } else if ((i = utf8SequenceEnd(bytes, i, end)) < 0) return false;
  }
  return true;
}

/** Control characters other than tab and line breaks: bytes like these are binary, not text. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Whether text is a JSON document, cheaply ruling out most plain strings before JSON.parse. */
function looksLikeJson(text: string): boolean {
  const first = text.charCodeAt(0);
  // { [ " - digits t(rue) f(alse) n(ull) and leading whitespace
  return (
    first === 0x7b || first === 0x5b || first === 0x22 || first === 0x2d || (first >= 0x30 && first <= 0x39) ||
    first === 0x74 || first === 0x66 || first === 0x6e || first === 0x20 || first === 0x09
  );
}

function isUtf8(buffer: Buffer, decoded: string): boolean {
  // A lossy decode inserts U+FFFD; only then check whether the bytes really held one.
  return !decoded.includes('\ufffd') || Buffer.byteLength(decoded) === buffer.byteLength && Buffer.from(decoded).equals(buffer);
}
