/**
 * How records are gathered into batches on their way to the broker, for the library's publisher
 * and `zps publish` alike: a batch goes once it holds BATCH_RECORDS records or BATCH_BYTES bytes,
 * or when no more come at once (the publisher: at the end of the tick; `zps publish`: once its
 * input pauses for LINGER_MS). On Kafka the producer splits a batch further, so that each
 * partition's record batch fits the topic's max.message.bytes (src/kafka/producer.ts).
 */

/** 8,000 (of ~60 bytes) measured fastest: fewer requests, and per-batch costs spread thinner. */
export const BATCH_RECORDS = 8_000;
export const BATCH_BYTES = 1024 * 1024;
/** How long a part batch of `zps publish` waits for more input before it goes (librdkafka's linger.ms). */
export const LINGER_MS = 5;

/** Whether a batch of `count` records holding `bytes` must go before a record of `size` bytes joins it. */
export function batchIsFull(count: number, bytes: number, size: number): boolean {
  return count > 0 && (count >= BATCH_RECORDS || bytes + size > BATCH_BYTES);
}
