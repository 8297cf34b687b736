/**
 * ApiVersions, Metadata and the topic admin APIs (CreateTopics, DeleteTopics, DescribeConfigs; those that
 * change a topic are topic-changes.ts's)
 * of the Kafka listener. Topics are the broker's own: what a Kafka client creates, zps sees.
 */
import { MAX_BATCH_BYTES } from '../../memory/broker.js';
import { collisionMessage, oversizedCreation } from '../../memory/topic-policy.js';
import { checkTopicConfig } from '../../memory/topic-configs.js';
import { ZpsError } from '../../pubsub/errors.js';
import { validateTopicName } from '../../pubsub/limits.js';
import type { Writable } from '../../wire/kafka/definition.js';
import { KafkaErrorCode } from '../../wire/kafka/errors.js';
import type {
  CreateTopicsRequestCreatableTopic,
  CreateTopicsResponseCreatableTopicResult,
  DescribeConfigsResponseResourceResult,
  DescribeConfigsResponseResult,
  MetadataResponseTopic,
} from '../../wire/kafka/message-types.js';
import { TOPIC_RESOURCE } from '../../wire/kafka/messages.js';
import { advertisedVersions } from './apis.js';
import { FETCH_MAX_BYTES } from './fetch.js';
import { type ListenerContext, type Handlers, LEADER_EPOCH, NODE_ID, leaderOf } from './handlers.js';

/** Kafka's num.partitions: what an auto-created topic or CreateTopics with -1 gets. */
const DEFAULT_PARTITIONS = 1;
/** DescribeConfigs's resource type of the broker. */
const BROKER_RESOURCE = 4;
/** DescribeConfigs' config sources and types. */
const DEFAULT_CONFIG = 5;
const TOPIC_CONFIG = 1;
const STATIC_BROKER_CONFIG = 4;
const ConfigType = { boolean: 1, string: 2, int: 3, long: 5 } as const;

