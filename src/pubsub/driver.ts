/**
 * The driver interface: what a backend (the local broker, Kafka) implements, and all it
 * implements. Everything the backends share lives above it, once, in src/pubsub: batching and
 * pipelining of publishes, partition checks and message-size checks, retries and the delivery loop
 * of consumers, the readers of `zps consume` with their end-of-log tracking, counts and lag.
 * Modelled on Go CDK's pubsub driver: a driver is small, and says per method what it guarantees.
 *
 * Errors are ZpsErrors with a code; `retriable` ones (a connection lost) may succeed when tried again.
 */
import type { AckRun, RecordBatch } from '../records/record-batch.js';
import type { ClusterDescription, NewTopic, StartOffset, TopicChange } from './types.js';
import type { DeliveredRecord } from '../records/record.js';

/** What a driver knows of a topic. */
export interface TopicInfo {
  partitions: number;
  /** The largest record batch a partition takes (Kafka's max.message.bytes). */
  maxBatchBytes: number;
}

/** A partition's first offset and the offset the next record will get: it holds end - start records. */
export interface PartitionOffsets {
  partition: number;
  start: number;
  end: number;
  /** Asked with a time: the first offset whose record was stored at or after it (end when none). */
  atTime?: number;
}

/** Where a partition's copies are (Kafka; a local topic has one copy, in the daemon). */
export interface PartitionReplicas {
  partition: number;
  leader: number;
  replicas: number[];
  /** In-sync replicas. */
  isr: number[];
}

/** What a broker holds of a topic besides its records: where its copies are, and its settings. */
export interface TopicPlacement {
  partitions: PartitionReplicas[];
  /** The settings a user asks about (retention.ms, retention.bytes, cleanup.policy, max.message.bytes). */
  configs: Record<string, string>;
}

/** A consumer group as its coordinator knows it. */
export interface GroupInfo {
  group: string;
  /** Kafka's names: Stable, PreparingRebalance, CompletingRebalance, Empty, Dead. */
  state: string;
  members: Array<{ id: string; clientId: string; host: string; partitions: Array<{ topic: string; partitions: number[] }> }>;
  /** Committed offsets: the next offset to read, per topic and partition. */
  committed: Array<{ topic: string; partition: number; offset: number }>;
}

/** Records read from one partition, in offset order. */
export interface PartitionRecords {
  partition: number;
  records: DeliveredRecord[];
  /**
   * Where the partition's next read starts, when that is not after the last record: past records
   * left out (control records, aborted transactions), or at a new start (records deleted).
   */
  next?: number;
}

export interface WaitOptions {
  /** At most this many records in all (at least one when there is one). */
  maxRecords: number;
  /** About this many bytes in all (at least one record when there is one). */
  maxBytes: number;
  /** Long poll: wait up to this long for something to return; 0 returns at once. */
  waitMs: number;
  /** Ends the wait early (the call then resolves with what it has, possibly nothing). */
  signal?: AbortSignal;
}

/** What a group member's poll gets: its records (as a driver hands them out, or as the memory broker reads them), and what changed of its partitions. */
export interface PollResult<Batch = PartitionRecords> {
  batches: Batch[];
  /**
   * Partitions taken from this member (another member joined, say). The caller finishes and
   * commits what it holds of them, then calls release(); records of them it has not handled are
   * not its own any more.
   */
  revoked: number[];
  /** The partitions the member owns, with the offset its next poll reads from. */
  positions: Array<[partition: number, offset: number]>;
  /**
   * Aborts when the group took these batches' partitions before the caller was done with them (a
   * Kafka rebalance waits only so long for it). Within its 'abort' listeners the caller commits
   * what it handled, which goes out before the partitions do; it handles none of the rest, which
   * is the next owner's.
   */
  lost?: AbortSignal;
}

/**
 * One member of a consumer group on one topic. Partitions are shared among the group's members;
 * a partition new to the group starts at the group's committed offset, or where the group started.
 */
export interface GroupMember {
  /**
   * Records of the partitions it owns, after its position, waiting up to `waitMs` for some. It
   * resolves only once the member knows its partitions (a Kafka member waits for its first
   * assignment), so `positions` are always the member's.
   */
  poll(options: WaitOptions): Promise<PollResult>;
  /**
   * Marks `offset` (the next one to read) as the partition's committed position. Takes no time:
   * the driver sends it with the next call, periodically, and before the partition changes hands.
   */
  commit(partition: number, offset: number): void;
  /** Sends what was committed, then gives up revoked partitions to their next owner. */
  release(partitions: readonly number[]): Promise<void>;
  /** Sends what was committed and leaves the group. Idempotent. */
  leave(): Promise<void>;
}

