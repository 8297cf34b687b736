import type { TopicInfo } from '../pubsub/driver.js';
import { KafkaErrorCode } from '../wire/kafka/errors.js';
import type { DescribeConfigsResponseResult, MetadataResponse, MetadataResponseTopic } from '../wire/kafka/message-types.js';
import { brokerError, DescribeConfigs, Metadata, TOPIC_RESOURCE } from '../wire/kafka/messages.js';
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES } from '../wire/record-batch-size.js';
import { anyBroker, brokerOf, callBroker, type Broker, type Cluster } from './internals.js';

const MAX_MESSAGE_BYTES = 'max.message.bytes';

/**
 * What sending to a topic needs to know of it, its partitions and its max.message.bytes (undefined
 * when the topic does not exist), asked with a Metadata and a DescribeConfigs request at once over
 * the cluster's first connection: one round trip, no admin client and no second connection, which
 * is most of what a short publish used to wait for.
 */
export async function describeTopicFor(cluster: Cluster, topic: string, timeoutMs: number, known: KnownLeaders): Promise<TopicInfo | undefined> {
  const broker = await anyBroker(cluster);
  const [metadata, configs] = await Promise.all([
    askMetadata(broker, [topic], timeoutMs),
    callBroker(
      broker,
      DescribeConfigs,
      {
        resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configurationKeys: [MAX_MESSAGE_BYTES] }],
        includeSynonyms: false,
        includeDocumentation: false,
      },
      timeoutMs,
    ),
  ]);
  const described = topicIn(metadata, topic);
  if (!described) return undefined;
  known.set(topic, leadersIn(metadata, described)); // where the producer sends, with no second Metadata
  return { partitions: described.partitions.length, maxBatchBytes: maxMessageBytes(configs.results[0]) };
}

/** Metadata of the named topics (null: every topic; none: the brokers only), asked of `broker`; asking creates none. */
export function askMetadata(broker: Broker, topics: readonly string[] | null, timeoutMs: number): Promise<MetadataResponse> {
  return callBroker(
    broker,
    Metadata,
    {
      topics: topics === null ? null : topics.map((name) => ({ name })),
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    },
    timeoutMs,
  );
}

/**
 * The topic in a Metadata answer, undefined when it does not exist. A topic just created may have
 * no partitions or leaders yet: LEADER_NOT_AVAILABLE, which is retriable, so it is asked again.
 */
export function topicIn(metadata: MetadataResponse, topic: string): MetadataResponseTopic | undefined {
  const described = metadata.topics.find((t) => t.name === topic);
  if (!described || described.errorCode === KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return undefined;
  if (described.errorCode !== KafkaErrorCode.NONE) throw brokerError(described.errorCode, `describing ${topic}`);
  if (described.partitions.length === 0) throw brokerError(KafkaErrorCode.LEADER_NOT_AVAILABLE, `describing ${topic}: no partitions yet`);
  return described;
}

/** The leader of each partition of a topic, and whether the cluster is one broker. */
export interface TopicLeaders {
  leaders: ReadonlyMap<number, number>;
  soleBroker: boolean;
}

/**
 * The leaders of topics as the driver's last Metadata answers told them, which the requests after
 * them go to without asking again; a topic's are forgotten when a request meets a leader moved.
 */
export type KnownLeaders = Map<string, TopicLeaders>;

/** The topic's leaders in a Metadata answer; a partition without one (in an election) is left out. */
export function leadersIn(metadata: MetadataResponse, described: MetadataResponseTopic): TopicLeaders {
  const leaders = new Map<number, number>();
  for (const { partitionIndex, leaderId } of described.partitions) if (leaderId >= 0) leaders.set(partitionIndex, leaderId);
  return { leaders, soleBroker: metadata.brokers.length === 1 };
}

/** The partitions asked for by leader's node id, when every one's leader is known. */
export function byLeader(known: TopicLeaders, partitions: Iterable<number>): Map<number, number[]> | undefined {
  const grouped = new Map<number, number[]>();
  for (const partition of partitions) {
    const nodeId = known.leaders.get(partition);
    if (nodeId === undefined) return undefined;
    grouped.set(nodeId, [...(grouped.get(nodeId) ?? []), partition]);
  }
  return grouped;
}

/**
 * A node's broker (a leader's, say), connected. In a cluster of one broker it is the one
 * connected, with no lookup (the cluster would ask its Metadata for a node it does not know yet).
 */
export function nodeBroker(cluster: Cluster, nodeId: number, soleBroker: boolean): Promise<Broker> {
  return soleBroker ? anyBroker(cluster) : brokerOf(cluster, String(nodeId));
}

/**
 * The topic's max.message.bytes: the largest record batch the broker takes for it. A producer
 * allowed to write but not to read configs gets Kafka's default; a batch over the topic's own
 * limit is then refused by the broker with MESSAGE_TOO_LARGE, which the publish reports.
 */
function maxMessageBytes(result: DescribeConfigsResponseResult | undefined): number {
  if (result?.errorCode !== KafkaErrorCode.NONE) return KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
  const value = Number(result.configs.find((config) => config.name === MAX_MESSAGE_BYTES)?.value);
  return Number.isFinite(value) && value >= 0 ? value : KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
}
