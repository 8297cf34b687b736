import type { TopicInfo } from '../pubsub/driver.js';
import { ZpsError, codeOf, describeError } from '../pubsub/errors.js';
import { Lazy } from '../pubsub/lazy.js';
import { checkPartition, type Partitioner } from '../pubsub/partitioner.js';
import { ackRuns, type AckRun, type RecordBatch } from '../records/record-batch.js';
import { KafkaErrorCode } from '../wire/kafka/errors.js';
import type { Writable } from '../wire/kafka/definition.js';
import type { ProduceRequest } from '../wire/kafka/message-types.js';
import { brokerError, InitProducerId, Produce, RETRIABLE_ERRORS } from '../wire/kafka/messages.js';
import { encodeRecordBatch, type BatchProducer } from '../wire/kafka/record-batch.js';
import { RECORD_BATCH_HEADER_BYTES, recordBytes } from '../wire/record-batch-size.js';
import { kafkaError, type KafkaSettings } from './connection.js';
import { anyBroker, brokerOf, callBroker, type Broker, type Cluster } from './internals.js';
import { type KnownLeaders, nodeBroker } from './topic-metadata.js';

/** At most this many batches of one partition are on their way at once (Kafka's limit for idempotence). */
const MAX_IN_FLIGHT_PER_PARTITION = 5;
const RETRY_BACKOFF_MS = { initial: 100, max: 1_000 };

/** One record batch on its way to a partition. */
interface Sending {
  topic: string;
  partition: number;
  bytes: Buffer;
  baseSequence: number;
}

/** A partition's order of sending: how many batches are on their way, who waits, and whether it failed for good. */
class Lane {
  inFlight = 0;
  readonly waiting: Array<() => void> = [];
  /** Set once a batch failed for good: nothing after it is sent (order is never broken). */
  failure: unknown;
  /** Batches being sent again go one after another, in sequence order. */
  resending: Promise<unknown> = Promise.resolve();
  /** Requests are handed to the connection one after another, in sequence order. */
  handing: Promise<unknown> = Promise.resolve();
  nextSequence = 0;

  async slot(): Promise<void> {
    if (this.inFlight < MAX_IN_FLIGHT_PER_PARTITION) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  free(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight--;
  }
}

/**
 * Publishes with zps's own record batches and Produce requests over zps's own connections: an
 * idempotent producer (a producer id from InitProducerId, a sequence per partition) waiting for
 * acks from all in-sync replicas, up to 5 batches in flight per partition. Each record gets its
 * partition here (murmur2 of the key, round robin without), so its offset is known from its
 * batch's base offset. A batch that fails retriably (a leader moved, the broker restarted) is sent
 * again with its own sequence, in order, so the broker stores it once; one that fails for good
 * fails its send, and nothing after it in that partition is sent.
 */
export class KafkaProducer {
  private readonly producer = new Lazy(() => this.initProducerId());
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly cluster: () => Promise<Cluster>,
    private readonly settings: KafkaSettings,
    private readonly partitioner: Partitioner,
    private readonly known: KnownLeaders,
  ) {}

  /** Connects and asks for the producer id now (a failure here is met again by the first send). */
  prepare(): void {
    this.idempotence().catch(() => {});
  }

  async send(topic: string, records: RecordBatch, info: TopicInfo): Promise<AckRun[]> {
    const { producerId, producerEpoch } = await this.idempotence(topic);
    const groups = groupByPartition(topic, records, info.partitions, (i) => this.partitioner.choose(topic, records.key(i), info.partitions));
    const packed = records.packedValues();
    const timestamp = Date.now();
    const stored: Array<Promise<StoredBatch>> = [];
    // Partitions, then batches of each that fit the topic's max.message.bytes, sequences in order.
    for (const [partition, indexes] of groups) {
      const lane = this.lane(topic, partition);
      for (const batch of splitBatches(records, indexes, info.maxBatchBytes)) {
        const baseSequence = lane.nextSequence;
        lane.nextSequence = (lane.nextSequence + batch.length) % 0x8000_0000;
        const bytes = encodeRecordBatch(records, batch, timestamp, { producerId, producerEpoch, baseSequence }, packed);
        stored.push(this.sendBatch(lane, { topic, partition, bytes, baseSequence }).then((baseOffset) => ({ partition, indexes: batch, baseOffset })));
      }
    }
    return ackRunsOf(records.length, await settleAll(stored), groups.length === 1);
  }

  async close(): Promise<void> {}

  private lane(topic: string, partition: number): Lane {
    const key = `${topic}/${partition}`;
    let lane = this.lanes.get(key);
    if (!lane) this.lanes.set(key, (lane = new Lane()));
    return lane;
  }

