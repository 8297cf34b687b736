import { ZpsError, usageError } from '../pubsub/errors.js';
import { checkBatchRecord, validateTopicName } from '../pubsub/limits.js';
import { formatBytes } from '../pubsub/wording.js';
import { Partitioner, checkPartition } from '../pubsub/partitioner.js';
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES } from '../wire/record-batch-size.js';
import { resolveStart } from '../pubsub/offsets.js';
import type { PartitionOffsets, GroupInfo, PollResult } from '../pubsub/driver.js';
import type { StartOffset, TopicSummary } from '../pubsub/types.js';
import type { OutgoingRecord } from '../records/record.js';
import { Group, Subscription, desiredOwner, type Member } from './group.js';
import type { LogSlice } from './log-slice.js';
import { PartitionLog, RECORD_OVERHEAD_BYTES } from './partition-log.js';
import { outgoingBatch, type AckRun, type RecordBatch } from '../records/record-batch.js';
import { MAX_TOPIC_PARTITIONS, oversizedCreation } from './topic-policy.js';

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

/** Records of one partition, as the broker reads them (see LogSlice). */
export interface PartitionSlice {
  partition: number;
  slice: LogSlice;
}

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
}

/**
 * Groups whose members are Kafka clients on the daemon's Kafka listener (its classic-protocol
 * coordinator). A group has members on one door at a time; committed offsets are shared.
 */
export interface ForeignGroups {
  /** The group's state and members, or undefined when no Kafka client is a member. */
  describe(group: string): Pick<GroupInfo, 'state' | 'members'> | undefined;
  /** Groups with Kafka clients as members. */
  names(): string[];
}

/**
 * The in-memory broker: Kafka's model (partitioned append-only logs, consumer groups with committed
 * offsets and partitions shared among members) with no I/O, so it can live in-process or in the daemon.
 */
export class MemoryBroker {
  private readonly topics = new Map<string, Topic>();
  private readonly groups = new Map<string, Group>();
  private readonly members = new Map<string, Member>();
  private readonly watchers = new Map<string, Set<() => void>>();
  /** What the stored messages cost against the memory cap. */
  private totalBytes = 0;
  /** What the topics and their partitions cost against it (groups are counted as they are). */
  private structureBytes = 0;
  private memberSeq = 0;
  /** Set by a host that also answers Kafka clients (see ForeignGroups). */
  foreignGroups: ForeignGroups | undefined;
  /** Where records that name no partition go: the one place every producer's keyless records round robin. */
  private readonly partitioner = new Partitioner();
  readonly limits: BrokerLimits;

  constructor(limits: Partial<BrokerLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Creates the topic unless it exists (then its partition count stays as it is, as in Kafka). */
  createTopic(topicName: string, partitions = 1): void {
    validateTopicName(topicName);
    if (!this.topics.has(topicName)) {
      this.checkRoom(this.checkNewTopic(topicName, partitions));
      this.addTopic(topicName, partitions);
    }
  }

  /**
   * Throws unless a topic of `partitions` is one Kafka would create (see topic-policy.ts); returns
   * what it costs against the memory cap.
   */
  checkNewTopic(topicName: string, partitions: number): number {
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw usageError(`invalid partition count ${partitions}: use a whole number from 1`);
    }
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
      const size = checkBatchRecord(topicName, MAX_BATCH_BYTES, batch, i);
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
    for (const log of touched) {
      this.totalBytes -= log.trim(this.limits.retentionMessages, this.limits.retentionBytes);
    }
    this.notify(topicName);
    return acks;
  }

  /** With `atTime`, each partition's first offset stored at or after it too (its end when none), as Kafka's ListOffsets. */
  partitionOffsets(topicName: string, atTime?: number): PartitionOffsets[] | undefined {
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
    return this.topics.get(topicName)?.logs.reduce((sum, log) => sum + log.count, 0) ?? 0;
  }

  /** The group's committed offset of each partition of the topic that has one. */
  committed(groupName: string, topicName: string): Array<[number, number]> {
    return [...(this.groups.get(groupName)?.committed.get(topicName) ?? [])];
  }

  /** Commits for a group as a whole, no member needed (Kafka clients commit through their own coordinator). */
  commitOffsets(groupName: string, topicName: string, offsets: ReadonlyArray<readonly [partition: number, offset: number]>): void {
    let group = this.groups.get(groupName);
    if (!group) this.groups.set(groupName, (group = new Group()));
    for (const [partition, offset] of offsets) group.commit(topicName, partition, offset);
  }