export interface Driver {
  /** The topic's partitions and limits, or undefined when it does not exist. Never creates it. */
  describeTopic(topic: string): Promise<TopicInfo | undefined>;

  /** Creates the topic with `partitions` unless it exists (an existing one stays as it is). */
  createTopic(topic: string, partitions: number): Promise<TopicInfo>;

  /** Every topic's name, internal ones (`__consumer_offsets`) included. */
  listTopics(): Promise<string[]>;

  /**
   * Offsets of every partition, in partition order, or undefined when the topic does not exist.
   * With `atTime` (ms since the epoch), each partition's `atTime` offset too (Kafka's ListOffsets by timestamp).
   */
  listOffsets(topic: string, atTime?: number): Promise<PartitionOffsets[] | undefined>;

  /**
   * Stores a batch of records, each in its partition when it names one, else in the one the
   * driver's partitioner picks (murmur2 of the key; round robin without). Resolves once every
   * record is stored (Kafka: acknowledged by all in-sync replicas), with runs of acks covering
   * the records in batch order. Batches sent one after another are stored in that order per partition; a batch
   * that fails stores nothing of a partition that failed. `info` is the topic as described or
   * created by this driver (the sender keeps it): what Kafka's record batches must fit.
   */
  send(topic: string, records: RecordBatch, info: TopicInfo): Promise<AckRun[]>;

  /** A hint that sends are coming: what they need first (Kafka: a producer id) may be asked now, while the topic is described. */
  prepareToSend?(): void;

  /** Records from each partition at or after the given offsets, without a group, waiting up to `waitMs`. */
  fetch(topic: string, positions: ReadonlyArray<readonly [partition: number, offset: number]>, options: WaitOptions): Promise<PartitionRecords[]>;

  /**
   * Joins `group` on `topic`. A group new to the topic starts at `start`, fixed now; a topic created
   * later at its beginning. `offsets`: the topic's, as listOffsets(topic, the start's time) just gave
   * them, for a driver that would otherwise ask again.
   */
  join(group: string, topic: string, start: StartOffset, offsets?: PartitionOffsets[]): Promise<GroupMember>;

  /** The group's committed offset of each partition of the topic that has one. */
  committedOffsets(group: string, topic: string): Promise<Map<number, number>>;

  /** Where the topic's copies are and its settings; undefined when the topic does not exist, or the backend keeps one copy and no settings. */
  placement(topic: string): Promise<TopicPlacement | undefined>;

  /** Every consumer group's name. */
  listGroups(): Promise<string[]>;

  /** The group's state, members and committed offsets; undefined when there is no such group. */
  describeGroup(group: string): Promise<GroupInfo | undefined>;

  // administration: groups and cluster

  /** Sets the group's committed offsets on the topic; refused while the group has active members. */
  setCommittedOffsets(group: string, topic: string, offsets: ReadonlyMap<number, number>): Promise<void>;

  /** Deletes the group (its offsets, every topic); refused while it has active members. */
  deleteGroup(group: string): Promise<void>;

  /** Deletes the group's committed offsets on the topic (Kafka's OffsetDelete); refused while members read it. */
  deleteGroupOffsets(group: string, topic: string): Promise<void>;

  /** The cluster's id, brokers and controller. */
  describeCluster(): Promise<ClusterDescription>;

  /**
   * Deletes messages: the named topics' records up to their end offsets (the topics, their settings
   * and offsets stay, as Kafka's DeleteRecords; local mode also drops their groups' offsets). No
   * topics: everything, where the backend allows.
   */
  reset(topics?: readonly string[]): Promise<void>;

  // administration: topics
  /** Creates the topic with its settings; false when it exists (unchanged). Settings the backend does not take are refused (usage), naming them. */
  createTopicWith(topic: string, spec: NewTopic): Promise<boolean>;
  /** Grows partitions and sets or removes settings; not-found for a missing topic, usage for fewer partitions or a setting refused. */
  alterTopic(topic: string, change: TopicChange): Promise<void>;
  /** Deletes the topic (its groups' offsets of it go too); false when it does not exist. */
  deleteTopic(topic: string): Promise<boolean>;

  /** Closes its connections; members and waits in progress end. */
  close(): Promise<void>;
}
