/** The portable pub/sub API: what every implementation (in-process, daemon, Kafka) provides. */
import type { AckRun, RecordBatch } from '../records/record-batch.js';
import type { DeliveredRecord, RecordHeaders, RecordPosition } from '../records/record.js';
import type { ZpsError } from './errors.js';
import type { ProtobufSchemaOptions, SchemaReferenceSpec, SchemaRegistry } from './factory.js';

/** The headers library consumers read: each name's value as UTF-8 text (the last one, when a name repeats). */
export type Headers = Record<string, string>;

/** Headers a library publisher accepts: an object, or [name, value] pairs (names may repeat). */
export type HeadersInput = Record<string, string> | ReadonlyArray<readonly [string, string | Buffer | null]>;

/** The message type travels as this header in every environment (Kafka included). */
export const TYPE_HEADER = 'zps-type';

export interface MessageMeta extends RecordPosition {
  /** The key as UTF-8 text (see rawKey for keys that are not text). */
  key: string | null;
  /** Headers other than the type header, as text; a repeated name gives its last value (see rawHeaders). */
  headers: Headers;
  type?: string;
  /** The key's bytes, exactly as stored. */
  rawKey: Buffer | null;
  /** Every header other than the type header, in order, repeated names included, values as bytes. */
  rawHeaders: RecordHeaders;
  /** True for a tombstone: a record whose value is null (the message is then null too). */
  tombstone: boolean;
}

export type MessageHandler<T = unknown> = (message: T, meta: MessageMeta) => void | Promise<void>;

export interface PublishOptions {
  headers?: HeadersInput;
  /** Explicit partition; otherwise the key's murmur2 partition, or round robin without a key. */
  partition?: number;
}

export interface PublishResult {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
}

export interface Publisher {
  readonly topic: string;
  /** Resolves once the broker has acknowledged (stored) the message. The value is encoded as JSON. */
  publish(key: string | Buffer | null, value: unknown, options?: PublishOptions): Promise<PublishResult>;
  /** Waits for every publish in flight, then releases the publisher. */
  close(): Promise<void>;
}

export interface PublisherFactory {
  create(topic: string, messageType?: string): Promise<Publisher>;
}

export interface ConsumeOptions {
  /** A group with no committed offset starts at the beginning instead of the end. */
  fromBeginning?: boolean;
}

export interface Consumer {
  /**
   * Subscribes `handler` to `topic` and resolves once the subscription is live.
   * With `messageType`, messages of another type are skipped (untyped messages are delivered).
   */
  consume<T = unknown>(topic: string, handler: MessageHandler<T>, messageType?: string, options?: ConsumeOptions): Promise<void>;
  /** Stops delivery, lets handlers in progress finish, commits what they handled. */
  close(): Promise<void>;
}

export interface ConsumerFactory {
  /** A consumer in the factory's consumer group, or in `group` when given. */
  create(options?: { group?: string }): Consumer;
}

/** Where a reader starts in each partition: kcat's -o beginning|end|N|-N, or @time (its first message at or after it). */
export type StartOffset =
  | { kind: 'beginning' }
  | { kind: 'end' }
  | { kind: 'absolute'; offset: number }
  | { kind: 'tail'; count: number }
  | { kind: 'time'; timestamp: number };

export interface ReaderOptions {
  /** A topic, several (read together), or a pattern: the topics whose names match, and, following, those created later. */
  topic: string | readonly string[] | RegExp;
  /** Join this group (start at its committed offsets, commit what is marked); none: commit nothing. */
  group?: string;
  start: StartOffset;
  /** Keep waiting at the end of the log instead of finishing at the end offsets seen at open. */
  follow: boolean;
  /** Only these partitions (without a group); every partition when absent. */
  partitions?: readonly number[];
  /**
   * Each partition ends at its first message stored after this time (ms since the epoch), which is
   * not handed out; following, a partition caught up once the time has passed ends too.
   */
  until?: number;
  /**
   * Following, told when a read fails in a way trying again may cure (a broker or the schema
   * registry unreachable) and the reader starts waiting for it (once per wait), and told undefined
   * when the wait ends.
   */
  onWaiting?: (cause: Error | undefined) => void;
  /**
   * Opening gives up when it aborts (Ctrl-C while a group member joins, or while brokers are waited
   * for): it rejects at once with an `interrupted` ZpsError, and what it opened meanwhile is closed.
   */
  signal?: AbortSignal;
  /** With a group: told as the reader, its topic's offsets read, starts joining the group (once per topic). */
  onJoining?: () => void;
}

