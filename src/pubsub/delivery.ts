import { isUtf8 } from 'node:buffer';
import { decodeValue } from './codec.js';
import { usageError } from './errors.js';
import { NO_HEADERS, type DeliveredRecord, type RecordHeader, type RecordHeaders } from '../records/record.js';
import { TYPE_HEADER, type Headers, type HeadersInput, type MessageMeta } from './types.js';

/**
 * Splits the type header from the others, as every consumer and printer shows them. The first
 * `zps-type` header whose value is text is the type; anything else stays a header.
 */
export function splitType(headers: RecordHeaders): { type?: string; headers: RecordHeaders } {
  for (let i = 0; i < headers.length; i++) {
    const [name, value] = headers[i]!;
    if (name !== TYPE_HEADER || value === null) continue;
    const type = utf8Text(value);
    if (type === undefined) continue;
    return { type, headers: headers.length === 1 ? NO_HEADERS : headers.filter((_, at) => at !== i) };
  }
  return { headers };
}

/** The type of a record, or undefined when it has none. */
export function typeOf(headers: RecordHeaders): string | undefined {
  return headers.length === 0 ? undefined : splitType(headers).type;
}

/** The bytes as text, or undefined when they are not well-formed UTF-8. */
export function utf8Text(bytes: Buffer): string | undefined {
  return isUtf8(bytes) ? bytes.toString('utf8') : undefined;
}

/** Headers as text for library consumers: a repeated name keeps its last value, a null value is ''. */
export function textHeaders(headers: RecordHeaders): Headers {
  const text: Headers = {};
  for (const [name, value] of headers) text[name] = value === null ? '' : value.toString('utf8');
  return text;
}

/** A library publisher's headers as records carry them. */
export function recordHeaders(input: HeadersInput | undefined): RecordHeader[] {
  if (input === undefined) return [];
  const pairs: ReadonlyArray<readonly [string, string | Buffer | null]> = Array.isArray(input) ? input : Object.entries(input);
  return pairs.map(([name, value]) => {
    // the types say so, but plain JavaScript callers reach here too
    if (typeof name !== 'string') throw usageError('a header name is a string');
    if (typeof value === 'string') return [name, Buffer.from(value)];
    if (value !== null && !Buffer.isBuffer(value)) throw usageError(`header ${name}: a value is a string, a Buffer or null`);
    return [name, value];
  });
}

export function metaOf(record: DeliveredRecord): MessageMeta {
  const { type, headers } = splitType(record.headers);
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key === null ? null : record.key.toString('utf8'),
    headers: textHeaders(headers),
    ...(type === undefined ? {} : { type }),
    rawKey: record.key,
    rawHeaders: headers,
    tombstone: record.value === null,
  };
}

/** Whether a consumer subscribed for `messageType` takes this record (untyped ones always). */
export function matchesType(record: DeliveredRecord, messageType: string | undefined): boolean {
  if (messageType === undefined) return true;
  const type = typeOf(record.headers);
  return type === undefined || type === messageType;
}

export function decodeRecord(record: DeliveredRecord): { message: unknown; meta: MessageMeta } {
  return { message: decodeValue(record.value), meta: metaOf(record) };
}
