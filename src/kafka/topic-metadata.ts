import type { TopicInfo } from '../pubsub/driver.js';
import { KafkaErrorCode } from '../wire/kafka/errors.js';
import type { DescribeConfigsResponseResult } from '../wire/kafka/message-types.js';
import { brokerError, DescribeConfigs, Metadata, TOPIC_RESOURCE } from '../wire/kafka/messages.js';
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES } from '../wire/record-batch-size.js';
import { anyBroker, callBroker, type Cluster } from './internals.js';

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
    callBroker(
      broker,
      Metadata,
      { topics: [{ name: topic }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false },
      timeoutMs,
    ),
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
  const described = metadata.topics.find((t) => t.name === topic);
  if (!described || described.errorCode === KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return undefined;
  // a topic just created may have no leaders yet: LEADER_NOT_AVAILABLE is retriable, asked again
  if (described.errorCode !== KafkaErrorCode.NONE) throw brokerError(described.errorCode, `describing ${topic}`);
  if (described.partitions.length === 0) throw brokerError(KafkaErrorCode.LEADER_NOT_AVAILABLE, `describing ${topic}: no partitions yet`);
  // The producer's metadata of the topic (its leaders), asked now while the configs are read.
  void cluster.addTargetTopic(topic).catch(() => {});
  return { partitions: described.partitions.length, maxBatchBytes: maxMessageBytes(configs.results[0]) };
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
