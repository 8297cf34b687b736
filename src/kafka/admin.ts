import type { Admin as KafkaAdminClient } from 'kafkajs';
import type { GroupInfo, PartitionOffsets, TopicPlacement } from '../pubsub/driver.js';
import { Lazy } from '../pubsub/lazy.js';
import { usageError } from '../pubsub/errors.js';
import type { ErrorName } from '../wire/kafka/errors.js';
import { TOPIC_RESOURCE } from '../wire/kafka/messages.js';
import { withDeadline, type KafkaClient, type KafkaSettings } from './connection.js';
import { loadKafkajsModule } from './packed-kafkajs.js';

/** DescribeConfigs' source of a setting set on the topic itself. */
const TOPIC_CONFIG_SOURCE = 1;

/** The topic settings `zps topics describe` shows, besides every one set on the topic. */
const PLACEMENT_CONFIGS = ['retention.ms', 'retention.bytes', 'cleanup.policy', 'max.message.bytes'];

/**
 * Topics, offsets and groups through a kafkajs admin client, connected on first use: the Kafka
 * driver's metadata half. Every call gives up within the command's timeout and speaks zps's words.
 */
export class KafkaAdmin {
  /** Connected on first use; a connection that failed is tried again by the next call. */
  private readonly client = new Lazy(async () => {
    const admin = (await this.kafka()).admin();
    await admin.connect();
    return admin;
  });

  constructor(
    private readonly kafka: KafkaClient,
    private readonly settings: KafkaSettings,
  ) {}

  private run<T>(what: string, work: (admin: KafkaAdminClient) => Promise<T>, topic?: string): Promise<T> {
    return withDeadline(this.settings, what, async () => work(await this.client.get()), topic);
  }

  async listTopics(): Promise<string[]> {
    return this.run('list topics', (admin) => admin.listTopics());
  }

  async listOffsets(topic: string, atTime?: number): Promise<PartitionOffsets[] | undefined> {
    return this.run(`read offsets of ${topic}`, (admin) => this.offsetsOf(admin, topic, atTime), topic);
  }

  async committedOffsets(group: string, topic: string): Promise<Map<number, number>> {
    return this.run(
      `read offsets of group ${group}`,
      async (admin) => {
        const [result] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        const committed = new Map<number, number>();
        for (const { partition, offset } of result?.partitions ?? []) {
          if (Number(offset) >= 0) committed.set(partition, Number(offset));
        }
        return committed;
      },
      topic,
    );
  }

  /** Sets a group's offsets; only possible while the group has no live member. */
  async setGroupOffsets(group: string, topic: string, offsets: Map<number, number>): Promise<void> {
    if (offsets.size === 0) return;
    await this.run(`set offsets of group ${group}`, (admin) =>
      admin.setOffsets({ groupId: group, topic, partitions: [...offsets].map(([partition, offset]) => ({ partition, offset: String(offset) })) }),
    );
  }

  /** Deletes the group; Kafka refuses one with members (NON_EMPTY_GROUP). */
  async deleteGroup(group: string): Promise<void> {
    await this.run(`delete group ${group}`, (admin) => admin.deleteGroups([group]));
  }

  /** Deletes every record up to the end offsets of the named topics; the topics and their offsets stay. */
  async reset(topics?: readonly string[]): Promise<void> {
    if (!topics || topics.length === 0) throw usageError('name the topics to reset: outside local mode zps never resets everything');
    await this.run(`reset ${topics.join(', ')}`, async (admin) => {
      for (const topic of topics) {
        const offsets = await this.offsetsOf(admin, topic);
        if (!offsets) continue;
        await admin.deleteTopicRecords({
          topic,
          partitions: offsets.filter((p) => p.end > p.start).map((p) => ({ partition: p.partition, offset: String(p.end) })),
        });
      }
    });
  }

  async close(): Promise<void> {
    await (await this.client.release())?.disconnect();
  }