export function topicHandlers(listener: ListenerContext): Handlers {
  const { broker } = listener;
  const partitionsOf = (topic: string) => broker.partitionOffsets(topic)?.length;

  const describeTopic = (name: string): Writable<MetadataResponseTopic> => {
    const count = partitionsOf(name)!;
    return {
      errorCode: KafkaErrorCode.NONE,
      name,
      topicId: broker.topicId(name),
      isInternal: false,
      partitions: Array.from({ length: count }, (_, partitionIndex) => {
        const leaderId = leaderOf(listener, name, partitionIndex);
        return {
          errorCode: KafkaErrorCode.NONE,
          partitionIndex,
          leaderId,
          leaderEpoch: LEADER_EPOCH,
          replicaNodes: [leaderId],
          isrNodes: [leaderId],
          offlineReplicas: [],
        };
      }),
    };
  };

  /** One topic of a CreateTopics request: created (or with validateOnly checked), or refused in Kafka's words. */
  const createTopic = (
    topic: CreateTopicsRequestCreatableTopic,
    partitions: number,
    version: number,
    validateOnly: boolean,
    oversized: string | undefined,
  ): Writable<CreateTopicsResponseCreatableTopicResult> => {
    const { name } = topic;
    const fail = (errorCode: number, errorMessage: string) => ({ name, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: null });
    if (oversized) return fail(KafkaErrorCode.POLICY_VIOLATION, oversized);
    if (!isValidTopic(name)) return fail(KafkaErrorCode.INVALID_TOPIC_EXCEPTION, `invalid topic name '${name}'`);
    if (partitionsOf(name) !== undefined) return fail(KafkaErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    const collision = broker.collidingTopic(name);
    if (collision !== undefined) return fail(KafkaErrorCode.INVALID_TOPIC_EXCEPTION, collisionMessage(name, collision));
    if (!Number.isInteger(partitions) || partitions < 1) return fail(KafkaErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
    const replication = topic.replicationFactor;
    if (replication !== -1 && replication !== 1) {
      return fail(KafkaErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor: ${replication} larger than available brokers: 1.`);
    }
    const configs = Object.fromEntries(topic.configs.map((config) => [config.name, config.value ?? '']));
    try {
      if (validateOnly) {
        for (const [key, value] of Object.entries(configs)) checkTopicConfig(name, key, value);
        broker.checkNewTopic(name, partitions);
      } else broker.createTopicWith(name, partitions, configs);
    } catch (error) {
      if (!(error instanceof ZpsError)) throw error;
      return fail(error.code === 'usage' ? KafkaErrorCode.INVALID_CONFIG : KafkaErrorCode.POLICY_VIOLATION, error.message);
    }
    return {
      name,
      topicId: version >= 7 ? broker.topicId(name) : undefined,
      errorCode: KafkaErrorCode.NONE,
      errorMessage: null,
      numPartitions: partitions,
      replicationFactor: 1,
      configs: [],
    };
  };

  return {
    ApiVersions: () => ({ errorCode: KafkaErrorCode.NONE, apiKeys: advertisedVersions(), throttleTimeMs: 0 }),

    Metadata: (request, { version }) => {
      const asked = request.topics;
      const all = asked === null || (version === 0 && asked.length === 0);
      // Kafka's auto.create.topics.enable defaults to true; clients ask for it from v4 (consumers do not)
      const autoCreate = !all && (version < 4 || request.allowAutoTopicCreation === true);
      const names = all ? broker.listTopics().map((t) => t.topic) : asked.map((t) => t.name);
      const topics = names.map((name): Writable<MetadataResponseTopic> => {
        if (name === null) return { errorCode: KafkaErrorCode.UNKNOWN_TOPIC_ID, name, partitions: [] };
        if (partitionsOf(name) === undefined) {
          if (!isValidTopic(name)) return { errorCode: KafkaErrorCode.INVALID_TOPIC_EXCEPTION, name, partitions: [] };
          if (!autoCreate) return { errorCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, partitions: [] };
          if (broker.collidingTopic(name) !== undefined) return { errorCode: KafkaErrorCode.INVALID_TOPIC_EXCEPTION, name, partitions: [] };
          const refused = policyError(() => broker.createTopic(name, DEFAULT_PARTITIONS));
          if (refused) return { errorCode: KafkaErrorCode.POLICY_VIOLATION, name, partitions: [] };
        }
        return describeTopic(name);
      });
      return {
        throttleTimeMs: 0,
        brokers: [listener.advertised, ...listener.moreNodes].map(({ host, port }, nodeId) => ({ nodeId, host, port, rack: null })),
        clusterId: broker.clusterId,
        controllerId: NODE_ID,
        topics,
        clusterAuthorizedOperations: -2_147_483_648,
      };
    },

    CreateTopics: (request, { version }) => {
      const asked = request.topics.map((topic) => {
        const assigned = topic.assignments.length;
        return { topic, partitions: assigned > 0 ? assigned : topic.numPartitions === -1 ? DEFAULT_PARTITIONS : topic.numPartitions };
      });
      // Kafka refuses every topic of a request whose partitions together are too many
      const oversized = oversizedCreation(asked.map(({ partitions }) => Math.max(partitions, 0)));
      return {
        throttleTimeMs: 0,
        topics: asked.map(({ topic, partitions }) => createTopic(topic, partitions, version, request.validateOnly, oversized)),
      };
    },

    DeleteTopics: (request, { version }) => {
      const asked = version >= 6 ? request.topics.map((t) => ({ name: t.name, id: t.topicId })) : request.topicNames.map((name) => ({ name, id: undefined }));
      return {
        throttleTimeMs: 0,
        responses: asked.map(({ name: given, id }) => {
          const name = given ?? broker.listTopics().find((t) => id && broker.topicId(t.topic)?.equals(id))?.topic ?? null;
          if (name === null || partitionsOf(name) === undefined) {
            return {
              name: given,
              topicId: id,
              errorCode: given === null ? KafkaErrorCode.UNKNOWN_TOPIC_ID : KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              errorMessage: null,
            };
          }
          const topicId = broker.topicId(name);
          broker.deleteTopic(name);
          return { name, topicId, errorCode: KafkaErrorCode.NONE, errorMessage: null };
        }),
      };
    },

    DescribeConfigs: (request) => ({
      throttleTimeMs: 0,
      results: request.resources.map((resource) => {
        const { resourceType: type, resourceName: name, configurationKeys: wanted } = resource;
        const result = (
          errorCode: number,
          errorMessage: string | null,
          configs: Writable<DescribeConfigsResponseResourceResult>[],
        ): Writable<DescribeConfigsResponseResult> => ({
          errorCode,
          errorMessage,
          resourceType: type,
          resourceName: name,
          configs,
        });
        let configs: Array<[string, string, number, number?]>;
        if (type === TOPIC_RESOURCE) {
          if (partitionsOf(name) === undefined) return result(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist.`, []);
          const set = broker.topicConfigs(name) ?? {};
          configs = [
            ...topicConfigs(listener).filter(([key]) => !(key in set)),
            ...Object.entries(set).map(([key, value]): [string, string, number, number] => [key, value, ConfigType.string, TOPIC_CONFIG]),
          ].sort(([a], [b]) => (a < b ? -1 : 1));
        } else if (type === BROKER_RESOURCE) {
          configs = brokerConfigs(listener);
        } else {
          return result(KafkaErrorCode.INVALID_REQUEST, `resource type ${type} is not described by zps's local broker`, []);
        }
        const source = type === TOPIC_RESOURCE ? DEFAULT_CONFIG : STATIC_BROKER_CONFIG;
        return result(
          KafkaErrorCode.NONE,
          null,
          configs
            .filter(([key]) => wanted === null || wanted.includes(key))
            .map(([key, value, configType, configSource = source]) => ({
              name: key,
              value,
              readOnly: type !== TOPIC_RESOURCE,
              configSource,
              isSensitive: false,
              synonyms: [],
              configType,
              documentation: null,
            })),
        );
      }),
    }),
  };
}