export interface GroupDeletion {
  topic?: string;
  /** Awaited once the groups are checked, before the first is deleted (a person asked): a rejection deletes none. */
  confirm?: () => Promise<void>;
}

/** A low-level cursor over one topic, for tools that print messages (zps consume). */
export interface RecordReader {
  /**
   * The next batch; null once finished (end reached without follow, or closed). `wanted`: at most
   * how many more records the caller will take; a batch that brings them fetches nothing ahead.
   */
  next(wanted?: number): Promise<DeliveredRecord[] | null>;
  /** Records that this record and all before it in its partition are done (committed with a group). */
  markDone(record: DeliveredRecord): void;
  /**
   * With a group on Kafka: aborts when the group took the partitions of the batch next() returned
   * last before the caller was done with it (a rebalance waits only 3 s for it). Within its 'abort'
   * listeners the caller marks done what it handled, committed as the partitions go; it handles
   * none of the rest of the batch, which their next owner reads.
   */
  readonly lost?: AbortSignal;
  /**
   * Set when the reader closed while a read still awaited an answer it needs (the schema
   * registry's, before any failure said why): what a deadline that closed it cut short.
   */
  readonly stalledOn?: ZpsError;
  /** Commits what was marked, leaves the group, ends a pending next() with null. */
  close(): Promise<void>;
}

/** A topic ready for sending, and the check of what its broker takes. */
export interface PreparedTopic {
  partitions: number;
  /** Throws a usage error for a record the broker could never take (over a size limit). */
  check(key: Uint8Array | null, valueLength: number, headers: RecordHeaders): void;
  /**
   * Sends records that each passed check(), to partitions that exist, without checking them
   * again (a million lines are not checked twice): runs of acks in the batch's order.
   */
  send(records: RecordBatch): Promise<AckRun[]>;
}

/** Sends batches of encoded records; each batch is acknowledged whole or fails. */
export interface RecordSender {
  /** Creates the topic when missing (with `partitions`, default 1); learns its partitions and limits. */
  prepare(topic: string, options?: { partitions?: number }): Promise<PreparedTopic>;
  /** Runs of acks covering the records in the batch's order. */
  send(topic: string, records: RecordBatch, options?: { partitions?: number }): Promise<AckRun[]>;
  close(): Promise<void>;
}

export interface TopicSummary {
  topic: string;
  count: number;
  partitions: number;
}

/** A topic's partitions with their offsets, and on Kafka where its copies are and its settings. */
export interface TopicDescription {
  topic: string;
  partitions: Array<{ partition: number; first: number; next: number; count: number; leader?: number; replicas?: number[]; isr?: number[] }>;
  /** Settings: Kafka's retention.ms, retention.bytes, cleanup.policy, max.message.bytes and every one set on the topic; local mode's as set. */
  configs?: Record<string, string>;
}

// administration: topics

/** A topic to create: partitions, copies (Kafka; the broker's default when absent) and settings under Kafka's names. */
export interface NewTopic {
  partitions: number;
  replicationFactor?: number;
  configs?: Record<string, string>;
}

/** A change to a topic: more partitions (never fewer), settings set, settings removed (back to the default). */
export interface TopicChange {
  partitions?: number;
  set?: Record<string, string>;
  unset?: string[];
}

export interface GroupSummary {
  group: string;
  /** Kafka's names: Stable, PreparingRebalance, CompletingRebalance, Empty, Dead. */
  state: string;
  members: number;
  topics: string[];
  /** Messages of its topics it has not committed (as `count -g`). */
  lag: number;
}

export interface GroupDescription {
  group: string;
  state: string;
  /** Every partition of the group's topics: committed (null: never), the end, the lag. */
  partitions: Array<{ topic: string; partition: number; committed: number | null; end: number; lag: number }>;
  members: Array<{ id: string; clientId: string; host: string; partitions: Array<{ topic: string; partitions: number[] }> }>;
}

