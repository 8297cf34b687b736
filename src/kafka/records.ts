import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { DeliveredRecord, RecordHeader, RecordHeaders } from '../pubsub/types.js';

/**
 * A kafkajs message as zps sees it: bytes as they came (null keys, values and header values kept),
 * numeric offset and timestamp. kafkajs gathers a repeated header name's values into an array, so
 * their order is kept per name; a header between two of them comes after both.
 */
export function toDelivered(topic: string, partition: number, message: KafkaMessage): DeliveredRecord {
  const headers: RecordHeader[] = [];
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    for (const one of Array.isArray(value) ? value : [value]) {
      if (one !== undefined) headers.push([name, one === null ? null : Buffer.from(one)]);
    }
  }
  return {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    key: message.key ?? null,
    headers,
    value: message.value ?? null,
  };
}

/** Headers as kafkajs sends them: a repeated name's values as an array, in order; null values kept. */
export function toKafkaHeaders(headers: RecordHeaders): IHeaders {
  const grouped: Record<string, Array<Buffer | null>> = {};
  for (const [name, value] of headers) (grouped[name] ??= []).push(value);
  const kafka: IHeaders = {};
  for (const [name, values] of Object.entries(grouped)) kafka[name] = (values.length === 1 ? values[0] : values) as IHeaders[string];
  return kafka;
}
