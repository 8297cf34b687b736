import type { KafkaMessage } from 'kafkajs';
import type { DeliveredRecord, RecordHeader } from '../records/record.js';

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
