import { tooLargeError, usageError, type ZpsError } from './errors.js';
import { formatBytes } from './wording.js';
import { singleRecordBatchBytes } from '../wire/record-batch-size.js';
import type { RecordBatch } from '../records/record-batch.js';
import { headerBytes, type RecordHeaders } from '../records/record.js';

/** Largest message (value + key + headers) accepted in every environment, as Kafka's default. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

const TOPIC_PATTERN = /^[a-zA-Z0-9._-]{1,249}$/;

/** Kafka's topic-name rules, enforced in every environment so local mode refuses what Kafka would. */
export function validateTopicName(topic: string): string {
  // the daemon takes names from its socket: a number or an array would pass the pattern as text
  if (typeof topic !== 'string') throw usageError('invalid topic name: not a string');
  if (!TOPIC_PATTERN.test(topic) || topic === '.' || topic === '..') {
    const why =
      topic.length === 0
        ? 'it is empty'
        : topic.length > 249
          ? 'it is longer than 249 characters'
          : topic === '.' || topic === '..'
            ? `'${topic}' is reserved`
            : 'only letters, digits, ".", "_" and "-" are allowed';
    throw usageError(`invalid topic name '${truncate(topic, 60)}': ${why}`);
  }
  return topic;
}

/**
 * A consumer group's id, refused when empty (`named`: where it came from): Kafka refuses to join
 * one, but only after taking offsets committed under it.
 */
export function validateGroupId(group: string, named = 'the group id'): string {
  if (group.trim() === '') throw usageError(`${named} is empty: name the consumer group`);
  return group;
}

/**
 * Throws a usage error for a record over zps's 1 MiB, or too big for a topic taking record batches
 * of at most `maxBatchBytes` (its max.message.bytes) even in a batch of its own.
 */
export function checkRecordFits(topic: string, maxBatchBytes: number, key: Uint8Array | null, valueLength: number, headers: RecordHeaders): void {
  const size = (key?.byteLength ?? 0) + Math.max(valueLength, 0) + headerBytes(headers);
  checkMessageSize(size);
  if (nearLimit(size, headers, maxBatchBytes)) checkBatchFits(topic, maxBatchBytes, size, key, valueLength, headers);
}

/** The refusal of a partition count that does not grow the topic (Kafka's partitions only grow). */
export function partitionsOnlyGrow(topic: string, asked: number, current: number): ZpsError {
  return usageError(`cannot change topic ${topic} to ${asked} partitions: it has ${current}, and partitions only grow`);
}

/**
 * checkRecordFits for record i of a batch, reading its key and headers only near the limit.
 * Returns the record's size.
 */
export function checkBatchRecord(topic: string, maxBatchBytes: number, batch: RecordBatch, i: number): number {
  const size = batch.size(i);
  checkMessageSize(size);
  // Headers are read (for most batches: made) only near the limit. Far below it only a record of
  // thousands of headers could overrun, and the broker would refuse its batch as too large.
  if (size > maxBatchBytes - NEAR_LIMIT_BYTES) checkRecordFits(topic, maxBatchBytes, batch.key(i), batch.valueLength(i), batch.headers(i));
  return size;
}

/** More than a record batch's overhead, apart from the length prefixes of its headers. */
const NEAR_LIMIT_BYTES = 4096;
/** The most a header's two length prefixes take. */
const HEADER_PREFIX_BYTES = 10;

/** Whether a record's batch overhead could matter: far below the limit it cannot, and is not counted (per line of a publish). */
function nearLimit(size: number, headers: RecordHeaders, maxBatchBytes: number): boolean {
  return size + headers.length * HEADER_PREFIX_BYTES > maxBatchBytes - NEAR_LIMIT_BYTES;
}

function checkBatchFits(topic: string, maxBatchBytes: number, size: number, key: Uint8Array | null, valueLength: number, headers: RecordHeaders): void {
  const batchBytes = singleRecordBatchBytes(key?.byteLength ?? -1, valueLength, headers);
  if (batchBytes > maxBatchBytes) {
    throw tooLargeError(`message is ${size} bytes, ${batchBytes} as a record batch: over the max.message.bytes of ${topic} (${maxBatchBytes} bytes)`);
  }
}

export function checkMessageSize(size: number): void {
  if (size > MAX_MESSAGE_BYTES) {
    throw tooLargeError(`message is ${size} bytes, over the ${formatBytes(MAX_MESSAGE_BYTES)} limit (${MAX_MESSAGE_BYTES} bytes)`);
  }
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