  /** True when zps's own consumers are members of the group. */
  hasMembers(groupName: string): boolean {
    return (this.groups.get(groupName)?.subscriptions.size ?? 0) > 0;
  }

  /** Every group's name, in name order. */
  listGroups(): string[] {
    return [...new Set([...this.groups.keys(), ...(this.foreignGroups?.names() ?? [])])].sort();
  }

  /** A group as Kafka's DescribeGroups and OffsetFetch tell of it: Stable with members, else Empty. */
  describeGroup(groupName: string): GroupInfo | undefined {
    const group = this.groups.get(groupName);
    const foreign = this.foreignGroups?.describe(groupName);
    if (!group) return foreign && { group: groupName, ...foreign, committed: [] };
    const members: GroupInfo['members'] = [];
    for (const [topic, subscription] of group.subscriptions) {
      for (const member of subscription.members) {
        const owned = [...subscription.owners].filter(([, owner]) => owner === member).map(([partition]) => partition);
        members.push({ id: member.id, clientId: 'zps', host: 'local', partitions: [{ topic, partitions: owned.sort((a, b) => a - b) }] });
      }
    }
    const committed = [...group.committed].flatMap(([topic, offsets]) => [...offsets].map(([partition, offset]) => ({ topic, partition, offset })));
    if (foreign) return { group: groupName, ...foreign, committed };
    return { group: groupName, state: members.length > 0 ? 'Stable' : 'Empty', members, committed };
  }

  listTopics(): TopicSummary[] {
    return [...this.topics.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([topic, { logs }]) => ({ topic, count: this.count(topic), partitions: logs.length }));
  }

  /** Joins `group` on `topic`; a group new to the topic starts at `start`, fixed now. */
  join(groupName: string, topicName: string, start: StartOffset): string {
    validateTopicName(topicName);
    if (this.foreignGroups?.describe(groupName)?.members.length) {
      throw new ZpsError(`group ${groupName} has Kafka clients as members: a group has members on one door of the daemon at a time`, {
        reason: 'group-on-kafka-door',
      });
    }
    let group = this.groups.get(groupName);
    if (!group) this.groups.set(groupName, (group = new Group()));
    if (!group.committed.has(topicName) && !group.startAt.has(topicName)) {
      const positions = new Map<number, number>();
      this.topics.get(topicName)?.logs.forEach((log, partition) => {
        const atTime = start.kind === 'time' ? log.offsetAtTime(start.timestamp) : undefined;
        positions.set(partition, resolveStart({ start: log.startOffset, end: log.endOffset, atTime }, start));
      });
      group.startAt.set(topicName, positions);
      // committed at once, as zps's Kafka driver does: the group's lag and offsets say where it starts
      for (const [partition, offset] of positions) group.commit(topicName, partition, offset);
    }
    let subscription = group.subscriptions.get(topicName);
    if (!subscription) group.subscriptions.set(topicName, (subscription = new Subscription()));
    const member: Member = {
      id: `m${++this.memberSeq}`,
      group: groupName,
      topic: topicName,
      positions: new Map(),
      revoking: new Set(),
    };
    subscription.members.push(member);
    this.members.set(member.id, member);
    this.rebalance(groupName, topicName);
    return member.id;
  }

  /** The member's next records from the partitions it owns, and what it must release. */
  poll(memberId: string, maxRecords: number, maxBytes: number): PollResult<PartitionSlice> {
    const member = this.member(memberId);
    const topic = this.topics.get(member.topic);
    const batches: PartitionSlice[] = [];
    if (topic) {
      let budget = maxRecords;
      for (const [partition, position] of member.positions) {
        if (budget <= 0) break;
        if (member.revoking.has(partition)) continue;
        const log = topic.logs[partition]!;
        const from = readableFrom(log, position);
        if (from !== position) member.positions.set(partition, from);
        const slice = log.slice(from, budget, maxBytes);
        if (slice.length === 0) continue;
        member.positions.set(partition, slice.lastOffset + 1);
        batches.push({ partition, slice });
        budget -= slice.length;
      }
    }
    return { batches, revoked: [...member.revoking], positions: [...member.positions] };
  }

  /** Commits offsets of partitions the member owns; commits for partitions it lost are ignored. */
  commit(memberId: string, offsets: ReadonlyArray<readonly [partition: number, offset: number]>): void {
    const member = this.member(memberId);
    const group = this.groups.get(member.group)!;
    for (const [partition, offset] of offsets) {
      if (member.positions.has(partition)) group.commit(member.topic, partition, offset);
    }
  }

