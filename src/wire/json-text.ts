/**
 * JSON on the bytes, never decoded: whether bytes are a JSON value, and the same value on one line.
 *
 * Invariants: every function is pure and reads only bytes [start, end) it is given; nothing is
 * allocated for documents nested fewer than 32 deep, and nothing is kept between calls. Iterative
 * (an explicit stack), so deep nesting cannot overflow the call stack; plain functions on
 * (bytes, index) rather than closures, so V8 keeps the loops tight.
 */

/**
 * Whether bytes are exactly one JSON value in well-formed UTF-8 — what JSON.parse accepts of their
 * decoding, with nothing lost in decoding — checked on the bytes, without building anything.
 */
export function isJsonValue(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
  let depth = 0;
  /** Bit d set: the container open at depth d (< 32) is an object; deeper ones in `deep`. */
  let objects = 0;
  let deep: Uint8Array | undefined;
  let i = skipSpace(bytes, start, end);
  for (;;) {
    // a value starts at i
    if (i >= end) return false;
    const c = bytes[i]!;
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      i = skipSpace(bytes, i + 1, end);
      if (i < end && bytes[i] === (c === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY)) {
        i++; // empty container
      } else {
        if (depth < 32) objects = c === OPEN_OBJECT ? objects | (1 << depth) : objects & ~(1 << depth);
        else {
          if (!deep || depth - 32 === deep.length) deep = grown(deep);
          deep[depth - 32] = c;
        }
        depth++;
        if (c === OPEN_OBJECT && (i = memberKey(bytes, i, end)) < 0) return false;
        continue;
      }
    } else if (c === QUOTE) {
      if ((i = stringEnd(bytes, i, end)) < 0) return false;
    } else if (c === MINUS || isDigit(c)) {
      if ((i = numberEnd(bytes, i, end)) < 0) return false;
    } else if ((i = literalEnd(bytes, i, end)) < 0) {
      return false;
    }
    // after a value: close containers, or move on to the next element
    for (;;) {
      i = skipSpace(bytes, i, end);
      if (depth === 0) return i === end;
      if (i >= end) return false;
      const open = depth <= 32 ? ((objects >>> (depth - 1)) & 1 ? OPEN_OBJECT : OPEN_ARRAY) : deep![depth - 33];
      const next = bytes[i];
      if (next === COMMA) {
        i = skipSpace(bytes, i + 1, end);
        if (open === OPEN_OBJECT && (i = memberKey(bytes, i, end)) < 0) return false;
        break;
      }
      if (next !== (open === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY)) return false;
      i++;
      depth--;
    }
  }
}

const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;

/** The kinds of containers open below depth 32, twice as many slots as before. */
function grown(old: Uint8Array | undefined): Uint8Array {
  const wider = new Uint8Array(Math.max(64, (old?.length ?? 0) * 2));
  if (old) wider.set(old);
  return wider;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function skipSpace(bytes: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = bytes[i]!;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
    i++;
  }
  return i;
}

/** The index after the string opening at i, or -1. */
function stringEnd(bytes: Uint8Array, i: number, end: number): number {
  i++; // opening quote
  while (i < end) {
    const c = bytes[i++]!;
    if (c === QUOTE) return i;
    if (c < 0x20) return -1;
    if (c === BACKSLASH) {
      if (i >= end) return -1;
      const e = bytes[i++]!;
      if (e === 0x75) {
        if (i + 4 > end) return -1;
        for (const stop = i + 4; i < stop; i++) if (!isHex(bytes[i]!)) return -1;
      } else if (!(e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74)) {
        return -1;
      }
    } else if (c >= 0x80 && (i = utf8SequenceEnd(bytes, i - 1, end)) < 0) {
      return -1;
    }
  }
  return -1;
}

/** The index after the well-formed UTF-8 sequence whose lead byte is at i, or -1 (RFC 3629). */
export function utf8SequenceEnd(bytes: Uint8Array, i: number, end: number): number {
  const lead = bytes[i]!;
  let length: number;
  let low = 0x80; // bounds of the second byte, which rule out overlong forms and surrogates
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead === 0xe0) low = 0xa0;
    else if (lead === 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead === 0xf0) low = 0x90;
    else if (lead === 0xf4) high = 0x8f;
  } else return -1;
  if (i + length > end) return -1;
  const second = bytes[i + 1]!;
  if (second < low || second > high) return -1;
  for (let k = 2; k < length; k++) {
    const next = bytes[i + k]!;
    if (next < 0x80 || next > 0xbf) return -1;
  }
  return i + length;
}

function numberEnd(bytes: Uint8Array, i: number, end: number): number {
  if (bytes[i] === MINUS) i++;
  if (i >= end) return -1;
  const first = bytes[i]!;
  if (first === 0x30) i++;
  else if (first >= 0x31 && first <= 0x39) i = digitsEnd(bytes, i + 1, end);
  else return -1;
  if (i < end && bytes[i] === 0x2e) {
    if (i + 1 >= end || !isDigit(bytes[i + 1]!)) return -1;
    i = digitsEnd(bytes, i + 2, end);
  }
  if (i < end && (bytes[i] === 0x65 || bytes[i] === 0x45)) {
    i++;
    if (i < end && (bytes[i] === 0x2b || bytes[i] === MINUS)) i++;
    if (i >= end || !isDigit(bytes[i]!)) return -1;
    i = digitsEnd(bytes, i + 1, end);
  }
  return i;
}

