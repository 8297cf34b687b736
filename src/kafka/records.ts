import type { KafkaMessage } from 'kafkajs';
import type { DeliveredRecord, Headers } from '../pubsub/types.js';

const EMPTY = Buffer.alloc(0);

/** A kafkajs message as zps sees it: string key and headers, numeric offset and timestamp. */
export function toDelivered(topic: string, partition: number, message: KafkaMessage): DeliveredRecord {
  const headers: Headers = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) headers[name] = first.toString();
  }
  return {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    key: message.key === null || message.key === undefined ? null : message.key.toString(),
    headers,
    value: message.value ?? EMPTY,
  };
}
