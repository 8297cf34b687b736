import { DaemonClient } from '../daemon/client.js';
import { connectDaemon } from '../daemon/connect.js';
import type { BrokerService } from '../memory/service.js';
import { ZpsError, usageError } from '../pubsub/errors.js';
import { plural } from '../pubsub/wording.js';
import { Lazy } from '../pubsub/lazy.js';
import type { Driver, GroupMember, PollResult, TopicInfo, TopicPlacement, WaitOptions, GroupInfo } from '../pubsub/driver.js';
import type { RecordBatch } from '../records/record-batch.js';
import type { ClusterDescription, NewTopic, StartOffset, TopicChange } from '../pubsub/types.js';
import type { Settings } from '../settings.js';
// the memory broker's default (its MAX_BATCH_BYTES), without loading the broker's code here
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES } from '../wire/record-batch-size.js';

/**
 * Local mode's driver: the memory broker, hosted by the daemon (reached on its socket, started
 * when none answers) or in this process. A thin translation to the BrokerService, which the
 * daemon's protocol carries call for call.
 */
export class LocalDriver implements Driver {
  private readonly connection = new Lazy(() => this.connect());
  /** The daemon (its pid) that acknowledged records this driver sent, and how many: they live in it alone. */
  private acked: { by: number; records: number } | undefined;

  /** `service`: the broker's, given by the daemon to the commands it runs itself (src/cli/one-shot.ts). */
  constructor(
    private readonly settings: Settings,
    private readonly given?: BrokerService,
  ) {}

  /** The broker service, connecting (and connecting again after the daemon went away) on demand. */
  private async service(): Promise<BrokerService> {
    const kept = this.connection.get();
    const service = await kept;
    if (!(service instanceof DaemonClient && service.isClosed)) return service;
    this.connection.forget(kept);
    return this.connection.get();
  }

  private connect(): Promise<BrokerService> {
    const { settings } = this;
    if (this.given) return Promise.resolve(this.given);
    return settings.inProcess
      ? import('./in-process.js').then(({ inProcessService }) => inProcessService()) // the broker code, only where it runs
      : connectDaemon({
          socket: settings.socket,
          autostart: settings.autostart,
          timeoutMs: settings.timeoutMs,
          daemon: { limits: settings.daemonLimits, kafka: settings.daemonKafka },
          onStarting: settings.onDaemonStarting,
        });
  }

  async describeTopic(topic: string): Promise<TopicInfo | undefined> {
    const service = await this.service();
    const [offsets, settings] = await Promise.all([service.partitionOffsets(topic), service.topicSettings(topic)]);
    return offsets ? { partitions: offsets.length, maxBatchBytes: settings?.maxBatchBytes ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES } : undefined;
  }

  async createTopic(topic: string, partitions: number): Promise<TopicInfo> {
    await (await this.service()).createTopic(topic, partitions);
    return (await this.describeTopic(topic))!;
  }

  async listTopics(): Promise<string[]> {
    return (await (await this.service()).listTopics()).map((summary) => summary.topic);
  }

  async listOffsets(topic: string, atTime?: number) {
    return (await (await this.service()).partitionOffsets(topic, atTime)) ?? undefined;
  }

  async send(topic: string, records: RecordBatch) {
    // Records sent after others that a daemon acknowledged join those, or fail with them when it
    // stopped (before this send, or under it): sending them to the next daemon would hide the
    // loss. Sends begun after that was said go to the next one.
    const after = this.acked;
    const service = await this.service();
    const daemon = service instanceof DaemonClient ? service.hello.pid : undefined;
    if (after && daemon !== after.by) throw this.daemonStopped(after);
    try {
      const acks = await service.produce(topic, records);
      if (daemon !== undefined) this.acked = { by: daemon, records: (this.acked?.by === daemon ? this.acked.records : 0) + records.length };
      return acks;
    } catch (error) {
      const held = this.acked;
      if (service instanceof DaemonClient && service.isClosed && held !== undefined && held.by === daemon) throw this.daemonStopped(held);
      throw error;
    }
  }