/** Where `groups reset` moves a group's offsets (Kafka's --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by). */
export type OffsetTarget =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'offset'; offset: number }
  | { kind: 'time'; timestamp: number }
  | { kind: 'shift'; by: number };

export interface OffsetResetOptions {
  /** These topics (every partition, or `partitions`); none: the topics the group has committed offsets on. */
  topics?: readonly string[];
  to: OffsetTarget;
  partitions?: readonly number[];
  /** Apply the plan; without, only tell it. */
  execute?: boolean;
}

/** One partition of a reset's plan: its committed offset now (null: none) and the new one, within [start, end]. */
export interface OffsetResetPlan {
  topic: string;
  partition: number;
  committed: number | null;
  offset: number;
}

export interface ClusterDescription {
  clusterId: string;
  controller: number;
  /** Kafka: host:port of each broker; local: the daemon's socket, and its Kafka listener's address (null without one). */
  brokers: Array<{ id: number; address: string; rack: string | null; kafka?: string | null }>;
}

export interface Admin {
  /** Creates the topic with that many partitions; an existing topic is left as it is. */
  createTopic(topic: string, options: { partitions: number }): Promise<void>;
  /** Messages the topic holds now (0 when it does not exist). */
  count(topic: string): Promise<number>;
  /** Messages of the topic not yet committed by the group. */
  lag(group: string, topic: string): Promise<number>;
  topics(options?: { all?: boolean }): Promise<TopicSummary[]>;
  /** The topic's partitions and offsets (and on Kafka replicas and settings); undefined when it does not exist. */
  describeTopic(topic: string): Promise<TopicDescription | undefined>;
  /** Every consumer group, with its state, members, topics and lag. */
  groups(): Promise<GroupSummary[]>;
  /** The group's partitions with committed offset, end and lag, and its members; undefined when there is no such group. */
  describeGroup(group: string): Promise<GroupDescription | undefined>;
  /** Empties the topics as Kafka's DeleteRecords (partitions, settings and offsets stay; local: their groups' offsets go); no topic: drops everything (local only). */
  reset(topics?: string[]): Promise<void>;

  // administration: groups and cluster

  /** The plan of moving the group's offsets, applied with `execute`; refused while the group has active members. */
  resetGroupOffsets(group: string, options: OffsetResetOptions): Promise<OffsetResetPlan[]>;
  /**
   * Deletes the groups, or with `topic` only their committed offsets on that topic. Every group
   * must exist with no active member, and the topic too, before any is changed: none is half-deleted.
   */
  deleteGroup(groups: string | readonly string[], options?: GroupDeletion): Promise<void>;
  /** The cluster's id, brokers and controller. */
  cluster(): Promise<ClusterDescription>;

  // administration: topics
  /** Creates the topic with its settings; false when it exists (then it stays as it is). A setting the broker does not take is refused naming it. */
  createTopicWith(topic: string, spec: NewTopic): Promise<boolean>;
  /** Grows the topic's partitions (fewer or as many is a usage error) and sets or removes settings. */
  alterTopic(topic: string, change: TopicChange): Promise<void>;
  /** Deletes the topic, its records and its groups' offsets of it; false when it does not exist. */
  deleteTopic(topic: string): Promise<boolean>;
}

/** The application API: publishers, consumers, and topic administration. */
export interface PubSubFactory {
  readonly environment: string;
  getPublisherFactory(): PublisherFactory;
  getConsumerFactory(): ConsumerFactory;
  getAdmin(): Admin;
  /** Closes every publisher, consumer and connection the factory made. */
  close(): Promise<void>;
}

/** The tools API, what the zps command is made of: raw batches of bytes and cursors over topics. */
export interface ToolsFactory extends PubSubFactory {
  getSender(): RecordSender;
  openReader(options: ReaderOptions): Promise<RecordReader>;
  /** Registers a schema file (.avsc, .json, .proto with its message and import paths) under the subject; encodes values with it (Kafka with a registry). */
  valueEncoder(schemaFile: string, subject: string, references?: SchemaReferenceSpec[], protobuf?: ProtobufSchemaOptions): Promise<(value: unknown) => Buffer>;
  /** The schema registry (Kafka with one configured; else a usage error naming `what` needs it). */
  schemaRegistry(what?: string): Promise<SchemaRegistry>;
}
