import { randomBytes } from 'node:crypto';
import { ZpsError, usageError } from '../pubsub/errors.js';
import { checkBatchRecord, partitionsOnlyGrow, validateTopicName } from '../pubsub/limits.js';
import { formatBytes } from '../pubsub/wording.js';
import { Partitioner, checkPartition } from '../pubsub/partitioner.js';
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES } from '../wire/record-batch-size.js';
import type { PartitionOffsets } from '../pubsub/driver.js';
import type { TopicChange, TopicSummary } from '../pubsub/types.js';
import type { OutgoingRecord } from '../records/record.js';
import { GroupCoordinator } from './group-coordinator.js';
import type { PartitionSlice } from './log-slice.js';
import { PartitionLog, RECORD_OVERHEAD_BYTES } from './partition-log.js';
import { outgoingBatch, type AckRun, type RecordBatch } from '../records/record-batch.js';
import { MAX_TOPIC_PARTITIONS, collisionMessage, oversizedCreation, unifiedName } from './topic-policy.js';
import { DEFAULT_TOPIC_LIMITS, checkTopicConfig, topicLimits, type TopicLimits } from './topic-configs.js';

/** Batches with at least this many bytes of values keep them in a buffer of their own. */
const KEEP_BATCH_BYTES = 4 * 1024;

/** Every topic's max.message.bytes, as Kafka's default: a record must fit a record batch this big. */
export const MAX_BATCH_BYTES = KAFKA_DEFAULT_MAX_MESSAGE_BYTES;

/**
 * What a topic, each of its partitions and a group cost against the memory cap besides their
 * messages: a little more than an empty one holds resident (measured), so no number of them takes
 * the daemon past its cap.
 */
export const TOPIC_OVERHEAD_BYTES = 1024;
export const PARTITION_OVERHEAD_BYTES = 1024;
export const GROUP_OVERHEAD_BYTES = 1024;

export interface BrokerLimits {
  /** Bytes of stored messages and structures (topics, partitions, groups) past which publishes and new topics are refused. */
  maxMemoryBytes: number;
  /** Per partition, as Kafka's retention: the oldest messages go first. */
  retentionMessages: number;
  retentionBytes: number;
}

export const DEFAULT_LIMITS: BrokerLimits = {
  maxMemoryBytes: 2 * 1024 ** 3,
  retentionMessages: Number.POSITIVE_INFINITY,
  retentionBytes: Number.POSITIVE_INFINITY,
};

export type { PartitionOffsets };

export interface BrokerStats {
  topics: number;
  messages: number;
  bytes: number;
  groups: number;
  maxMemoryBytes: number;
}

interface Topic {
  readonly logs: PartitionLog[];
  /** Kafka's topic id: a new one each time the topic is created. */
  readonly id: Buffer;
  /** Its settings as set (Kafka's names), and the limits they put on it. */
  configs: Map<string, string>;
  limits: TopicLimits;
}

/**
 * The in-memory broker: Kafka's model (partitioned append-only logs, consumer groups with committed
 * offsets and partitions shared among members) with no I/O, so it can live in-process or in the daemon.
 * It keeps the logs; its groups, whichever door their members come through, are its coordinator's.
 */
export class MemoryBroker {
  private readonly topics = new Map<string, Topic>();
  /** Each topic's name by its unified one (topic-policy.ts): the one a new name would collide with. */
  private readonly unifiedNames = new Map<string, string>();
  private readonly watchers = new Map<string, Set<() => void>>();
  /** What the stored messages cost against the memory cap. */
  private totalBytes = 0;
  /** What the topics and their partitions cost against it (groups are counted as they are). */
  private structureBytes = 0;
  readonly groups = new GroupCoordinator({
    logs: (topic) => this.topics.get(topic)?.logs,
    partitionOffsets: (topic, atTime) => this.partitionOffsets(topic, atTime),
    changed: (topic) => this.notify(topic),
  });
  /** Where records that name no partition go: the one place every producer's keyless records round robin. */
  private readonly partitioner = new Partitioner();
  readonly limits: BrokerLimits;
  /** Told to Kafka clients and by `zps cluster`: one per broker, so per daemon run (22 characters of base64url, as Kafka's). */
  readonly clusterId = randomBytes(16).toString('base64url');

