import type { GroupInfo, PartitionOffsets, PartitionRecords, PollResult, WaitOptions } from '../pubsub/driver.js';
import type { AckRun, RecordBatch } from '../records/record-batch.js';
import type { ClusterDescription, StartOffset, TopicChange, TopicSummary } from '../pubsub/types.js';
import type { BrokerStats, MemoryBroker } from './broker.js';
import type { PartitionSlice } from './log-slice.js';
import { longPoll } from './long-poll.js';

/** A topic's settings as set, and the largest record batch it takes. */
export interface TopicSettings {
  maxBatchBytes: number;
  configs: Record<string, string>;
}

/** A partition and an offset in it. */
export type Position = [partition: number, offset: number];

/**
 * The async face of the memory broker: what the local driver calls. Served in-process
 * (InProcessService) or by the daemon over its socket (DaemonClient), the same methods with the
 * same meaning: the daemon's protocol carries this interface call for call (daemon/protocol.ts).
 */
export interface BrokerService {
  /** Appends atomically; acks as runs of consecutive offsets, in the batch's order. */
  produce(topic: string, records: RecordBatch): Promise<AckRun[]>;
  createTopic(topic: string, partitions: number): Promise<void>;
  partitionOffsets(topic: string, atTime?: number): Promise<PartitionOffsets[] | null>;
  fetch(topic: string, positions: Position[], options: WaitOptions): Promise<PartitionRecords[]>;
  listTopics(): Promise<TopicSummary[]>;
  /** The group's committed offsets on the topic. */
  committed(group: string, topic: string): Promise<Position[]>;
  listGroups(): Promise<string[]>;
  describeGroup(group: string): Promise<GroupInfo | null>;
  reset(topics?: string[]): Promise<void>;
  // administration: groups and cluster
  setCommittedOffsets(group: string, topic: string, offsets: Position[]): Promise<void>;
  deleteGroup(group: string): Promise<void>;
  deleteGroupOffsets(group: string, topic: string): Promise<void>;
  /** The broker as one node; the daemon tells its socket and Kafka listener. */
  cluster(): Promise<ClusterDescription>;
  join(group: string, topic: string, start: StartOffset): Promise<string>;
  /** Commits `commits` first, then long-polls the member's partitions. */
  poll(memberId: string, commits: Position[], options: WaitOptions): Promise<PollResult>;
  /** Commits, then gives up the revoked partitions. */
  release(memberId: string, commits: Position[], partitions: number[]): Promise<void>;
  /** Commits, then leaves the group. */
  leave(memberId: string, commits: Position[]): Promise<void>;
  stats(): Promise<BrokerStats>;
  // administration: topics
  /** Creates the topic with its settings; false when it exists (unchanged). */
  createTopicWith(topic: string, partitions: number, configs: Record<string, string>): Promise<boolean>;
  /** Grows partitions, sets and removes settings (MemoryBroker.alterTopic). */
  alterTopic(topic: string, change: TopicChange): Promise<void>;
  /** Deletes the topic with its groups' offsets of it; false when it does not exist. */
  deleteTopic(topic: string): Promise<boolean>;
  /** The topic's settings, or null when it does not exist. */
  topicSettings(topic: string): Promise<TopicSettings | null>;
  /** Ends this connection to the broker (the broker and its messages stay). */
  close(): Promise<void>;
}

export class InProcessService implements BrokerService {
  constructor(readonly broker: MemoryBroker) {}

  async produce(topic: string, records: RecordBatch) {
    return this.broker.produce(topic, records);
  }

  async createTopic(topic: string, partitions: number) {
    this.broker.createTopic(topic, partitions);
  }

  async partitionOffsets(topic: string, atTime?: number) {
    return this.broker.partitionOffsets(topic, atTime) ?? null;
  }

  async fetch(topic: string, positions: Position[], options: WaitOptions) {
    return asRecords(await this.fetchSlices(topic, positions, options));
  }

