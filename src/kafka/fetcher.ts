import type { PartitionRecords, WaitOptions } from '../pubsub/driver.js';
import type { DeliveredRecord } from '../records/record.js';
import { KafkaErrorCode } from '../wire/kafka/errors.js';
import { Fetch } from '../wire/kafka/messages.js';
import { decodeRecordBatches } from '../wire/kafka/record-batch.js';
import type { KafkaAdmin } from './admin.js';
import { kafkaError, type KafkaSettings } from './connection.js';
import { brokerOf, callBroker, type Broker, type Cluster } from './internals.js';
import { byLeader, type KnownLeaders, nodeBroker } from './topic-metadata.js';

/** Kafka's error codes a read gets past by asking the metadata again (a leader moved, a topic recreated). */
const METADATA_ERRORS: ReadonlySet<number> = new Set([
  KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  KafkaErrorCode.LEADER_NOT_AVAILABLE,
  KafkaErrorCode.NOT_LEADER_OR_FOLLOWER,
  KafkaErrorCode.FENCED_LEADER_EPOCH,
  KafkaErrorCode.UNKNOWN_LEADER_EPOCH,
  KafkaErrorCode.UNKNOWN_TOPIC_ID,
]);

/** One leader's answer to a Fetch, with the offsets it was asked for. */
interface LeaderAnswer {
  key: string;
  asked: Map<number, number>;
  partitions: FetchedPartition[];
}

/**
 * The Kafka driver's reads without a group: Fetch requests of zps's own (encoded and decoded by
 * zps's codec, records into objects whose bytes are views of the answer) to each partition's
 * leader, over zps's own connections (internals.ts).
 */
export class KafkaFetcher {
  /** Fetches in flight per topic and leader: a call returns as soon as one leader has records. */
  private readonly inFlight = new Map<string, { asked: Map<number, number>; answer: Promise<LeaderAnswer> }>();

  constructor(
    private readonly cluster: () => Promise<Cluster>,
    private readonly settings: KafkaSettings,
    private readonly admin: KafkaAdmin,
    /** Leaders the driver's Metadata answers told (a group member's fetcher has its own, empty: it asks its cluster). */
    private readonly known: KnownLeaders = new Map(),
  ) {}