  constructor(limits: Partial<BrokerLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Creates the topic unless it exists (then its partition count stays as it is, as in Kafka). */
  createTopic(topicName: string, partitions = 1): void {
    this.createTopicWith(topicName, partitions);
  }

  /**
   * Throws unless a topic of `partitions` is one Kafka would create (see topic-policy.ts); returns
   * what it costs against the memory cap.
   */
  checkNewTopic(topicName: string, partitions: number): number {
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw usageError(`invalid partition count ${partitions}: use a whole number from 1`);
    }
    const collision = this.collidingTopic(topicName);
    if (collision !== undefined) throw usageError(`cannot create topic ${topicName}: ${collisionMessage(topicName, collision)}`);
    const refused = oversizedCreation([partitions]);
    if (refused) {
      const why = refused.charAt(0).toLowerCase() + refused.slice(1, -1);
      throw new ZpsError(`cannot create topic ${topicName} with ${partitions} partitions: ${why} (Kafka creates at most ${MAX_TOPIC_PARTITIONS} a topic)`);
    }
    return topicBytes(partitions);
  }

  /**
   * Appends a batch atomically: every record is checked before any is stored. The acks come as
   * runs of consecutive offsets (expandAcks makes one per record).
   */
  produce(topicName: string, records: readonly OutgoingRecord[] | RecordBatch, options: { partitions?: number } = {}): AckRun[] {
    validateTopicName(topicName);
    const batch = isRecordArray(records) ? outgoingBatch(records) : records;
    const existing = this.topics.get(topicName);
    const partitionCount = existing?.logs.length ?? options.partitions ?? 1;
    const newTopicBytes = existing ? 0 : this.checkNewTopic(topicName, partitionCount);
    let batchBytes = 0;
    const sizes = new Float64Array(batch.length);
    /** Each record's partition; -1 until the partitioner picks one (once the batch is accepted). */
    const partitionOf = new Int32Array(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const size = checkBatchRecord(topicName, existing?.limits.maxMessageBytes ?? MAX_BATCH_BYTES, batch, i);
      const partition = batch.partition(i);
      if (partition !== undefined) checkPartition(topicName, partition, partitionCount);
      partitionOf[i] = partition ?? -1;
      sizes[i] = size + RECORD_OVERHEAD_BYTES;
      batchBytes += sizes[i]!;
    }
    this.checkRoom(batchBytes + newTopicBytes);
    const topic = existing ?? this.addTopic(topicName, partitionCount);
    const now = Date.now();
    // A large batch's values stay together in one buffer of their own: one copy, none per message.
    const packed = batch.packedValues();
    const keep = packed.bytes.byteLength >= KEEP_BATCH_BYTES;
    const copy = keep && !packed.owned;
    const values = copy ? Buffer.allocUnsafeSlow(packed.bytes.byteLength) : packed.bytes;
    if (copy) values.set(packed.bytes);
    const acks: AckRun[] = [];
    let run: AckRun | undefined;
    const touched = new Set<PartitionLog>();
    for (let i = 0; i < batch.length; i++) if (partitionOf[i]! < 0) partitionOf[i] = this.partitioner.choose(topicName, batch.key(i), partitionCount);
    for (let i = 0; i < batch.length; ) {
      const partition = partitionOf[i]!;
      const log = topic.logs[partition]!;
      touched.add(log);
      // a run of records of one partition: kept values go in at once
      let end = i + 1;
      while (end < batch.length && partitionOf[end] === partition) end++;
      // (offsets in a partition are consecutive: the run starts at the end it found)
      const first = log.endOffset;
      if (keep) log.appendKept(batch, i, end, values, packed.starts, sizes, now);
      else {
        for (let n = i; n < end; n++) {
          log.append(batch.timestamp?.(n) ?? now, batch.key(n), batch.headers(n), sizes[n]!, values, packed.starts[n]!, batch.valueLength(n), false);
        }
      }
      if (run !== undefined && run[0] === partition && run[1] + run[2] === first) run[2] += end - i;
      else acks.push((run = [partition, first, end - i]));
      i = end;
    }
    this.totalBytes += batchBytes;
    this.applyRetention(topicName, touched);
    this.notify(topicName);
    return acks;
  }