  /** Leaders, replicas and in-sync replicas of each partition, and the settings users ask about. */
  async placement(topic: string): Promise<TopicPlacement | undefined> {
    return this.run(
      `describe ${topic}`,
      async (admin) => {
        if (!(await admin.listTopics()).includes(topic)) return undefined;
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        const { resources } = await admin.describeConfigs({
          resources: [{ type: TOPIC_RESOURCE, name: topic }],
          includeSynonyms: false,
        });
        const configs: Record<string, string> = {};
        const shown = (resources[0]?.configEntries ?? [])
          .filter(({ configName, configSource }) => PLACEMENT_CONFIGS.includes(configName) || configSource === TOPIC_CONFIG_SOURCE)
          .sort((a, b) => (a.configName < b.configName ? -1 : 1));
        for (const { configName, configValue } of shown) configs[configName] = configValue;
        const partitions = (topics[0]?.partitions ?? [])
          .map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: [...p.replicas].sort((a, b) => a - b), isr: [...p.isr].sort((a, b) => a - b) }))
          .sort((a, b) => a.partition - b.partition);
        return { partitions, configs };
      },
      topic,
    );
  }

  /** Consumer groups (Kafka's classic protocol "consumer"), by name. */
  async listGroups(): Promise<string[]> {
    return this.run('list groups', async (admin) =>
      (await admin.listGroups()).groups
        .filter((g) => g.protocolType === 'consumer' || g.protocolType === '')
        .map((g) => g.groupId)
        .sort(),
    );
  }

  /** The group's state, members with their partitions, and committed offsets of every topic. */
  async describeGroup(group: string): Promise<GroupInfo | undefined> {
    const { AssignerProtocol } = await loadKafkajsModule();
    return this.run(`describe group ${group}`, async (admin) => {
      const [described] = (await admin.describeGroups([group])).groups;
      const committed = (await admin.fetchOffsets({ groupId: group })).flatMap(({ topic, partitions }) =>
        partitions.filter((p) => Number(p.offset) >= 0).map((p) => ({ topic, partition: p.partition, offset: Number(p.offset) })),
      );
      if (!described || (described.state === 'Dead' && committed.length === 0)) return undefined;
      const members = described.members.map((member) => {
        const assignment = member.memberAssignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment : undefined;
        return {
          id: member.memberId,
          clientId: member.clientId,
          host: member.clientHost,
          partitions: Object.entries(assignment ?? {}).map(([topic, partitions]) => ({ topic, partitions: [...partitions].sort((a, b) => a - b) })),
        };
      });
      return { group, state: described.state, members, committed };
    });
  }

  /**
   * Start and end offsets, or undefined for a missing topic. Existence is asked first, of the
   * topic list: kafkajs retries an unknown topic for seconds before it gives up.
   */
  private async offsetsOf(admin: KafkaAdminClient, topic: string, atTime?: number): Promise<PartitionOffsets[] | undefined> {
    if (!(await admin.listTopics()).includes(topic)) return undefined;
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      // kafkajs answers a time after every record with the partition's end
      const atTimes =
        atTime === undefined ? undefined : new Map((await admin.fetchTopicOffsetsByTimestamp(topic, atTime)).map((p) => [p.partition, Number(p.offset)]));
      return offsets
        .map((p) => ({
          partition: p.partition,
          start: Number(p.low),
          end: Number(p.high),
          ...(atTimes ? { atTime: atTimes.get(p.partition) ?? Number(p.high) } : {}),
        }))
        .sort((a, b) => a.partition - b.partition);
    } catch (error) {
      if (unknownTopic(error)) return undefined;
      throw error;
    }
  }
}

/** Whether kafkajs's error (or one it wraps) is Kafka's error `type`. */
function hasCode(error: unknown, type: ErrorName): boolean {
  const e = error as { type?: string; errors?: unknown[] };
  return e.type === type || (Array.isArray(e.errors) && e.errors.some((inner) => hasCode(inner, type)));
}

function unknownTopic(error: unknown): boolean {
  return hasCode(error, 'UNKNOWN_TOPIC_OR_PARTITION') || /does not host this topic-partition|unknown topic/i.test(String((error as Error).message));
}