  /** Sends one batch in its partition's order; resolves with its base offset, or fails for good. */
  private async sendBatch(lane: Lane, batch: Sending): Promise<number> {
    if (lane.failure) throw notSent(lane.failure);
    await lane.slot();
    try {
      if (lane.failure) throw notSent(lane.failure);
      const first = await this.produce(lane, batch).then(
        (answer) => answer,
        (error: unknown) => ({ errorCode: KafkaErrorCode.NETWORK_EXCEPTION, baseOffset: -1, error }),
      );
      if (first.errorCode === KafkaErrorCode.NONE) return first.baseOffset;
      // Sent again, in order behind the partition's other batches sent again; the broker drops a duplicate.
      const resent = lane.resending.then(() => this.resend(lane, batch, first));
      lane.resending = resent.catch(() => {});
      return await resent;
    } catch (error) {
      lane.failure ??= error;
      throw error;
    } finally {
      lane.free();
    }
  }

  private async resend(lane: Lane, batch: Sending, answer: ProduceAnswer): Promise<number> {
    const deadline = Date.now() + this.settings.timeoutMs;
    for (let backoff = RETRY_BACKOFF_MS.initial; ; backoff = Math.min(backoff * 2, RETRY_BACKOFF_MS.max)) {
      if (lane.failure) throw notSent(lane.failure);
      const retriable =
        RETRIABLE_ERRORS.has(answer.errorCode) ||
        answer.errorCode === KafkaErrorCode.NETWORK_EXCEPTION ||
        // a batch behind one that failed: it goes again once that one went
        answer.errorCode === KafkaErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER;
      if (!retriable || Date.now() + backoff > deadline) throw this.failed(batch, answer);
      await new Promise((resolve) => setTimeout(resolve, backoff));
      this.known.delete(batch.topic); // a leader moved, say: asked of the cluster's metadata from now on
      await (await this.cluster()).refreshMetadata().catch(() => {});
      answer = await this.produce(lane, batch).catch((error: unknown) => ({ errorCode: KafkaErrorCode.NETWORK_EXCEPTION, baseOffset: -1, error }));
      if (answer.errorCode === KafkaErrorCode.NONE) return answer.baseOffset;
    }
  }

  /**
   * One Produce request for one batch, to the partition's leader. What comes before the request
   * is written (metadata, the leader, the version) takes its time: the requests of a partition are
   * handed over in turn, so they reach the broker in sequence order.
   */
  private produce(lane: Lane, batch: Sending): Promise<ProduceAnswer> {
    const handed = lane.handing.then(() => this.handOver(batch));
    lane.handing = handed.catch(() => {});
    return handed.then(({ answer }) => answer);
  }

  /** Hands the request over; its answer comes later (wrapped: a promise in a promise would be awaited). */
  private async handOver({ topic, partition, bytes }: Sending): Promise<{ answer: Promise<ProduceAnswer> }> {
    const broker = await this.leaderOf(topic, partition);
    const request: Writable<ProduceRequest> = {
      transactionalId: null,
      acks: -1,
      timeoutMs: this.settings.timeoutMs,
      topicData: [{ name: topic, partitionData: [{ index: partition, records: bytes }] }],
    };
    const response = callBroker(broker, Produce, request, this.settings.timeoutMs + 5_000, bytes.byteLength + 128);
    return {
      answer: response.then((decoded) => {
        const answer = decoded.responses[0]?.partitionResponses[0];
        if (!answer) throw new ZpsError(`Kafka answered a produce to ${topic}[${partition}] without it`);
        return { errorCode: answer.errorCode, baseOffset: answer.baseOffset };
      }),
    };
  }

  /** The partition's leader: as the topic's description told it, else from the cluster's metadata of the topic (asked once). */
  private async leaderOf(topic: string, partition: number): Promise<Broker> {
    const cluster = await this.cluster();
    const known = this.known.get(topic);
    const nodeId = known?.leaders.get(partition);
    if (known && nodeId !== undefined) return nodeBroker(cluster, nodeId, known.soleBroker);
    await cluster.addTargetTopic(topic);
    return brokerOf(cluster, leaderOf(cluster, topic, partition));
  }

  private failed(batch: Sending, answer: ProduceAnswer): ZpsError {
    if (answer.error !== undefined) return kafkaError(answer.error, this.settings, '', batch.topic);
    const error = brokerError(answer.errorCode, `producing to ${batch.topic}[${batch.partition}]`);
    return kafkaError(error, this.settings, `publish to ${batch.topic}[${batch.partition}]`, batch.topic);
  }

  /**
   * The producer id and epoch of this producer, asked once (again while the broker says it is
   * busy) of any broker: a producer without a transactional id needs no coordinator, so it is
   * asked of the first broker connected, beside the topic's metadata. `topic` names what a
   * failure is reported against.
   */
  private idempotence(topic?: string): Promise<BatchProducer> {
    return this.producer.get().catch((error: unknown) => {
      throw kafkaError(error, this.settings, topic ? `publish to ${topic}` : 'publish', topic);
    });
  }