  // administration: topics

  /**
   * Creates the topic with its settings (Kafka's names, checked as local mode takes them); false
   * when it exists already (it then stays as it is).
   */
  createTopicWith(topicName: string, partitions: number, configs: Readonly<Record<string, string>> = {}): boolean {
    validateTopicName(topicName);
    if (this.topics.has(topicName)) return false;
    const checked = new Map(Object.entries(configs).map(([name, value]) => [name, checkTopicConfig(topicName, name, value)]));
    this.checkRoom(this.checkNewTopic(topicName, partitions));
    const topic = this.addTopic(topicName, partitions);
    topic.configs = checked;
    topic.limits = topicLimits(checked);
    return true;
  }

  /**
   * Grows the topic's partitions (never shrinks them, as Kafka: keys then hash over the new count)
   * and sets or removes settings; every part is checked before any is applied (`validateOnly`: none is).
   */
  alterTopic(topicName: string, change: TopicChange, validateOnly = false): void {
    const topic = this.topics.get(topicName);
    if (!topic) throw new ZpsError(`topic ${topicName} does not exist`, { code: 'not-found' });
    const configs = new Map(topic.configs);
    for (const [name, value] of Object.entries(change.set ?? {})) configs.set(name, checkTopicConfig(topicName, name, value));
    // as Kafka: removing a setting the topic does not have (even one Kafka has not) changes nothing
    for (const name of change.unset ?? []) configs.delete(name);
    const { partitions } = change;
    const current = topic.logs.length;
    if (partitions !== undefined) {
      if (!Number.isInteger(partitions) || partitions <= current) {
        throw partitionsOnlyGrow(topicName, partitions, current);
      }
      if (partitions > MAX_TOPIC_PARTITIONS)
        throw new ZpsError(`cannot grow topic ${topicName} to ${partitions} partitions: Kafka allows at most ${MAX_TOPIC_PARTITIONS}`);
      this.checkRoom((partitions - current) * PARTITION_OVERHEAD_BYTES);
    }
    if (validateOnly) return;
    topic.configs = configs;
    topic.limits = topicLimits(configs);
    if (partitions !== undefined && partitions > current) {
      for (let partition = current; partition < partitions; partition++) topic.logs.push(new PartitionLog(topicName, partition));
      this.structureBytes += (partitions - current) * PARTITION_OVERHEAD_BYTES;
      this.groups.topicCreated(topicName); // its groups share the new partitions out, as on a new topic
    }
    this.applyRetention(topicName, topic.logs);
    this.notify(topicName);
  }

  /** Deletes the topic, its records and its groups' offsets of it, as Kafka; false when it does not exist. */
  deleteTopic(topicName: string): boolean {
    if (!this.topics.has(topicName)) return false;
    this.drop([topicName]);
    return true;
  }

  /** The existing topic whose name collides with `topicName`'s, as Kafka refuses it; undefined when none does. */
  collidingTopic(topicName: string): string | undefined {
    const other = this.unifiedNames.get(unifiedName(topicName));
    return other === topicName ? undefined : other;
  }

  hasTopic(topicName: string): boolean {
    return this.topics.has(topicName);
  }

