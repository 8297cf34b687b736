/**
 * Creating, changing and deleting topics on Kafka with zps's own requests (CreateTopics,
 * CreatePartitions, IncrementalAlterConfigs, DeleteTopics), with the broker's own reason (the
 * setting it refused and why) in what zps reports. Any broker takes them (KRaft brokers forward them to the controller).
 */
import { ZpsError, usageError } from '../pubsub/errors.js';
import type { NewTopic, TopicChange } from '../pubsub/types.js';
import { KafkaErrorCode } from '../wire/kafka/errors.js';
import { CreatePartitions, CreateTopics, DeleteTopics, IncrementalAlterConfigs, TOPIC_RESOURCE, brokerError } from '../wire/kafka/messages.js';
import { closestTopicConfig } from '../memory/topic-configs.js';
import { anyBroker, callBroker, type Cluster } from './internals.js';

/** IncrementalAlterConfigs' operations. */
const SET = 0;
const DELETE = 1;

/** Refusals that are the user's to fix (exit 2): the settings, the partition count, the replication factor. */
const USAGE_ERRORS: ReadonlySet<number> = new Set([
  KafkaErrorCode.INVALID_CONFIG,
  KafkaErrorCode.INVALID_PARTITIONS,
  KafkaErrorCode.INVALID_REPLICATION_FACTOR,
  KafkaErrorCode.INVALID_TOPIC_EXCEPTION,
  KafkaErrorCode.INVALID_REQUEST,
]);

/** A broker's answer for one topic as zps's error: what failed, then the broker's reason (its own words name the setting). */
function refusal(what: string, errorCode: number, errorMessage: string | null | undefined): Error {
  if (errorCode === KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return new ZpsError(`${what}: the topic does not exist`, { code: 'not-found' });
  if (USAGE_ERRORS.has(errorCode)) {
    const reason = errorMessage ?? brokerError(errorCode, '').type ?? `Kafka error ${errorCode}`;
    const unknown = /^Unknown topic config name: (\S+)$/.exec(reason)?.[1];
    return usageError(`${what}: ${reason}${unknown === undefined ? '' : closestTopicConfig(unknown)}`);
  }
  // a limit of the controller's (partitions per request) or a create.topic.policy: its words are the reason
  if (errorCode === KafkaErrorCode.POLICY_VIOLATION && errorMessage) return new ZpsError(`${what}: ${errorMessage}`);
  // others (a controller moving, say) go through kafkaError, which knows the retriable ones and the authorization failures
  return brokerError(errorCode, errorMessage ?? what);
}

/** Creates the topic; false when it exists. */
export async function createTopic(cluster: Cluster, topic: string, spec: NewTopic, timeoutMs: number): Promise<boolean> {
  const { topics } = await callBroker(
    await anyBroker(cluster),
    CreateTopics,
    {
      topics: [
        {
          name: topic,
          numPartitions: spec.partitions,
          replicationFactor: spec.replicationFactor ?? -1,
          assignments: [],
          configs: Object.entries(spec.configs ?? {}).map(([name, value]) => ({ name, value })),
        },
      ],
      timeoutMs,
      validateOnly: false,
    },
    timeoutMs,
  );
  const result = topics.find((t) => t.name === topic);
  if (!result || result.errorCode === KafkaErrorCode.NONE) return true;
  if (result.errorCode === KafkaErrorCode.TOPIC_ALREADY_EXISTS) return false;
  throw refusal(`cannot create topic ${topic}`, result.errorCode, result.errorMessage);
}

/** Grows the partitions to `count` (the caller checked it is more than the topic has). */
export async function growPartitions(cluster: Cluster, topic: string, count: number, timeoutMs: number): Promise<void> {
  const { results } = await callBroker(
    await anyBroker(cluster),
    CreatePartitions,
    { topics: [{ name: topic, count, assignments: null }], timeoutMs, validateOnly: false },
    timeoutMs,
  );
  const result = results.find((r) => r.name === topic);
  if (result && result.errorCode !== KafkaErrorCode.NONE)
    throw refusal(`cannot grow topic ${topic} to ${count} partitions`, result.errorCode, result.errorMessage);
}

/** Sets and removes the topic's settings, the others left as they are (`validateOnly`: only checks them). */
export async function alterConfigs(cluster: Cluster, topic: string, change: TopicChange, timeoutMs: number, validateOnly = false): Promise<void> {
  const configs = [
    ...Object.entries(change.set ?? {}).map(([name, value]) => ({ name, configOperation: SET, value })),
    ...(change.unset ?? []).map((name) => ({ name, configOperation: DELETE, value: null })),
  ];
  if (configs.length === 0) return;
  const { responses } = await callBroker(
    await anyBroker(cluster),
    IncrementalAlterConfigs,
    { resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configs }], validateOnly },
    timeoutMs,
  );
  const result = responses[0];
  if (result && result.errorCode !== KafkaErrorCode.NONE) throw refusal(`cannot change the settings of topic ${topic}`, result.errorCode, result.errorMessage);
}

/** Deletes the topic; false when it does not exist. */
export async function deleteTopic(cluster: Cluster, topic: string, timeoutMs: number): Promise<boolean> {
  const { responses } = await callBroker(await anyBroker(cluster), DeleteTopics, { topics: [], topicNames: [topic], timeoutMs }, timeoutMs);
  const result = responses.find((r) => r.name === topic);
  if (!result || result.errorCode === KafkaErrorCode.NONE) return true;
  if (result.errorCode === KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return false;
  throw refusal(`cannot delete topic ${topic}`, result.errorCode, result.errorMessage);
}
