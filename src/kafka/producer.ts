import type { Message, Producer } from 'kafkajs';
import type { TopicInfo } from '../pubsub/driver.js';
import { ZpsError, codeOf, describeError, usageError } from '../pubsub/errors.js';
import type { Partitioner } from '../pubsub/partitioner.js';
import type { RecordBatch } from '../pubsub/record-batch.js';
import type { RecordAck } from '../pubsub/types.js';
import { RECORD_BATCH_HEADER_BYTES, recordBytes } from '../wire/record-batch-size.js';
import { withDeadline, type KafkaClient, type KafkaSettings } from './connection.js';
import { toKafkaHeaders } from './records.js';

/** A produce request carries at most about this much: well under the broker's socket.request.max.bytes. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

/**
 * Publishes batches with kafkajs's idempotent producer, acks from all in-sync replicas. Each record
 * gets its partition here, so its offset can be reported from the partition's base offset; a batch
 * is split into produce requests whose per-partition record batches fit the topic's max.message.bytes.
 */
export class KafkaProducer {
  private producer: Promise<Producer> | undefined;
  /** The last batch queued, while batches are queued: each goes out after the one before it. */
  private last: Promise<unknown> | undefined;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly settings: KafkaSettings,
    private readonly partitioner: Partitioner,
  ) {}

  /**
   * Batches go out in the order send() was called. A batch queued behind one that failed is not
   * sent at all (so a dead broker fails a long publish at once, and order is never broken).
   */
  send(topic: string, records: RecordBatch, info: TopicInfo): Promise<RecordAck[]> {
    const sent = (this.last ?? Promise.resolve()).then(
      () => this.sendNow(topic, records, info),
      (error: unknown) => {
        throw new ZpsError(`not sent after an earlier batch failed: ${describeError(error).replace(/^not sent after an earlier batch failed: /, '')}`, {
          code: codeOf(error),
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

  private async sendNow(topic: string, records: RecordBatch, { partitions: count, maxBatchBytes }: TopicInfo): Promise<RecordAck[]> {
    const messages: Message[] = [];
    const partitions = new Int32Array(records.length);
    const sizes = new Float64Array(records.length);
    for (let i = 0; i < records.length; i++) {
      const key = records.key(i);
      const headers = records.headers(i);
      // kafkajs 2.2.4 measures every header value before checking for null, and throws
      const nullHeader = headers.find(([, value]) => value === null);
      if (nullHeader) throw usageError(`header ${nullHeader[0]} has a null value, which zps cannot send to Kafka yet`);
      const partition = records.partition(i) ?? this.partitioner.choose(topic, key, count);
      partitions[i] = partition;
      sizes[i] = recordBytes(key?.byteLength ?? -1, records.valueLength(i), headers);
      messages.push({ key, value: records.value(i), headers: toKafkaHeaders(headers), partition });
    }
    const acks: RecordAck[] = new Array(records.length);
    for (const request of splitRequests(partitions, sizes, maxBatchBytes)) {
      const sent = request.map((i) => messages[i]!);
      const metadata = await withDeadline(this.settings, '', async () => (await this.connected()).send({ topic, acks: -1, messages: sent }), topic);
      const next = new Map(metadata.map((m) => [m.partition, Number(m.baseOffset)]));
      for (const i of request) {
        const partition = partitions[i]!;
        const offset = next.get(partition)!;
        next.set(partition, offset + 1);
        acks[i] = { partition, offset };
      }
    }
    return acks;
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
}

/**
 * Groups record indexes into produce requests, in order, so that each partition's records in a
 * request (which kafkajs sends as one record batch) fit `maxBatchBytes`, and a request stays small.
 */
function splitRequests(partitions: Int32Array, sizes: Float64Array, maxBatchBytes: number): number[][] {
  const requests: number[][] = [];
  let request: number[] = [];
  let requestBytes = 0;
  const batchBytes = new Map<number, number>();
  for (let i = 0; i < partitions.length; i++) {
    const partition = partitions[i]!;
    const size = sizes[i]!;
    const batch = batchBytes.get(partition) ?? RECORD_BATCH_HEADER_BYTES;
    if (request.length > 0 && (batch + size > maxBatchBytes || requestBytes + size > MAX_REQUEST_BYTES)) {
      requests.push(request);
      request = [];
      requestBytes = 0;
      batchBytes.clear();
    }
    request.push(i);
    requestBytes += size;
    batchBytes.set(partition, (batchBytes.get(partition) ?? RECORD_BATCH_HEADER_BYTES) + size);
  }
  if (request.length > 0) requests.push(request);
  return requests;
}