  private async initProducerId(): Promise<BatchProducer> {
    const cluster = await this.cluster();
    const deadline = Date.now() + this.settings.timeoutMs;
    for (let backoff = RETRY_BACKOFF_MS.initial; ; backoff = Math.min(backoff * 2, RETRY_BACKOFF_MS.max)) {
      const broker = await anyBroker(cluster);
      const answer = await callBroker(broker, InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000 }, this.settings.timeoutMs);
      if (answer.errorCode === KafkaErrorCode.NONE) return { producerId: answer.producerId, producerEpoch: answer.producerEpoch, baseSequence: 0 };
      // a broker just started loads its producer ids first
      if (!COORDINATOR_BUSY.has(answer.errorCode) || Date.now() + backoff > deadline) {
        throw brokerError(answer.errorCode, 'to InitProducerId');
      }
      await new Promise((resolve) => setTimeout(resolve, backoff));
    }
  }
}

/** InitProducerId's answers while the broker gets ready: asked again. */
const COORDINATOR_BUSY: ReadonlySet<number> = new Set([
  KafkaErrorCode.REQUEST_TIMED_OUT,
  KafkaErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  KafkaErrorCode.COORDINATOR_NOT_AVAILABLE,
  KafkaErrorCode.NOT_COORDINATOR,
  KafkaErrorCode.NOT_ENOUGH_REPLICAS,
]);

interface ProduceAnswer {
  errorCode: number;
  baseOffset: number;
  /** The error of a request that got no answer (a connection lost). */
  error?: unknown;
}

function leaderOf(cluster: Cluster, topic: string, partition: number): string {
  const leaders = cluster.findLeaderForPartitions(topic, [partition]);
  const nodeId = Object.keys(leaders)[0];
  if (nodeId === undefined) throw Object.assign(new Error(`no leader known for ${topic}[${partition}]`), { retriable: true });
  return nodeId;
}

function notSent(failure: unknown): ZpsError {
  return new ZpsError(`not sent after an earlier batch failed: ${describeError(failure).replace(/^not sent after an earlier batch failed: /, '')}`, {
    code: codeOf(failure),
  });
}

/** Waits for every promise, then throws the first failure, if any (no rejection is left unobserved). */
async function settleAll<T>(promises: Array<Promise<T>>): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** A batch the broker stored: its records (indexes into the send's records) from `baseOffset` on. */
interface StoredBatch {
  partition: number;
  indexes: Uint32Array;
  baseOffset: number;
}

/**
 * The acks of a send in record order: a run per batch when the batches hold the records in order
 * (one partition), else gathered record by record.
 */
function ackRunsOf(count: number, stored: StoredBatch[], inRecordOrder: boolean): AckRun[] {
  if (inRecordOrder) return stored.map(({ partition, indexes, baseOffset }) => [partition, baseOffset, indexes.length]);
  const partitions = new Int32Array(count);
  const offsets = new Float64Array(count);
  for (const { partition, indexes, baseOffset } of stored) {
    for (let n = 0; n < indexes.length; n++) {
      partitions[indexes[n]!] = partition;
      offsets[indexes[n]!] = baseOffset + n;
    }
  }
  return ackRuns(partitions, offsets);
}

/**
 * Each partition's record indexes, in record order: a record's own partition (which must exist),
 * else `choose`'s (murmur2 of its key, round robin without). A topic of one partition takes them
 * all in order.
 */
function groupByPartition(topic: string, records: RecordBatch, partitions: number, choose: (i: number) => number): Array<[number, Uint32Array]> {
  const count = records.length;
  if (partitions === 1) {
    const all = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      const own = records.partition(i);
      if (own !== undefined && own !== 0) checkPartition(topic, own, partitions);
      all[i] = i;
    }
    return [[0, all]];
  }
  const partitionOf = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const own = records.partition(i);
    if (own !== undefined) checkPartition(topic, own, partitions);
    partitionOf[i] = own ?? choose(i);
  }
  const starts = new Uint32Array(partitions + 1);
  for (const partition of partitionOf) starts[partition + 1]!++;
  for (let p = 0; p < partitions; p++) starts[p + 1]! += starts[p]!;
  const order = new Uint32Array(count);
  const next = starts.slice(0, partitions);
  for (let i = 0; i < count; i++) order[next[partitionOf[i]!]!++] = i;
  const groups: Array<[number, Uint32Array]> = [];
  for (let p = 0; p < partitions; p++) if (starts[p + 1]! > starts[p]!) groups.push([p, order.subarray(starts[p], starts[p + 1])]);
  return groups;
}

/** A partition's records in batches that fit `maxBatchBytes`, in order. */
function splitBatches(records: RecordBatch, indexes: Uint32Array, maxBatchBytes: number): Uint32Array[] {
  const batches: Uint32Array[] = [];
  let first = 0;
  let bytes = RECORD_BATCH_HEADER_BYTES;
  for (let n = 0; n < indexes.length; n++) {
    const i = indexes[n]!;
    const size = recordBytes(records.key(i)?.byteLength ?? -1, records.valueLength(i), records.headers(i));
    if (n > first && bytes + size > maxBatchBytes) {
      batches.push(indexes.subarray(first, n));
      first = n;
      bytes = RECORD_BATCH_HEADER_BYTES;
    }
    bytes += size;
  }
  if (indexes.length > first) batches.push(indexes.subarray(first));
  return batches;
}
