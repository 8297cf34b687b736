import { usageError } from './errors.js';

/** Largest message (value + key + headers) accepted in every environment, as Kafka's default. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

const TOPIC_PATTERN = /^[a-zA-Z0-9._-]{1,249}$/;

/** Kafka's topic-name rules, enforced in every environment so local mode refuses what Kafka would. */
export function validateTopicName(topic: string): string {
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

export function messageSize(key: string | null, value: Uint8Array, headers: Record<string, string>): number {
  let size = value.byteLength + (key === null ? 0 : Buffer.byteLength(key));
  for (const name in headers) size += Buffer.byteLength(name) + Buffer.byteLength(headers[name]!);
  return size;
}

export function checkMessageSize(size: number): void {
  if (size > MAX_MESSAGE_BYTES) {
    throw usageError(`message is ${size} bytes, over the ${formatBytes(MAX_MESSAGE_BYTES)} limit (${MAX_MESSAGE_BYTES} bytes)`);
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1).replace(/\.0$/, '')} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1).replace(/\.0$/, '')} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(1).replace(/\.0$/, '')} GiB`;
}

/** "1 message", "3 messages", "2 batches". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : word.endsWith('ch') ? 'es' : 's'}`;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