  /** Gives up revoked partitions so their new owners start at the committed offsets. */
  release(memberId: string, partitions: readonly number[]): void {
    const member = this.member(memberId);
    for (const partition of partitions) {
      if (!member.revoking.has(partition)) continue;
      member.revoking.delete(partition);
      member.positions.delete(partition);
      this.groups.get(member.group)?.subscriptions.get(member.topic)?.owners.delete(partition);
    }
    this.rebalance(member.group, member.topic);
  }

  leave(memberId: string): void {
    const member = this.members.get(memberId);
    if (!member) return;
    this.members.delete(memberId);
    const group = this.groups.get(member.group)!;
    const subscription = group.subscriptions.get(member.topic)!;
    subscription.members.splice(subscription.members.indexOf(member), 1);
    for (const partition of member.positions.keys()) subscription.owners.delete(partition);
    if (subscription.members.length === 0) group.subscriptions.delete(member.topic);
    this.rebalance(member.group, member.topic);
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

  memberTopic(memberId: string): string {
    return this.member(memberId).topic;
  }

  /** Drops the named topics with their groups' offsets, or with no names every topic and group. */
  reset(topicNames?: readonly string[]): void {
    const names = topicNames ?? [...this.topics.keys()];
    for (const name of names) {
      const topic = this.topics.get(name);
      if (topic) {
        for (const log of topic.logs) this.totalBytes -= log.bytes;
        this.structureBytes -= topicBytes(topic.logs.length);
      }
      this.topics.delete(name);
      for (const group of this.groups.values()) {
        group.forgetTopic(name);
        // Live members keep their subscription and start over when the topic comes back.
        const subscription = group.subscriptions.get(name);
        if (subscription) {
          subscription.owners.clear();
          for (const member of subscription.members) {
            member.positions.clear();
            member.revoking.clear();
          }
        }
      }
    }
    if (!topicNames) {
      for (const group of this.groups.values()) {
        group.committed.clear();
        group.startAt.clear();
      }
    }
    for (const [name, group] of this.groups) if (group.isEmpty) this.groups.delete(name);
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
    const topic: Topic = { logs: Array.from({ length: partitions }, (_, partition) => new PartitionLog(name, partition)), id: newTopicId() };
    this.topics.set(name, topic);
    this.structureBytes += topicBytes(partitions);
    for (const group of this.groups.values()) {
      if (group.subscriptions.has(name)) this.rebalance(group, name);
    }
    this.notify(name);
    return topic;
  }

  /**
   * Moves partitions toward the round-robin assignment. A partition changes hands only after its
   * owner released it (having committed what it handled), so no two members ever read it at once.
   */
  private rebalance(groupOrName: Group | string, topicName: string): void {
    const group = typeof groupOrName === 'string' ? this.groups.get(groupOrName) : groupOrName;
    const subscription = group?.subscriptions.get(topicName);
    const topic = this.topics.get(topicName);
    if (group && subscription && topic) {
      topic.logs.forEach((log, partition) => {
        const desired = desiredOwner(partition, subscription.members)!;
        const owner = subscription.owners.get(partition);
        if (owner === undefined) {
          subscription.owners.set(partition, desired);
          desired.positions.set(partition, readableFrom(log, group.positionFor(topicName, partition) ?? log.startOffset));
          desired.revoking.delete(partition);
        } else if (owner !== desired) {
          owner.revoking.add(partition);
        } else {
          owner.revoking.delete(partition);
        }
      });
    }
    this.notify(topicName);
  }

  private member(memberId: string): Member {
    const member = this.members.get(memberId);
    if (!member) throw new ZpsError(`unknown group member ${memberId}: it left or was never joined`);
    return member;
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

/**
 * Where a member reads a partition from: `position`, unless its records were deleted (below the
 * log's start) or it is past the end; then the log's start, as Kafka's auto.offset.reset=earliest.
 */
function readableFrom(log: PartitionLog, position: number): number {
  return position < log.startOffset || position > log.endOffset ? log.startOffset : position;
}

function isRecordArray(records: readonly OutgoingRecord[] | RecordBatch): records is readonly OutgoingRecord[] {
  return Array.isArray(records);
}

/** A random topic id. Global Web Crypto: node:crypto is not loaded where no topic is made (every CLI start). */
function newTopicId(): Buffer {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16)).buffer);
}
