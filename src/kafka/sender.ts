import type { Message, Producer } from 'kafkajs';
import { partitionForKey } from '../memory/murmur2.js';
import { ZpsError, describeError, usageError } from '../pubsub/errors.js';
import { plural, validateTopicName } from '../pubsub/limits.js';
import type { RecordBatch } from '../pubsub/record-batch.js';
import type { PublishResult, RecordSender } from '../pubsub/types.js';
import type { KafkaAdmin } from './admin.js';
import { withDeadline, type KafkaClient, type KafkaSettings } from './connection.js';

/**
 * Publishes batches with kafkajs's idempotent producer, acks from all in-sync replicas. Partitions
 * are chosen here (murmur2 of the key, as Kafka's default partitioner; round robin without a key)
 * so each record's offset can be reported from the partition's base offset.
 */
export class KafkaSender implements RecordSender {
  private producer: Promise<Producer> | undefined;
  private readonly partitionCounts = new Map<string, number>();
  private roundRobin = 0;
  /** The last batch queued, while batches are queued: each goes out after the one before it. */
  private last: Promise<unknown> | undefined;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly admin: KafkaAdmin,
    private readonly settings: KafkaSettings,
  ) {}

  /**
   * Batches go out in the order send() was called. A batch queued behind one that failed is not
   * sent at all (so a dead broker fails a long publish at once, and order is never broken).
   */
  send(topic: string, records: RecordBatch, options: { partitions?: number } = {}): Promise<PublishResult[]> {
    const sent = (this.last ?? Promise.resolve()).then(
      () => this.sendNow(topic, records, options),
      (error: unknown) => {
        throw new ZpsError(`not sent after an earlier batch failed: ${describeError(error).replace(/^not sent after an earlier batch failed: /, '')}`, {
          exitCode: error instanceof ZpsError ? error.exitCode : 1,
        });
      },
    );
    this.last = sent;
    const idle = () => {
      if (this.last === sent) this.last = undefined;
    };
    sent.then(idle, idle);
    return sent;
  }

  private async sendNow(topic: string, records: RecordBatch, options: { partitions?: number }): Promise<PublishResult[]> {
    validateTopicName(topic);
    const count = await this.partitionCount(topic, options.partitions ?? 1);
    const messages: Message[] = [];
    for (let i = 0; i < records.length; i++) {
      const key = records.key(i);
      let partition = records.partition(i);
      if (partition !== undefined && partition >= count) {
        throw usageError(`partition ${partition} does not exist: topic ${topic} has ${plural(count, 'partition')}`);
      }
      partition ??= key === null ? this.roundRobin++ % count : partitionForKey(key, count);
      messages.push({ key, value: records.value(i), headers: records.headers(i), partition });
    }
    const metadata = await withDeadline(this.settings, '', async () => (await this.connected()).send({ topic, acks: -1, messages }));
    const next = new Map(metadata.map((m) => [m.partition, Number(m.baseOffset)]));
    return messages.map(({ key, partition }) => {
      const offset = next.get(partition!)!;
      next.set(partition!, offset + 1);
      return { topic, partition: partition!, offset, key: key as string | null };
    });
  }

  async close(): Promise<void> {
    const producer = await this.producer?.catch(() => undefined);
    this.producer = undefined;
    await producer?.disconnect();
  }

  private connected(): Promise<Producer> {
    this.producer ??= (async () => {
      // Retries bounded (not kafkajs's idempotent default of forever) so a dead broker ends the command.
      // (The partitioner is never asked, since every record gets its partition here.)
      const { Partitioners } = (await import('kafkajs')).default;
      const producer = (await this.kafka()).producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        retry: { retries: 5 },
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      return producer;
    })();
    this.producer.catch(() => (this.producer = undefined));
    return this.producer;
  }

  private async partitionCount(topic: string, partitionsIfNew: number): Promise<number> {
    let count = this.partitionCounts.get(topic);
    if (count === undefined) {
      count = await this.admin.ensureTopic(topic, partitionsIfNew);
      this.partitionCounts.set(topic, count);
    }
    return count;
  }
}