  /** The topic's settings as set, or undefined when it does not exist. */
  topicConfigs(topicName: string): Record<string, string> | undefined {
    const topic = this.topics.get(topicName);
    return topic && Object.fromEntries([...topic.configs].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  /** The largest record batch the topic takes (its max.message.bytes). */
  maxBatchBytes(topicName: string): number {
    return this.topics.get(topicName)?.limits.maxMessageBytes ?? MAX_BATCH_BYTES;
  }

  /** Trims `logs` of the topic to the daemon's retention and the topic's retention.bytes (the lower holds), then applies its retention.ms. */
  private applyRetention(topicName: string, logs: Iterable<PartitionLog>): void {
    const topic = this.topics.get(topicName)!;
    const retentionBytes = Math.min(this.limits.retentionBytes, topic.limits.retentionBytes);
    for (const log of logs) this.totalBytes -= log.trim(this.limits.retentionMessages, retentionBytes);
    this.expire(topicName);
  }

  /**
   * Drops records older than the topic's retention.ms, as Kafka's log cleaner does (by each record's
   * timestamp). Done whenever the topic is read or written: what a reader sees is what a cleaner
   * running at that moment would have left.
   */
  private expire(topicName: string): void {
    const topic = this.topics.get(topicName);
    if (!topic || topic.limits.retentionMs === Number.POSITIVE_INFINITY) return;
    const before = Date.now() - topic.limits.retentionMs;
    let freed = 0;
    for (const log of topic.logs) freed += log.expireBefore(before);
    if (freed > 0) this.totalBytes -= freed;
  }

  /** With `atTime`, each partition's first offset stored at or after it too (its end when none), as Kafka's ListOffsets. */
  partitionOffsets(topicName: string, atTime?: number): PartitionOffsets[] | undefined {
    this.expire(topicName);
    return this.topics.get(topicName)?.logs.map((log, partition) => ({
      partition,
      start: log.startOffset,
      end: log.endOffset,
      ...(atTime === undefined ? {} : { atTime: log.offsetAtTime(atTime) }),
    }));
  }

  /** The first offset of a partition stored at or after `timestamp` (its end when none was), as ListOffsets by time. */
  offsetAtTime(topicName: string, partition: number, timestamp: number): number | undefined {
    return this.topics.get(topicName)?.logs[partition]?.offsetAtTime(timestamp);
  }

  /**
   * Reads from several partitions of a topic, up to maxRecords in all and about maxBytes from each,
   * a record counted as its key, value and headers plus `overheadBytes` (PartitionLog.slice).
   */
  fetch(
    topicName: string,
    positions: ReadonlyArray<readonly [partition: number, offset: number]>,
    maxRecords: number,
    maxBytes: number,
    overheadBytes?: number,
  ): PartitionSlice[] {
    this.expire(topicName);
    const topic = this.topics.get(topicName);
    if (!topic) return [];
    const batches: PartitionSlice[] = [];
    let budget = maxRecords;
    for (const [partition, offset] of positions) {
      const log = topic.logs[partition];
      if (!log || budget <= 0) continue;
      const slice = log.slice(offset, budget, maxBytes, overheadBytes);
      if (slice.length > 0) {
        batches.push({ partition, slice });
        budget -= slice.length;
      }
    }
    return batches;
  }

  /** Drops a partition's records before `offset` (at most its end), as Kafka's DeleteRecords; returns its new start. */
  deleteRecords(topicName: string, partition: number, offset: number): number {
    const log = this.topics.get(topicName)?.logs[partition];
    if (!log) throw new ZpsError(`no partition ${partition} in topic ${topicName}`, { code: 'not-found' });
    this.totalBytes -= log.deleteBefore(Math.min(offset, log.endOffset));
    this.notify(topicName);
    return log.startOffset;
  }

  /** The topic's Kafka id (16 bytes), or undefined when it does not exist. */
  topicId(topicName: string): Buffer | undefined {
    return this.topics.get(topicName)?.id;
  }

  count(topicName: string): number {
    this.expire(topicName);
    return this.topics.get(topicName)?.logs.reduce((sum, log) => sum + log.count, 0) ?? 0;
  }

  listTopics(): TopicSummary[] {
    return [...this.topics.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([topic, { logs }]) => ({ topic, count: this.count(topic), partitions: logs.length }));
  }

  /** Calls `listener` once, at the next change to the topic (messages, ownership, deletion). */
  watch(topicName: string, listener: () => void): () => void {
    let listeners = this.watchers.get(topicName);
    if (!listeners) this.watchers.set(topicName, (listeners = new Set()));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.watchers.get(topicName) === listeners) this.watchers.delete(topicName);
    };
  }

