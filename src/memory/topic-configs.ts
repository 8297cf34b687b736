import { closestName } from '../properties/names.js';
import { usageError } from '../pubsub/errors.js';
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES } from '../wire/record-batch-size.js';

/**
 * Topic settings under Kafka's names, as local mode takes them: the ones it honours with Kafka's
 * meaning, the ones about disks and replicas (which a broker in memory has none of: taken and shown,
 * nothing to do), and every other topic setting Kafka has, refused by name rather than pretended.
 */

/** Honoured: retention by time and by bytes per partition, the largest record batch, deletion (not compaction). */
export const HONOURED_CONFIGS = ['retention.ms', 'retention.bytes', 'max.message.bytes', 'cleanup.policy'] as const;

/** About segments, flushes and replicas on disk: a broker in memory with one copy keeps them as set. */
const STORAGE_CONFIGS = `file.delete.delay.ms flush.messages flush.ms index.interval.bytes min.insync.replicas preallocate
segment.bytes segment.index.bytes segment.jitter.ms segment.ms unclean.leader.election.enable
follower.replication.throttled.replicas leader.replication.throttled.replicas`.split(/\s+/);

/** Kafka's other topic settings: they would change what clients see, and local mode does not do them. */
const REFUSED_CONFIGS = `compression.type compression.gzip.level compression.lz4.level compression.zstd.level
delete.retention.ms local.retention.bytes local.retention.ms max.compaction.lag.ms message.downconversion.enable
message.timestamp.after.max.ms message.timestamp.before.max.ms message.timestamp.difference.max.ms message.timestamp.type
min.cleanable.dirty.ratio min.compaction.lag.ms remote.log.copy.disable remote.log.delete.on.disable remote.storage.enable`.split(/\s+/);

const KNOWN = [...HONOURED_CONFIGS, ...STORAGE_CONFIGS, ...REFUSED_CONFIGS];

/** A topic's settings that take effect, as numbers (Infinity: none). */
export interface TopicLimits {
  retentionMs: number;
  retentionBytes: number;
  maxMessageBytes: number;
}

export const DEFAULT_TOPIC_LIMITS: TopicLimits = {
  retentionMs: Number.POSITIVE_INFINITY,
  retentionBytes: Number.POSITIVE_INFINITY,
  maxMessageBytes: KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
};

/** ` (did you mean retention.ms?)` for a name close to one of Kafka's topic settings, else nothing. */
export function closestTopicConfig(name: string): string {
  const close = closestName(name, KNOWN);
  return close ? ` (did you mean ${close}?)` : '';
}

/** Whether `name` is one of Kafka's topic settings. */
export function isTopicConfig(name: string): boolean {
  return KNOWN.includes(name);
}

/** Throws (usage) unless `name` is one of Kafka's topic settings, naming the closest when it is not. */
function checkTopicConfigName(topic: string, name: string): void {
  if (!isTopicConfig(name)) throw usageError(`cannot set ${name} on topic ${topic}: Kafka has no topic setting ${name}${closestTopicConfig(name)}`);
}

/** Throws (usage) unless local mode takes `name=value` as Kafka would; returns the value as stored. */
export function checkTopicConfig(topic: string, name: string, value: string): string {
  checkTopicConfigName(topic, name);
  if (REFUSED_CONFIGS.includes(name)) throw usageError(`cannot set ${name} on topic ${topic}: local mode cannot honour it`);
  const number = (min: number) => {
    const parsed = /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min) throw usageError(`invalid value ${value} for ${name} on topic ${topic}: use a whole number from ${min}`);
    return String(parsed);
  };
  switch (name) {
    case 'retention.ms':
    case 'retention.bytes':
      return number(-1); // -1: no limit, as in Kafka
    case 'max.message.bytes':
      return number(0);
    case 'cleanup.policy':
      if (value.trim() === 'delete') return 'delete';
      if (/compact/.test(value)) throw usageError(`cannot set cleanup.policy=${value} on topic ${topic}: local mode cannot honour compaction`);
      throw usageError(`invalid value ${value} for cleanup.policy on topic ${topic}: use delete`);
    default:
      return value;
  }
}

/** The limits that a topic's settings put on it. */
export function topicLimits(configs: ReadonlyMap<string, string>): TopicLimits {
  const limit = (name: string, otherwise: number) => {
    const value = configs.get(name);
    if (value === undefined) return otherwise;
    const parsed = Number(value);
    return parsed < 0 ? Number.POSITIVE_INFINITY : parsed;
  };
  return {
    retentionMs: limit('retention.ms', DEFAULT_TOPIC_LIMITS.retentionMs),
    retentionBytes: limit('retention.bytes', DEFAULT_TOPIC_LIMITS.retentionBytes),
    maxMessageBytes: limit('max.message.bytes', DEFAULT_TOPIC_LIMITS.maxMessageBytes),
  };
}
