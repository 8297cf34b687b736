import type { Driver, GroupInfo, GroupMember, PartitionOffsets, PartitionRecords, TopicInfo, TopicPlacement, WaitOptions } from '../pubsub/driver.js';
import { Lazy } from '../pubsub/lazy.js';
import { startingOffsets } from '../pubsub/offsets.js';
import { Partitioner } from '../pubsub/partitioner.js';
import type { AckRun, RecordBatch } from '../records/record-batch.js';
import type { ClusterDescription, NewTopic, StartOffset, TopicChange } from '../pubsub/types.js';
import type { Settings } from '../settings.js';
import { KafkaAdmin } from './admin.js';
import type { ConnectionPool } from './client/connection-pool.js';
import { createCluster, kafkaError, withDeadline, type KafkaSettings } from './connection.js';
import { KafkaFetcher } from './fetcher.js';
import { KafkaGroupMember } from './group/member.js';
import { anyBroker, call, callBroker, withCoordinator, type Cluster } from './internals.js';
import { KafkaErrorCode } from '../wire/kafka/errors.js';
import { brokerError, Metadata, OffsetDelete } from '../wire/kafka/messages.js';
import { KafkaProducer } from './producer.js';
import { describeTopicFor, type KnownLeaders } from './topic-metadata.js';
import * as topicAdmin from './topic-admin.js';

/** How long a topic that does not exist yet is waited for between looks. */
const TOPIC_POLL_MS = 500;

/**
 * Kafka mode's driver: connections (SASL, TLS) and metadata of zps's own (src/kafka/client,
 * reached through internals.ts), over which go offsets and groups (admin.ts), the idempotent
 * producer's requests, the reads without a group (fetcher.ts: `zps consume` joins no group) and
 * group members (group/).
 */
export class KafkaDriver implements Driver {
  private readonly admin: KafkaAdmin;
  private readonly producer: KafkaProducer;
  private readonly fetcher: KafkaFetcher;
  private readonly members = new Set<KafkaGroupMember>();
  private readonly cluster = new Lazy(() => this.connectedCluster());
  private readonly settings: KafkaSettings;
  /** Topics' leaders as the last Metadata answers told them: offsets listed, then fetched, with no second Metadata. */
  private readonly leaders: KnownLeaders = new Map();
  /** The cluster being connected (or connected): what close() ends. */
  private connecting: Cluster | undefined;

  /** `connectionPool`: idle connections to take before making new ones, and to leave at close. */
  constructor(settings: Settings, connectionPool?: ConnectionPool) {
    const { brokers, sasl, tls, timeoutMs, verbose } = settings;
    this.settings = { brokers, sasl, tls, timeoutMs, verbose, connectionPool };
    this.admin = new KafkaAdmin(() => this.cluster.get(), this.settings, this.leaders);
    this.fetcher = new KafkaFetcher(() => this.cluster.get(), this.settings, this.admin, this.leaders);
    this.producer = new KafkaProducer(() => this.cluster.get(), this.settings, new Partitioner(() => Math.floor(Math.random() * 1024)), this.leaders);
  }

  describeTopic(topic: string): Promise<TopicInfo | undefined> {
    return this.describe(topic, false);
  }

  async createTopic(topic: string, partitions: number): Promise<TopicInfo> {
    // created meanwhile by someone else (false) is as good
    await this.request(`create topic ${topic}`, topic, (cluster) => topicAdmin.createTopic(cluster, topic, { partitions }, this.settings.timeoutMs));
    return (await this.describe(topic, true))!;
  }

  /**
   * The topic's partitions and limit, asked on the producer's connection (topic-metadata.ts).
   * `created`: the topic was just made, and a broker's metadata may trail the controller's for a
   * moment, so it is asked again until it is known.
   */
  private describe(topic: string, created: boolean): Promise<TopicInfo | undefined> {
    return withDeadline(
      this.settings,
      `describe ${topic}`,
      async () => {
        const described = await describeTopicFor(await this.cluster.get(), topic, this.settings.timeoutMs, this.leaders);
        if (!described && created) throw Object.assign(new Error(`topic ${topic} was created but is not known yet`), { retriable: true });
        return described;
      },
      topic,
    );
  }

  // administration: topics
  async createTopicWith(topic: string, spec: NewTopic): Promise<boolean> {
    const created = await this.request(`create topic ${topic}`, topic, (cluster) => topicAdmin.createTopic(cluster, topic, spec, this.settings.timeoutMs));
    if (created) await this.describe(topic, true); // known to the broker zps publishes through before it says so
    return created;
  }

  async alterTopic(topic: string, change: TopicChange): Promise<void> {
    const { partitions } = change;
    const { timeoutMs } = this.settings;
    if (partitions !== undefined) {
      // settings the brokers refuse must leave the partitions as they were: they are checked first
      await this.request(`change topic ${topic}`, topic, (cluster) => topicAdmin.alterConfigs(cluster, topic, change, timeoutMs, true));
      await this.request(`grow topic ${topic}`, topic, (cluster) => topicAdmin.growPartitions(cluster, topic, partitions, timeoutMs));
    }
    await this.request(`change topic ${topic}`, topic, (cluster) => topicAdmin.alterConfigs(cluster, topic, change, timeoutMs));
  }

  deleteTopic(topic: string): Promise<boolean> {
    return this.request(`delete topic ${topic}`, topic, (cluster) => topicAdmin.deleteTopic(cluster, topic, this.settings.timeoutMs));
  }

  private request<T>(what: string, topic: string, work: (cluster: Cluster) => Promise<T>): Promise<T> {
    return withDeadline(this.settings, what, async () => work(await this.cluster.get()), topic);
  }