  /**
   * Empties the named topics as Kafka's DeleteRecords up to their ends does (`zps reset` on Kafka):
   * their partitions, settings and offsets stay, and the next record takes the next offset; their
   * groups' offsets on them are dropped (local mode's reset, README). With no names, drops every
   * topic and group: local mode's clean slate.
   */
  reset(topicNames?: readonly string[]): void {
    if (topicNames === undefined) {
      this.drop();
      return;
    }
    for (const name of topicNames) {
      const topic = this.topics.get(name);
      if (!topic) continue;
      for (const log of topic.logs) this.totalBytes -= log.deleteBefore(log.endOffset);
    }
    this.groups.reset(topicNames);
    for (const name of topicNames) this.notify(name);
  }

  /** Drops the named topics with their groups' offsets of them, or with no names every topic and group. */
  private drop(topicNames?: readonly string[]): void {
    const names = topicNames ?? [...this.topics.keys()];
    for (const name of names) {
      const topic = this.topics.get(name);
      if (topic) {
        for (const log of topic.logs) this.totalBytes -= log.bytes;
        this.structureBytes -= topicBytes(topic.logs.length);
      }
      this.topics.delete(name);
      if (this.unifiedNames.get(unifiedName(name)) === name) this.unifiedNames.delete(unifiedName(name));
    }
    this.groups.reset(topicNames);
    for (const name of names) this.notify(name);
  }

  stats(): BrokerStats {
    let messages = 0;
    for (const name of this.topics.keys()) messages += this.count(name);
    return {
      topics: this.topics.size,
      messages,
      bytes: this.usedBytes(),
      groups: this.groups.size,
      maxMemoryBytes: this.limits.maxMemoryBytes,
    };
  }

  /** What counts against the memory cap: messages, topics and their partitions, and groups. */
  private usedBytes(): number {
    return this.totalBytes + this.structureBytes + this.groups.size * GROUP_OVERHEAD_BYTES;
  }

  /** Refuses what would take the broker past its memory cap (the daemon must never run out of memory). */
  private checkRoom(bytes: number): void {
    const used = this.usedBytes();
    if (used + bytes > this.limits.maxMemoryBytes) {
      throw new ZpsError(`broker memory is full: ${formatBytes(used)} of ${formatBytes(this.limits.maxMemoryBytes)} used`, { reason: 'memory-full' });
    }
  }

  private addTopic(name: string, partitions: number): Topic {
    const topic: Topic = {
      logs: Array.from({ length: partitions }, (_, partition) => new PartitionLog(name, partition)),
      id: newTopicId(),
      configs: new Map(),
      limits: DEFAULT_TOPIC_LIMITS,
    };
    this.topics.set(name, topic);
    this.unifiedNames.set(unifiedName(name), name);
    this.structureBytes += topicBytes(partitions);
    this.groups.topicCreated(name);
    this.notify(name);
    return topic;
  }

  private notify(topicName: string): void {
    const listeners = this.watchers.get(topicName);
    if (!listeners) return;
    this.watchers.delete(topicName);
    for (const listener of listeners) listener();
  }
}

function topicBytes(partitions: number): number {
  return TOPIC_OVERHEAD_BYTES + partitions * PARTITION_OVERHEAD_BYTES;
}

function isRecordArray(records: readonly OutgoingRecord[] | RecordBatch): records is readonly OutgoingRecord[] {
  return Array.isArray(records);
}

/** A random topic id. Global Web Crypto: node:crypto is not loaded where no topic is made (every CLI start). */
function newTopicId(): Buffer {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16)).buffer);
}
