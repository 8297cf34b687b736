import type { Admin as KafkaAdminClient } from 'kafkajs';
import { usageError } from '../pubsub/errors.js';
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES } from '../wire/record-batch-size.js';
import { validateTopicName } from '../pubsub/limits.js';
import type { Admin, TopicSummary } from '../pubsub/types.js';
import { withDeadline, type KafkaClient, type KafkaSettings } from './connection.js';

/** kafkajs's ConfigResourceTypes.TOPIC (the enum lives in kafkajs, which is loaded on demand). */
const TOPIC_RESOURCE = 2;

export interface PartitionOffsets {
  partition: number;
  start: number;
  end: number;
}

/** Topic inspection and management over a kafkajs admin client, connected on first use. */
export class KafkaAdmin implements Admin {
  private client: Promise<KafkaAdminClient> | undefined;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly settings: KafkaSettings,
  ) {}

  /** Connected on first use; a connection that failed is tried again by the next call. */
  private admin(): Promise<KafkaAdminClient> {
    if (!this.client) {
      const client = (async () => {
        const admin = (await this.kafka()).admin();
        await admin.connect();
        return admin;
      })();
      client.catch(() => {
        if (this.client === client) this.client = undefined;
      });
      this.client = client;
    }
    return this.client;
  }

  private run<T>(what: string, work: (admin: KafkaAdminClient) => Promise<T>, topic?: string): Promise<T> {
    return withDeadline(this.settings, what, async () => work(await this.admin()), topic);
  }

  async createTopic(topic: string, options: { partitions: number }): Promise<void> {
    validateTopicName(topic);
    await this.ensureTopic(topic, options.partitions);
  }

  /** Creates the topic unless it exists; returns its partition count. */
  async ensureTopic(topic: string, partitions = 1): Promise<number> {
    return this.run(`create topic ${topic}`, async (admin) => {
      const existing = await this.partitionCount(admin, topic);
      if (existing !== undefined) return existing;
      try {
        await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
      } catch (error) {
        // created meanwhile by someone else: fine
        if (!/already exists/i.test(String((error as Error).message)) && !hasCode(error, 'TOPIC_ALREADY_EXISTS')) throw error;
      }
      return (await this.partitionCount(admin, topic)) ?? partitions;
    }, topic);
  }

  /** The topic's max.message.bytes: the largest record batch the broker takes for it. */
  async maxMessageBytes(topic: string): Promise<number> {
    return this.run(`read the configuration of ${topic}`, async (admin) => {
      const { resources } = await admin.describeConfigs({
        resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: ['max.message.bytes'] }],
        includeSynonyms: false,
      });
      const value = Number(resources[0]?.configEntries.find((entry) => entry.configName === 'max.message.bytes')?.configValue);
      return Number.isFinite(value) && value > 0 ? value : KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
    }, topic);
  }

  /** Start and end offsets per partition, or undefined when the topic does not exist. */
  async partitionOffsets(topic: string): Promise<PartitionOffsets[] | undefined> {
    return this.run(`read offsets of ${topic}`, (admin) => this.offsetsOf(admin, topic), topic);
  }

  async count(topic: string): Promise<number> {
    validateTopicName(topic);
    const offsets = await this.partitionOffsets(topic);
    return (offsets ?? []).reduce((sum, p) => sum + (p.end - p.start), 0);
  }

  async lag(group: string, topic: string): Promise<number> {
    validateTopicName(topic);
    return this.run(`read the lag of group ${group} on ${topic}`, async (admin) => {
      const offsets = await this.offsetsOf(admin, topic);
      if (!offsets) return 0;
      const committed = await this.committedOffsets(admin, group, topic);
      return offsets.reduce((sum, p) => {
        const position = committed.get(p.partition) ?? p.start;
        return sum + Math.max(0, p.end - Math.max(position, p.start));
      }, 0);
    });
  }

  /** The group's committed offset per partition (partitions without one are absent). */
  async committed(group: string, topic: string): Promise<Map<number, number>> {
    return this.run(`read offsets of group ${group}`, (admin) => this.committedOffsets(admin, group, topic));
  }

  /** Sets a group's offsets; only possible while the group has no live member. */
  async setGroupOffsets(group: string, topic: string, offsets: Map<number, number>): Promise<void> {
    if (offsets.size === 0) return;
    await this.run(`set offsets of group ${group}`, (admin) =>
      admin.setOffsets({
        groupId: group,
        topic,
        partitions: [...offsets].map(([partition, offset]) => ({ partition, offset: String(offset) })),
      }),
    );
  }

  async deleteGroup(group: string): Promise<void> {
    await this.run(`delete group ${group}`, (admin) => admin.deleteGroups([group]));
  }

  async topics(options: { all?: boolean } = {}): Promise<TopicSummary[]> {
    return this.run('list topics', async (admin) => {
      const names = (await admin.listTopics()).filter((t) => options.all || !t.startsWith('_')).sort();
      const summaries: TopicSummary[] = [];
      for (const topic of names) {
        const offsets = (await this.offsetsOf(admin, topic, true)) ?? [];
        summaries.push({ topic, partitions: offsets.length, count: offsets.reduce((s, p) => s + (p.end - p.start), 0) });
      }
      return summaries;
    });
  }

  /** Deletes every record up to the end offsets of the named topics; the topics stay. */
  async reset(topics?: string[]): Promise<void> {
    if (!topics || topics.length === 0) throw usageError('name the topics to reset: outside local mode zps never resets everything');
    topics.forEach(validateTopicName);
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
    const admin = await this.client?.catch(() => undefined);
    this.client = undefined;
    await admin?.disconnect();
  }

  private async partitionCount(admin: KafkaAdminClient, topic: string): Promise<number | undefined> {
    if (!(await admin.listTopics()).includes(topic)) return undefined; // kafkajs retries unknown topics for seconds
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      return topics[0]?.partitions.length;
    } catch (error) {
      if (unknownTopic(error)) return undefined;
      throw error;
    }
  }

  /**
   * Start and end offsets, or undefined for a missing topic. Existence is asked first, of the
   * topic list: kafkajs retries an unknown topic for seconds before it gives up.
   */
  private async offsetsOf(admin: KafkaAdminClient, topic: string, known = false): Promise<PartitionOffsets[] | undefined> {
    if (!known && !(await admin.listTopics()).includes(topic)) return undefined;
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets
        .map((p) => ({ partition: p.partition, start: Number(p.low), end: Number(p.high) }))
        .sort((a, b) => a.partition - b.partition);
    } catch (error) {
      if (unknownTopic(error)) return undefined;
      throw error;
    }
  }

  private async committedOffsets(admin: KafkaAdminClient, group: string, topic: string): Promise<Map<number, number>> {
    const [result] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const committed = new Map<number, number>();
    for (const { partition, offset } of result?.partitions ?? []) {
      if (Number(offset) >= 0) committed.set(partition, Number(offset));
    }
    return committed;
  }
}

function hasCode(error: unknown, type: string): boolean {
  const e = error as { type?: string; errors?: unknown[] };
  return e.type === type || (Array.isArray(e.errors) && e.errors.some((inner) => hasCode(inner, type)));
}

function unknownTopic(error: unknown): boolean {
  return hasCode(error, 'UNKNOWN_TOPIC_OR_PARTITION') || /does not host this topic-partition|unknown topic/i.test(String((error as Error).message));
}
