import type { BrokerService } from '../memory/service.js';
import { MAX_BATCH_BYTES } from '../memory/broker.js';
import { checkRecordFits, validateTopicName } from '../pubsub/limits.js';
import type { RecordBatch } from '../pubsub/record-batch.js';
import type { Admin, PreparedTopic, RecordAck, RecordSender, TopicSummary } from '../pubsub/types.js';

export class LocalAdmin implements Admin {
  constructor(private readonly service: () => Promise<BrokerService>) {}

  async createTopic(topic: string, options: { partitions: number }): Promise<void> {
    await (await this.service()).createTopic(topic, options.partitions);
  }

  async count(topic: string): Promise<number> {
    validateTopicName(topic);
    return (await this.service()).count(topic);
  }

  async lag(group: string, topic: string): Promise<number> {
    validateTopicName(topic);
    return (await this.service()).lag(group, topic);
  }

  async topics(): Promise<TopicSummary[]> {
    return (await this.service()).listTopics();
  }

  async reset(topics?: string[]): Promise<void> {
    topics?.forEach(validateTopicName);
    await (await this.service()).reset(topics);
  }
}

export class LocalSender implements RecordSender {
  constructor(private readonly service: () => Promise<BrokerService>) {}

  async prepare(topic: string, options?: { partitions?: number }): Promise<PreparedTopic> {
    const service = await this.service();
    await service.createTopic(topic, options?.partitions ?? 1);
    const partitions = (await service.partitionOffsets(topic))?.length ?? options?.partitions ?? 1;
    return { partitions, check: (key, valueLength, headers) => checkRecordFits(topic, MAX_BATCH_BYTES, key, valueLength, headers) };
  }

  async send(topic: string, records: RecordBatch, options?: { partitions?: number }): Promise<RecordAck[]> {
    return (await this.service()).produce(topic, records, options);
  }

  async close(): Promise<void> {}
}
