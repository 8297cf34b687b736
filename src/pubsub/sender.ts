import type { Driver, TopicInfo } from './driver.js';
import { checkBatchRecord, checkRecordFits, validateTopicName } from './limits.js';
import { checkPartition } from './partitioner.js';
import type { AckRun, RecordBatch } from '../records/record-batch.js';
import type { PreparedTopic, RecordSender } from './types.js';

/**
 * Sends batches through a driver, checking each record first as the broker would (its partition
 * exists, it fits the topic's size limits), so a bad record is refused with the same words in
 * every environment. Topics are created on first send; what is known of a topic is kept.
 */
export class DriverSender implements RecordSender {
  private readonly topics = new Map<string, Promise<TopicInfo>>();

  constructor(private readonly driver: () => Promise<Driver>) {}

  async prepare(topic: string, options: { partitions?: number } = {}): Promise<PreparedTopic> {
    const { partitions, maxBatchBytes } = await this.topic(topic, options.partitions);
    return {
      partitions,
      check: (key, valueLength, headers) => checkRecordFits(topic, maxBatchBytes, key, valueLength, headers),
      send: async (records) => (await this.driver()).send(topic, records),
    };
  }

  async send(topic: string, records: RecordBatch, options: { partitions?: number } = {}): Promise<AckRun[]> {
    const { partitions, maxBatchBytes } = await this.topic(topic, options.partitions);
    for (let i = 0; i < records.length; i++) {
      const partition = records.partition(i);
      if (partition !== undefined) checkPartition(topic, partition, partitions);
      checkBatchRecord(topic, maxBatchBytes, records, i);
    }
    return (await this.driver()).send(topic, records);
  }

  async close(): Promise<void> {}

  private topic(topic: string, partitionsIfNew = 1): Promise<TopicInfo> {
    let info = this.topics.get(topic);
    if (!info) {
      validateTopicName(topic);
      info = this.driver().then(async (driver) => {
        driver.prepareToSend?.();
        return (await driver.describeTopic(topic)) ?? driver.createTopic(topic, partitionsIfNew);
      });
      info.catch(() => this.topics.delete(topic));
      this.topics.set(topic, info);
    }
    return info;
  }
}
