/**
 * `publish --from-json`: a `consume --json` line back into the message it describes, so a topic can
 * be replayed or copied between environments. The value's bytes come back exactly: a JSON value
 * as the very bytes it is in the line (its whitespace kept, no number re-encoded), a string as its text, {"base64": ...} as those bytes,
 * a tombstone as none. Key and header values: a string, {"base64": ...} or null; a header whose
 * value is an array is the name repeated, in order. The type goes back into the `zps-type` header.
 */
import { usageError } from '../../pubsub/errors.js';
import { TYPE_HEADER } from '../../pubsub/types.js';
import type { RecordHeader } from '../../records/record.js';
import { objectMembers } from '../../wire/json-text.js';
import type { EncodedLine, LineEncoder } from './line-encoder.js';

export function jsonLineDecoder(options: { keepPartitions: boolean }): LineEncoder {
  return (bytes, start, end): EncodedLine => {
    const members = objectMembers(bytes, start, end);
    if (!members) throw usageError('not a JSON object: --from-json reads the lines of consume --json');
    const field = (name: string): unknown => {
      const at = members.get(name);
      return at === undefined ? undefined : JSON.parse(bytes.toString('utf8', at[0], at[1]));
    };
    const valueAt = members.get('value');
    if (!valueAt) throw usageError('no "value": --from-json reads the lines of consume --json');
    const headers: RecordHeader[] = [];
    const headerObject = field('headers');
    if (headerObject !== undefined && headerObject !== null) {
      if (typeof headerObject !== 'object' || Array.isArray(headerObject)) throw usageError('"headers" must be an object');
      for (const [name, value] of Object.entries(headerObject)) {
        for (const one of Array.isArray(value) ? value : [value]) headers.push([name, bytesOf(one, `header ${name}`)]);
      }
    }
    const type = field('type');
    if (type !== undefined && type !== null) {
      if (typeof type !== 'string') throw usageError('"type" must be a string');
      headers.push([TYPE_HEADER, Buffer.from(type)]);
    }
    let partition: number | undefined;
    if (options.keepPartitions) {
      const kept = field('partition');
      if (!Number.isSafeInteger(kept) || (kept as number) < 0) throw usageError('--keep-partitions needs a "partition", a whole number');
      partition = kept as number;
    }
    const line: EncodedLine = { key: bytesOf(field('key') ?? null, 'key'), bytes, start: valueAt[0], end: valueAt[1], tombstone: false, headers, partition };
    if (field('tombstone') === true) {
      if (bytes[valueAt[0]] !== 0x6e) throw usageError('a tombstone\'s "value" must be null'); // n(ull)
      return { ...line, tombstone: true, end: valueAt[0] };
    }
    const first = bytes[valueAt[0]];
    if (first === 0x22 || first === 0x7b) {
      // a string is the text it holds; {"base64": ...} the bytes it holds; any other object its JSON
      const value = field('value') as string | Record<string, unknown>;
      const decoded = typeof value === 'string' ? Buffer.from(value) : isBase64Object(value) ? base64Bytes(value.base64, 'the value') : undefined;
      if (decoded) return { ...line, bytes: decoded, start: 0, end: decoded.byteLength };
    }
    return line;
  };
}

/** A key's or header value's bytes: a string's text, {"base64": ...}'s bytes, or null. */
function bytesOf(value: unknown, what: string): Buffer | null {
  if (value === null) return null;
  if (typeof value === 'string') return Buffer.from(value);
  if (isBase64Object(value)) return base64Bytes(value.base64, `the ${what}`);
  throw usageError(`the ${what} must be a string, {"base64": ...} or null`);
}

/** Standard base64 with its padding, as consume --json writes it (Buffer.from would skip what is not). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64Bytes(text: string, what: string): Buffer {
  if (!BASE64.test(text)) throw usageError(`${what} is not valid base64: ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text)}`);
  return Buffer.from(text, 'base64');
}

function isBase64Object(value: unknown): value is { base64: string } {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 1 && typeof (value as { base64?: unknown }).base64 === 'string';
}
