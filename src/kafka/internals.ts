/**
 * Every use of kafkajs's internals, in this one module. kafkajs is pinned at exactly 2.2.4 (frozen
 * since February 2023), so these do not move; test/kafka/internals.test.ts fails with a clear
 * message if they ever do. What zps takes from them: the cluster behind a client (its metadata,
 * its authenticated connections to each broker), and requests of its own sent over those
 * connections, so that reading needs no consumer group.
 */
import { createRequire } from 'node:module';
import type { Kafka, KafkaMessage } from 'kafkajs';

const require = createRequire(import.meta.url);

/** The parts of kafkajs's Cluster zps calls. */
export interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  /** nodeId → the partitions it leads. */
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(options: { nodeId: string }): Promise<Broker>;
}

interface ProtocolRequest {
  request: unknown;
  response: { decode(payload: Buffer): Promise<unknown>; parse(data: unknown): Promise<unknown> };
  requestTimeout?: number;
}

interface Broker {
  lookupRequest(apiKey: number, request: unknown): (args: unknown) => ProtocolRequest;
  connectionPool: { send(request: ProtocolRequest): Promise<unknown> };
}

/** One partition of a Fetch response, its records filtered as kafkajs's consumer filters them. */
export interface FetchedPartition {
  partition: number;
  /** Kafka's error code; 0: none. */
  errorCode: number;
  /** Records at or after the offset asked for; aborted transactions and control records left out. */
  messages: KafkaMessage[];
  /** The offset after the last record the broker returned, filtered ones included (undefined: none). */
  nextOffset: number | undefined;
}

const CREATE_CLUSTER = 'private:Kafka:createCluster';
const READ_COMMITTED = 1;

interface Internals {
  apiKeys: { Fetch: number };
  requests: { Fetch: unknown };
  Batch: new (topic: string, fetchedOffset: string, partitionData: unknown) => { messages: KafkaMessage[]; rawMessages: KafkaMessage[] };
}

let internals: Internals | undefined;

/** kafkajs's modules that zps uses, loaded once; throws a clear error if they are not where 2.2.4 has them. */
export function kafkajsInternals(): Internals {
  if (!internals) {
    try {
      internals = {
        apiKeys: require('kafkajs/src/protocol/requests/apiKeys'),
        requests: require('kafkajs/src/protocol/requests').requests,
        Batch: require('kafkajs/src/consumer/batch'),
      };
    } catch (error) {
      throw new Error(`kafkajs's internals are not what zps expects (it needs kafkajs 2.2.4 exactly): ${(error as Error).message}`);
    }
    if (typeof internals.apiKeys.Fetch !== 'number' || typeof internals.Batch !== 'function' || !internals.requests?.Fetch) {
      throw new Error("kafkajs's internals are not what zps expects (it needs kafkajs 2.2.4 exactly)");
    }
  }
  return internals;
}

/** A cluster of the client's own (its brokers, SASL and TLS), not yet connected. */
export function createCluster(kafka: Kafka): Cluster {
  const symbol = Object.getOwnPropertySymbols(kafka).find((s) => s.description === CREATE_CLUSTER);
  if (!symbol) throw new Error("kafkajs's internals are not what zps expects (no createCluster on the client): it needs kafkajs 2.2.4 exactly");
  const create = (kafka as unknown as Record<symbol, (options: object) => Cluster>)[symbol]!;
  return create({ allowAutoTopicCreation: false, isolationLevel: READ_COMMITTED, maxInFlightRequests: null, metadataMaxAge: 300_000 });
}

/**
 * The partition ids of each topic, from the metadata of the cluster kafkajs hands to partition
 * assigners (it knows only its own member's topics until asked for the others).
 */
export async function partitionIds(cluster: unknown, topics: string[]): Promise<Map<string, number[]>> {
  const known = cluster as {
    addMultipleTargetTopics(topics: string[]): Promise<void>;
    findTopicPartitionMetadata(topic: string): Array<{ partitionId: number }>;
  };
  await known.addMultipleTargetTopics(topics);
  return new Map(
    topics.map((topic) => [
      topic,
      known
        .findTopicPartitionMetadata(topic)
        .map((p) => p.partitionId)
        .sort((a, b) => a - b),
    ]),
  );
}

/**
 * A Fetch request to one broker for partitions of one topic, through that broker's connection.
 * kafkajs encodes and decodes it; its response is not parsed into an exception, so each partition's
 * error comes back with that partition, and the others' records are kept.
 */
export async function fetchFromBroker(
  cluster: Cluster,
  nodeId: string,
  topic: string,
  partitions: ReadonlyArray<{ partition: number; offset: number }>,
  options: { maxWaitTime: number; maxBytes: number; partitionMaxBytes: number },
): Promise<FetchedPartition[]> {
  const { apiKeys, requests, Batch } = kafkajsInternals();
  const broker = await cluster.findBroker({ nodeId });
  const build = broker.lookupRequest(apiKeys.Fetch, requests.Fetch);
  const { request, response, requestTimeout } = build({
    replicaId: -1,
    isolationLevel: READ_COMMITTED,
    maxWaitTime: options.maxWaitTime,
    minBytes: 1,
    maxBytes: options.maxBytes,
    topics: [
      { topic, partitions: partitions.map(({ partition, offset }) => ({ partition, fetchOffset: String(offset), maxBytes: options.partitionMaxBytes })) },
    ],
  });
  const data = (await broker.connectionPool.send({ request, response: { decode: response.decode, parse: async (decoded) => decoded }, requestTimeout })) as {
    responses: Array<{ topicName: string; partitions: Array<{ partition: number; errorCode: number; messages: KafkaMessage[] }> }>;
  };
  const asked = new Map(partitions.map(({ partition, offset }) => [partition, offset]));
  const fetched: FetchedPartition[] = [];
  for (const { partitions: answered } of data.responses) {
    for (const partitionData of answered) {
      const offset = asked.get(partitionData.partition) ?? 0;
      if (partitionData.errorCode !== 0) {
        fetched.push({ partition: partitionData.partition, errorCode: partitionData.errorCode, messages: [], nextOffset: undefined });
        continue;
      }
      const batch = new Batch(topic, String(offset), partitionData);
      const last = batch.rawMessages[batch.rawMessages.length - 1];
      const nextOffset = last && Number(last.offset) >= offset ? Number(last.offset) + 1 : undefined;
      fetched.push({ partition: partitionData.partition, errorCode: 0, messages: batch.messages, nextOffset });
    }
  }
  return fetched;
}