/** The message of the broker's refusal (its memory cap, Kafka's partition limits) to do `create`, or undefined when it did. */
function policyError(create: () => unknown): string | undefined {
  try {
    create();
    return undefined;
  } catch (error) {
    if (error instanceof ZpsError) return error.message;
    throw error;
  }
}

function isValidTopic(name: string): boolean {
  try {
    validateTopicName(name);
    return true;
  } catch {
    return false;
  }
}

const limit = (value: number) => (Number.isFinite(value) ? String(value) : '-1');

/** The settings that hold for every topic of the daemon, under Kafka's names. */
function topicConfigs({ broker }: ListenerContext): Array<[string, string, number]> {
  return [
    ['cleanup.policy', 'delete', ConfigType.string],
    ['compression.type', 'producer', ConfigType.string],
    ['max.message.bytes', String(MAX_BATCH_BYTES), ConfigType.int],
    ['message.timestamp.type', 'CreateTime', ConfigType.string],
    ['min.insync.replicas', '1', ConfigType.int],
    ['retention.bytes', limit(broker.limits.retentionBytes), ConfigType.long],
    ['retention.ms', '-1', ConfigType.long],
  ];
}

function brokerConfigs(listener: ListenerContext): Array<[string, string, number]> {
  return [
    ['auto.create.topics.enable', 'true', ConfigType.boolean],
    ['message.max.bytes', String(MAX_BATCH_BYTES), ConfigType.int],
    ['fetch.max.bytes', String(FETCH_MAX_BYTES), ConfigType.int],
    ['num.partitions', String(DEFAULT_PARTITIONS), ConfigType.int],
    ['log.retention.bytes', limit(listener.broker.limits.retentionBytes), ConfigType.long],
  ];
}
