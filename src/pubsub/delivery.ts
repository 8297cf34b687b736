import { decodeValue } from './codec.js';
import { TYPE_HEADER, type DeliveredRecord, type Headers, type MessageMeta } from './types.js';

/** Splits the type header from the others, as every consumer and printer shows them. */
export function splitType(headers: Headers): { type?: string; headers: Headers } {
  if (!(TYPE_HEADER in headers)) return { headers };
  const { [TYPE_HEADER]: type, ...rest } = headers;
  return { type, headers: rest };
}

export function metaOf(record: DeliveredRecord): MessageMeta {
  const { type, headers } = splitType(record.headers);
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key,
    headers,
    ...(type === undefined ? {} : { type }),
  };
}

/** Whether a consumer subscribed for `messageType` takes this record (untyped ones always). */
export function matchesType(record: DeliveredRecord, messageType: string | undefined): boolean {
  if (messageType === undefined) return true;
  const type = record.headers[TYPE_HEADER];
  return type === undefined || type === messageType;
}

export function decodeRecord(record: DeliveredRecord): { message: unknown; meta: MessageMeta } {
  return { message: decodeValue(record.value), meta: metaOf(record) };
}