  /**
   * Fetches from each partition's leader, at once; returns as soon as one leader answers with
   * records (the others' answers are kept for the next call, and used if still current). Errors
   * that new metadata cures are answered with nothing, and the metadata asked again; a position out
   * of range (records deleted, the topic recreated) moves to the partition's start.
   */
  async fetch(topic: string, positions: ReadonlyArray<readonly [number, number]>, options: WaitOptions): Promise<PartitionRecords[]> {
    if (positions.length === 0 || options.signal?.aborted) return [];
    const cluster = await this.cluster();
    const offsets = new Map(positions.map(([partition, offset]) => [partition, offset]));
    const known = this.known.get(topic);
    let leaders: Record<string, number[]>;
    try {
      // the leaders the offsets were just listed from, else the cluster's metadata of the topic
      const grouped = known && byLeader(known, offsets.keys());
      if (grouped) leaders = Object.fromEntries(grouped);
      else {
        await cluster.addTargetTopic(topic);
        leaders = cluster.findLeaderForPartitions(topic, [...offsets.keys()]);
      }
    } catch (error) {
      if (!(error as { retriable?: boolean }).retriable) throw kafkaError(error, this.settings, `read ${topic}`, topic);
      await cluster.refreshMetadata().catch(() => {});
      return [];
    }
    const requests = Object.entries(leaders).map(([nodeId, partitions]) => {
      const broker = () => (known ? nodeBroker(cluster, Number(nodeId), known.soleBroker) : brokerOf(cluster, nodeId));
      return this.fetchFrom(broker, topic, nodeId, partitions, offsets, options);
    });
    const never = new Promise<never>(() => {});
    // removed after the race: a listener left on the reader's signal would keep every answer alive
    let onAbort = () => {};
    const aborted = new Promise<LeaderAnswer[]>((resolve) => (onAbort = () => resolve([])));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let answered: LeaderAnswer[];
    try {
      answered = await Promise.race([
        ...requests.map((request) => request.then((answer) => (answer.partitions.some((p) => p.records.length > 0) ? [answer] : never))),
        Promise.all(requests),
        aborted,
      ]);
    } catch (error) {
      this.known.delete(topic); // a broker gone, say: its leaders are asked again
      throw kafkaError(error, this.settings, `read ${topic}`, topic);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    const batches: PartitionRecords[] = [];
    for (const { key, asked, partitions } of answered) {
      if (this.inFlight.get(key)?.asked === asked) this.inFlight.delete(key);
      for (const fetched of partitions) {
        const position = asked.get(fetched.partition);
        if (position === undefined || offsets.get(fetched.partition) !== position) continue; // asked at another position
        if (fetched.errorCode === KafkaErrorCode.OFFSET_OUT_OF_RANGE) {
          const start = (await this.admin.listOffsets(topic))?.find((p) => p.partition === fetched.partition)?.start ?? 0;
          batches.push({ partition: fetched.partition, records: [], next: start });
        } else if (METADATA_ERRORS.has(fetched.errorCode)) {
          this.known.delete(topic);
          await cluster.refreshMetadata().catch(() => {});
        } else if (fetched.errorCode !== KafkaErrorCode.NONE) {
          throw kafkaError(Object.assign(new Error(`Kafka error code ${fetched.errorCode}`)), this.settings, `read ${topic}`, topic);
        } else if (fetched.records.length > 0 || (fetched.nextOffset ?? position) > position) {
          const records = fetched.records;
          const after = records.length > 0 ? records[records.length - 1]!.offset + 1 : position;
          const next = fetched.nextOffset !== undefined && fetched.nextOffset > after ? fetched.nextOffset : undefined;
          batches.push({ partition: fetched.partition, records, ...(next === undefined ? {} : { next }) });
        }
      }
    }
    return batches;
  }

  /** The leader's answer for these partitions: one in flight from an earlier call, or a new request. */
  private fetchFrom(
    broker: () => Promise<Broker>,
    topic: string,
    nodeId: string,
    partitions: number[],
    offsets: Map<number, number>,
    options: WaitOptions,
  ): Promise<LeaderAnswer> {
    const key = `${topic}/${nodeId}`;
    const pending = this.inFlight.get(key);
    if (pending) return pending.answer;
    const asked = new Map(partitions.map((partition) => [partition, offsets.get(partition)!]));
    const answer = broker()
      .then((leader) =>
        fetchPartitions(
          leader,
          topic,
          partitions.map((partition) => ({ partition, offset: asked.get(partition)! })),
          { maxWaitMs: options.waitMs, maxBytes: options.maxBytes, partitionMaxBytes: options.maxBytes, requestTimeoutMs: this.settings.timeoutMs },
        ),
      )
      .then((fetched) => ({ key, asked, partitions: fetched }));
    answer.catch(() => {
      if (this.inFlight.get(key)?.asked === asked) this.inFlight.delete(key);
    });
    this.inFlight.set(key, { asked, answer });
    return answer;
  }
}

/** One partition's answer to a Fetch. */
interface FetchedPartition {
  partition: number;
  /** Kafka's error code; 0: none. */
  errorCode: number;
  /** Records at or after the offset asked for; control records and aborted transactions left out. */
  records: DeliveredRecord[];
  /** The offset after the last complete batch the broker returned, left-out records included. */
  nextOffset: number | undefined;
}

const READ_COMMITTED = 1;

/**
 * One Fetch request to one broker for partitions of one topic. Each partition's error comes back
 * with that partition; the others' records are kept.
 */
async function fetchPartitions(
  broker: Broker,
  topic: string,
  partitions: ReadonlyArray<{ partition: number; offset: number }>,
  options: { maxWaitMs: number; maxBytes: number; partitionMaxBytes: number; requestTimeoutMs: number },
): Promise<FetchedPartition[]> {
  const response = await callBroker(
    broker,
    Fetch,
    {
      replicaId: -1,
      maxWaitMs: options.maxWaitMs,
      minBytes: 1,
      maxBytes: options.maxBytes,
      isolationLevel: READ_COMMITTED,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic,
          partitions: partitions.map(({ partition, offset }) => ({
            partition,
            currentLeaderEpoch: -1,
            fetchOffset: offset,
            logStartOffset: -1,
            partitionMaxBytes: options.partitionMaxBytes,
          })),
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    },
    options.maxWaitMs + options.requestTimeoutMs,
  );
  const asked = new Map(partitions.map(({ partition, offset }) => [partition, offset]));
  const fetched: FetchedPartition[] = [];
  for (const { partitions: answered } of response.responses) {
    for (const answer of answered) {
      const fetchOffset = asked.get(answer.partitionIndex);
      if (fetchOffset === undefined) continue;
      if (answer.errorCode !== 0 || answer.records === null) {
        fetched.push({ partition: answer.partitionIndex, errorCode: answer.errorCode, records: [], nextOffset: undefined });
        continue;
      }
      const { records, nextOffset } = decodeRecordBatches(answer.records, {
        topic,
        partition: answer.partitionIndex,
        fetchOffset,
        abortedTransactions: answer.abortedTransactions ?? undefined,
      });
      fetched.push({ partition: answer.partitionIndex, errorCode: 0, records, nextOffset });
    }
  }
  return fetched;
}