function digitsEnd(bytes: Uint8Array, i: number, end: number): number {
  while (i < end && isDigit(bytes[i]!)) i++;
  return i;
}

/** true, false or null at i: the index after it, or -1. */
function literalEnd(bytes: Uint8Array, i: number, end: number): number {
  const word = bytes[i] === 0x74 ? TRUE : bytes[i] === 0x66 ? FALSE : bytes[i] === 0x6e ? NULL : undefined;
  if (word === undefined || i + word.length > end) return -1;
  for (let k = 1; k < word.length; k++) if (bytes[i + k] !== word[k]) return -1;
  return i + word.length;
}

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

/** A member's key and colon at i (after space): the index of its value, or -1. */
function memberKey(bytes: Uint8Array, i: number, end: number): number {
  if (i >= end || bytes[i] !== QUOTE || (i = stringEnd(bytes, i, end)) < 0) return -1;
  i = skipSpace(bytes, i, end);
  if (i >= end || bytes[i] !== COLON) return -1;
  return skipSpace(bytes, i + 1, end);
}

/**
 * The members of the JSON object at bytes [start, end): each name, and where its value's bytes lie,
 * so a value can be taken as the very bytes it is (a big number, say). Undefined when the bytes
 * are not one JSON object. A name given twice keeps its last value, as JSON.parse does.
 */
export function objectMembers(bytes: Uint8Array, start = 0, end = bytes.length): Map<string, [start: number, end: number]> | undefined {
  if (!isJsonValue(bytes, start, end)) return undefined;
  let i = skipSpace(bytes, start, end);
  if (bytes[i] !== OPEN_OBJECT) return undefined;
  const members = new Map<string, [number, number]>();
  i = skipSpace(bytes, i + 1, end);
  while (bytes[i] !== CLOSE_OBJECT) {
    const nameEnd = stringEnd(bytes, i, end);
    const name = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + i, nameEnd - i).toString('utf8')) as string;
    const valueStart = memberKey(bytes, i, end);
    const valueEnd = skipValue(bytes, valueStart, end);
    members.set(name, [valueStart, valueEnd]);
    i = skipSpace(bytes, valueEnd, end);
    if (bytes[i] === COMMA) i = skipSpace(bytes, i + 1, end);
  }
  return members;
}

/** The index after the (well-formed) value at i. */
function skipValue(bytes: Uint8Array, i: number, end: number): number {
  const c = bytes[i]!;
  if (c === QUOTE) return stringEnd(bytes, i, end);
  if (c === MINUS || isDigit(c)) return numberEnd(bytes, i, end);
  if (c !== OPEN_OBJECT && c !== OPEN_ARRAY) return literalEnd(bytes, i, end);
  let depth = 0;
  while (i < end) {
    const b = bytes[i]!;
    if (b === QUOTE) {
      i = stringEnd(bytes, i, end);
      continue;
    }
    if (b === OPEN_OBJECT || b === OPEN_ARRAY) depth++;
    else if ((b === CLOSE_OBJECT || b === CLOSE_ARRAY) && --depth === 0) return i + 1;
    i++;
  }
  return end;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** Whether the bytes hold a space, tab or line break anywhere: only then can JSON need compacting. */
export function hasWhitespace(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (isSpace(bytes[i]!)) return true;
  return false;
}

/**
 * Copies bytes [start, end) to `target` at `at` as long as they hold no whitespace, checking and
 * copying in one pass (short values copy faster byte by byte than through a typed-array copy); the
 * bytes copied, or -1 at the first space, tab or line break (what was copied is left to be overwritten).
 */
export function copyUnlessWhitespace(bytes: Uint8Array, start: number, end: number, target: Uint8Array, at: number): number {
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c <= 0x20 && isSpace(c)) return -1; // one comparison for the bytes of text
    target[at++] = c;
  }
  return end - start;
}

/** Whether the bytes hold a line break (`\n` or `\r`): JSON without one is already on one line, as it is. */
export function hasLineBreak(bytes: Buffer): boolean {
  return bytes.indexOf(0x0a) !== -1 || bytes.indexOf(0x0d) !== -1;
}

/**
 * A JSON value (bytes that isJsonValue accepts) on one line: the whitespace outside strings
 * removed, every other byte kept, so no number is re-encoded and no digit lost. The bytes
 * themselves when there is nothing to remove.
 */
export function compactJson(bytes: Uint8Array): Uint8Array {
  const end = bytes.length;
  let i = 0;
  let inString = false;
  for (; i < end; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (isSpace(c)) break;
  }
  if (i === end) return bytes;
  const out = Buffer.allocUnsafe(end);
  out.set(bytes.subarray(0, i));
  let n = i;
  for (; i < end; i++) {
    const c = bytes[i]!;
    if (inString) {
      out[n++] = c;
      if (c === BACKSLASH) out[n++] = bytes[++i]!;
      else if (c === QUOTE) inString = false;
    } else if (!isSpace(c)) {
      out[n++] = c;
      if (c === QUOTE) inString = true;
    }
  }
  return out.subarray(0, n);
}
