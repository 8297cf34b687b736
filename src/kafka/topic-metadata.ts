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
export async function describeTopicFor(cluster: Cluster, topic: string, timeoutMs: number): Promise<TopicInfo | undefined> {
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
  // The producer's metadata of the topic (its leaders), asked now while the configs are read.
  void cluster.addTargetTopic(topic).catch(() => {});
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

/**
 * The topic's partitions by the broker that leads them, from a Metadata answer of `asked`. In a
 * cluster of one broker that is the broker asked, with no lookup; a node the cluster does not know
 * yet is looked up once more (the miss has its metadata asked).
 */
export async function partitionsByLeader(
  cluster: Cluster,
  asked: Broker,
  metadata: MetadataResponse,
  described: MetadataResponseTopic,
): Promise<Array<{ broker: Broker; partitions: number[] }>> {
  const byNode = new Map<number, number[]>();
  for (const { partitionIndex, leaderId } of described.partitions) {
    if (leaderId < 0) throw brokerError(KafkaErrorCode.LEADER_NOT_AVAILABLE, `finding the leader of ${described.name}[${partitionIndex}]`);
    byNode.set(leaderId, [...(byNode.get(leaderId) ?? []), partitionIndex]);
  }
  return Promise.all(
    [...byNode].map(async ([nodeId, partitions]) => ({ broker: metadata.brokers.length === 1 ? asked : await nodeBroker(cluster, nodeId), partitions })),
  );
}

/** A node's broker, connected; looked up once more when the cluster's metadata did not know it. */
export function nodeBroker(cluster: Cluster, nodeId: number): Promise<Broker> {
  return brokerOf(cluster, String(nodeId)).catch(() => brokerOf(cluster, String(nodeId)));
}

/**
 * The topic's max.message.bytes: the largest record batch the broker takes for it. A producer
 * allowed to write but not to read configs gets Kafka's default; a batch over the topic's own
 * limit is then refused by the broker with MESSAGE_TOO_LARGE, which the publish reports.
 */
function maxMessageBytes(result: DescribeConfigsResponseResult | undefined): number {
  if (result?.errorCode !== KafkaErrorCode.NONE) return KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
  const value = Number(result.configs.find((config) => config.name === MAX_MESSAGE_BYTES)?.value);
  return Number.isFinite(value) && value > 0 ? value : KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
}