  /** The loss of what `acked` counts, said once per stop: sends begun after it go to the next daemon. */
  private daemonStopped(acked: { by: number; records: number }): ZpsError {
    if (this.acked === acked) this.acked = undefined;
    return new ZpsError(`the local daemon at ${this.settings.socket} stopped: ${plural(acked.records, 'message')} it had acknowledged went with it`, {
      code: 'unavailable',
      reason: 'daemon-stopped',
    });
  }

  async fetch(topic: string, positions: ReadonlyArray<readonly [number, number]>, options: WaitOptions) {
    return (await this.service()).fetch(
      topic,
      positions.map(([partition, offset]) => [partition, offset]),
      options,
    );
  }

  async join(group: string, topic: string, start: StartOffset): Promise<GroupMember> {
    const service = await this.service();
    return new LocalMember(service, await service.join(group, topic, start));
  }

  async committedOffsets(group: string, topic: string): Promise<Map<number, number>> {
    return new Map(await (await this.service()).committed(group, topic));
  }

  /** One copy, in the daemon: no replicas to show; the settings set on the topic. */
  async placement(topic: string): Promise<TopicPlacement | undefined> {
    const settings = await (await this.service()).topicSettings(topic);
    return settings ? { partitions: [], configs: settings.configs } : undefined;
  }

  async listGroups(): Promise<string[]> {
    return (await this.service()).listGroups();
  }

  async describeGroup(group: string): Promise<GroupInfo | undefined> {
    return (await (await this.service()).describeGroup(group)) ?? undefined;
  }

  // administration: groups and cluster

  async setCommittedOffsets(group: string, topic: string, offsets: ReadonlyMap<number, number>): Promise<void> {
    await (await this.service()).setCommittedOffsets(group, topic, [...offsets]);
  }

  async deleteGroup(group: string): Promise<void> {
    await (await this.service()).deleteGroup(group);
  }

  async deleteGroupOffsets(group: string, topic: string): Promise<void> {
    await (await this.service()).deleteGroupOffsets(group, topic);
  }

  async describeCluster(): Promise<ClusterDescription> {
    return (await this.service()).cluster();
  }

  async reset(topics?: readonly string[]): Promise<void> {
    await (await this.service()).reset(topics === undefined ? undefined : [...topics]);
  }

  // administration: topics
  /** One copy of each partition, as a one-broker cluster: a replication factor over 1 is refused, as Kafka refuses one over its brokers. */
  async createTopicWith(topic: string, spec: NewTopic): Promise<boolean> {
    if ((spec.replicationFactor ?? 1) !== 1) {
      throw usageError(`cannot create topic ${topic} with replication factor ${spec.replicationFactor}: local mode keeps one copy of each partition`);
    }
    return (await this.service()).createTopicWith(topic, spec.partitions, spec.configs ?? {});
  }

  async alterTopic(topic: string, change: TopicChange): Promise<void> {
    await (await this.service()).alterTopic(topic, change);
  }

  async deleteTopic(topic: string): Promise<boolean> {
    return (await this.service()).deleteTopic(topic);
  }

  async close(): Promise<void> {
    await (await this.connection.release())?.close();
  }
}

/** A group member of the memory broker: commits travel with its next call, as Kafka clients batch them. */
class LocalMember implements GroupMember {
  private pending = new Map<number, number>();
  private leaving: Promise<void> | undefined;

  constructor(
    private readonly service: BrokerService,
    private readonly id: string,
  ) {}

  poll(options: WaitOptions): Promise<PollResult> {
    return this.service.poll(this.id, this.takeCommits(), options);
  }

  commit(partition: number, offset: number): void {
    this.pending.set(partition, offset);
  }

  release(partitions: readonly number[]): Promise<void> {
    return this.service.release(this.id, this.takeCommits(), [...partitions]);
  }

  leave(): Promise<void> {
    this.leaving ??= this.service.leave(this.id, this.takeCommits());
    return this.leaving;
  }

  private takeCommits(): Array<[number, number]> {
    if (this.pending.size === 0) return [];
    const commits = [...this.pending];
    this.pending = new Map();
    return commits;
  }
}