  /**
   * fetch() as the broker reads it: slices the daemon encodes without making a record object. A
   * topic deleted (before or while waiting) answers at once, as Kafka's Fetch answers
   * UNKNOWN_TOPIC_OR_PARTITION: its reader looks and starts over when it is created again.
   */
  fetchSlices(topic: string, positions: Position[], options: WaitOptions): Promise<PartitionSlice[]> {
    return longPoll(
      this.broker,
      [topic],
      () => this.broker.fetch(topic, positions, options.maxRecords, options.maxBytes),
      (batches) => batches.length > 0 || !this.broker.hasTopic(topic),
      options.waitMs,
      options.signal,
    );
  }

  async committed(group: string, topic: string) {
    return this.broker.groups.committed(group, topic);
  }

  async listGroups() {
    return this.broker.groups.list();
  }

  async describeGroup(group: string) {
    return this.broker.groups.info(group) ?? null;
  }

  async listTopics() {
    return this.broker.listTopics();
  }

  async reset(topics?: string[]) {
    this.broker.reset(topics);
  }

  async setCommittedOffsets(group: string, topic: string, offsets: Position[]) {
    this.broker.groups.setOffsets(group, topic, offsets);
  }

  async deleteGroup(group: string) {
    this.broker.groups.deleteGroup(group);
  }

  async deleteGroupOffsets(group: string, topic: string) {
    this.broker.groups.deleteOffsets(group, topic);
  }

  async cluster(): Promise<ClusterDescription> {
    return localCluster(this.broker.clusterId, 'in-process', null);
  }

  async join(group: string, topic: string, start: StartOffset) {
    return this.broker.groups.join(group, topic, start);
  }

  async poll(memberId: string, commits: Position[], options: WaitOptions) {
    const result = await this.pollSlices(memberId, commits, options);
    return { ...result, batches: asRecords(result.batches) };
  }

  /** poll() as the broker reads it (see fetchSlices). */
  pollSlices(memberId: string, commits: Position[], options: WaitOptions): Promise<PollResult<PartitionSlice>> {
    this.broker.groups.commit(memberId, commits);
    return longPoll(
      this.broker,
      [this.broker.groups.memberTopic(memberId)],
      () => this.broker.groups.poll(memberId, options.maxRecords, options.maxBytes),
      (result) => result.batches.length > 0 || result.revoked.length > 0,
      options.waitMs,
      options.signal,
    );
  }

  async release(memberId: string, commits: Position[], partitions: number[]) {
    this.broker.groups.commit(memberId, commits);
    this.broker.groups.release(memberId, partitions);
  }

  async leave(memberId: string, commits: Position[]) {
    this.broker.groups.commit(memberId, commits);
    this.broker.groups.leave(memberId);
  }

  async stats() {
    return this.broker.stats();
  }

  // administration: topics
  async createTopicWith(topic: string, partitions: number, configs: Record<string, string>) {
    return this.broker.createTopicWith(topic, partitions, configs);
  }

  async alterTopic(topic: string, change: TopicChange) {
    this.broker.alterTopic(topic, change);
  }

  async deleteTopic(topic: string) {
    return this.broker.deleteTopic(topic);
  }

  async topicSettings(topic: string) {
    const configs = this.broker.topicConfigs(topic);
    return configs ? { maxBatchBytes: this.broker.maxBatchBytes(topic), configs } : null;
  }

  async close() {}
}

/** The memory broker as a cluster of one node, the controller, at `address` (the daemon's socket). */
export function localCluster(clusterId: string, address: string, kafka: string | null): ClusterDescription {
  return { clusterId, controller: 0, brokers: [{ id: 0, address, rack: null, kafka }] };
}

function asRecords(slices: PartitionSlice[]): PartitionRecords[] {
  return slices.map(({ partition, slice }) => ({ partition, records: slice.toRecords() }));
}
