import type { Driver, TopicInfo } from './driver.js';
import { ZpsError } from './errors.js';
import { checkBatchRecord, checkRecordFits, validateTopicName } from './limits.js';
import { LazyMap } from './lazy.js';
import { checkPartition } from './partitioner.js';
import type { AckRun, RecordBatch } from '../records/record-batch.js';
import type { PreparedTopic, RecordSender } from './types.js';

/**
 * Sends batches through a driver, checking each record first as the broker would (its partition
 * exists, it fits the topic's size limits), so a bad record is refused with the same words in
 * every environment. Topics are created on first send; what is known of a topic is kept.
 */
export class DriverSender implements RecordSender {
  private readonly topics = new LazyMap<string, TopicInfo>();

  constructor(private readonly driver: () => Promise<Driver>) {}

  async prepare(topic: string, options: { partitions?: number } = {}): Promise<PreparedTopic> {
    const info = await this.topic(topic, options.partitions);
    // one stream of records (a CLI publish): once the daemon that held its start is gone, so is the stream
    let lost: ZpsError | undefined;
    return {
      partitions: info.partitions,
      check: (key, valueLength, headers) => checkRecordFits(topic, info.maxBatchBytes, key, valueLength, headers),
      send: async (records) => {
        if (lost) throw lost;
        try {
          return await (await this.driver()).send(topic, records, info);
        } catch (error) {
          if (error instanceof ZpsError && error.reason === 'daemon-stopped') lost = error;
          throw error;
        }
      },
    };
  }

  async send(topic: string, records: RecordBatch, options: { partitions?: number } = {}): Promise<AckRun[]> {
    const info = await this.topic(topic, options.partitions);
    for (let i = 0; i < records.length; i++) {
      const partition = records.partition(i);
      if (partition !== undefined) checkPartition(topic, partition, info.partitions);
      checkBatchRecord(topic, info.maxBatchBytes, records, i);
    }
    return (await this.driver()).send(topic, records, info);
  }

  async close(): Promise<void> {}

  private topic(topic: string, partitionsIfNew = 1): Promise<TopicInfo> {
    return this.topics.get(topic, async () => {
      validateTopicName(topic);
      const driver = await this.driver();
      driver.prepareToSend?.();
      return (await driver.describeTopic(topic)) ?? driver.createTopic(topic, partitionsIfNew);
    });
  }
}