  listTopics(): Promise<string[]> {
    return this.admin.listTopics();
  }

  listOffsets(topic: string, atTime?: number): Promise<PartitionOffsets[] | undefined> {
    return this.admin.listOffsets(topic, atTime);
  }

  prepareToSend(): void {
    this.producer.prepare();
  }

  send(topic: string, records: RecordBatch, info: TopicInfo): Promise<AckRun[]> {
    return this.producer.send(topic, records, info);
  }

  fetch(topic: string, positions: ReadonlyArray<readonly [number, number]>, options: WaitOptions): Promise<PartitionRecords[]> {
    return this.fetcher.fetch(topic, positions, options);
  }

  /**
   * A member of `group` on `topic`. Partitions the group has no committed offset for start at
   * `start`; a topic that does not exist yet is waited for (consuming never creates one) and then
   * read from its beginning.
   */
  async join(group: string, topic: string, start: StartOffset, known?: PartitionOffsets[]): Promise<GroupMember> {
    const connected = () => withDeadline(this.settings, `join group ${group} on ${topic}`, () => this.connectedCluster());
    const cluster = await connected();
    const fetching = await connected().catch(async (error: unknown) => {
      await cluster.disconnect();
      throw error;
    });
    const member = new KafkaGroupMember(
      {
        cluster,
        fetching,
        settings: this.settings,
        admin: this.admin,
        commitAsAdmin: (offsets) => this.admin.setGroupOffsets(group, topic, offsets),
      },
      group,
      topic,
    );
    this.members.add(member);
    const begin = async (offsets: PartitionOffsets[], from: StartOffset) => {
      const committed = await this.admin.committedOffsets(group, topic);
      const starts = startingOffsets(offsets, committed, from);
      // Committed now, the group starts there whoever joins first (and its lag counts from there);
      // a group with members running refuses it, and then the member starts there when assigned.
      await this.admin.setGroupOffsets(group, topic, starts).catch(() => {});
      await member.start(starts);
    };
    const offsets = known ?? (await this.listOffsets(topic, start.kind === 'time' ? start.timestamp : undefined));
    if (offsets) await begin(offsets, start);
    else {
      void (async () => {
        let created: PartitionOffsets[] | undefined;
        while (!member.isLeaving && !(created = await this.listOffsets(topic).catch(() => undefined))) {
          await new Promise((resolve) => setTimeout(resolve, TOPIC_POLL_MS));
        }
        if (created && !member.isLeaving) await begin(created, { kind: 'beginning' });
      })().catch((error: unknown) => member.failWith(error));
    }
    return member;
  }

  committedOffsets(group: string, topic: string): Promise<Map<number, number>> {
    return this.admin.committedOffsets(group, topic);
  }

  placement(topic: string): Promise<TopicPlacement | undefined> {
    return this.admin.placement(topic);
  }

  listGroups(): Promise<string[]> {
    return this.admin.listGroups();
  }

  describeGroup(group: string): Promise<GroupInfo | undefined> {
    return this.admin.describeGroup(group);
  }

  // administration: groups and cluster

  /** Kafka refuses an admin's commit while the group has members. */
  setCommittedOffsets(group: string, topic: string, offsets: ReadonlyMap<number, number>): Promise<void> {
    return this.admin.setGroupOffsets(group, topic, offsets);
  }

  deleteGroup(group: string): Promise<void> {
    return this.admin.deleteGroup(group);
  }

  /** Kafka's OffsetDelete, sent to the group's coordinator for the partitions the group committed. */
  async deleteGroupOffsets(group: string, topic: string): Promise<void> {
    const partitions = [...(await this.admin.committedOffsets(group, topic)).keys()];
    if (partitions.length === 0) return;
    await withDeadline(this.settings, `delete offsets on ${topic} of group ${group}`, async () => {
      const cluster = await this.cluster.get();
      await withCoordinator(cluster, group, async (coordinator) => {
        const response = await call(
          cluster,
          coordinator,
          OffsetDelete,
          { groupId: group, topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex })) }] },
          this.settings.timeoutMs,
        );
        const code = [response.errorCode, ...response.topics.flatMap((t) => t.partitions.map((p) => p.errorCode))].find((c) => c !== KafkaErrorCode.NONE);
        if (code !== undefined) throw brokerError(code, `deleting offsets on ${topic} of group ${group}`);
      });
    });
  }

  /** From Metadata, racks included. */
  async describeCluster(): Promise<ClusterDescription> {
    return withDeadline(this.settings, 'describe the cluster', async () => {
      const metadata = await callBroker(
        await anyBroker(await this.cluster.get()),
        Metadata,
        { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false },
        this.settings.timeoutMs,
      );
      return {
        clusterId: metadata.clusterId ?? '',
        controller: metadata.controllerId,
        brokers: metadata.brokers.map((b) => ({ id: b.nodeId, address: `${b.host}:${b.port}`, rack: b.rack })).sort((a, b) => a.id - b.id),
      };
    });
  }

  reset(topics?: readonly string[]): Promise<void> {
    return this.admin.reset(topics);
  }

  async close(): Promise<void> {
    await Promise.all([...this.members].map((member) => member.leave()));
    await this.producer.close().catch(() => {});
    // a connect still trying an unreachable broker ends now, not at the timeout
    await this.connecting?.disconnect();
    const cluster = await this.cluster.release();
    await cluster?.disconnect();
  }

  /** A cluster with connections of its own: the driver's, and one per group member. */
  private async connectedCluster(): Promise<Cluster> {
    const cluster = createCluster(this.settings);
    this.connecting = cluster;
    try {
      await cluster.connect();
    } catch (error) {
      throw kafkaError(error, this.settings);
    }
    return cluster;
  }
}
