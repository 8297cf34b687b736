/**
 * ApiVersions, Metadata and the topic admin APIs (CreateTopics, DeleteTopics, DescribeConfigs)
 * of the Kafka door. Topics are the broker's own: what a Kafka client creates, zps sees.
 */
import { MAX_BATCH_BYTES } from '../../memory/broker.js';
import { oversizedCreation } from '../../memory/topic-policy.js';
import { ZpsError } from '../../pubsub/errors.js';
import { validateTopicName } from '../../pubsub/limits.js';
import { ErrorCode } from '../../wire/kafka/errors.js';
import type { Message } from '../../wire/kafka/definition.js';
import { advertisedVersions } from './apis.js';
import { FETCH_MAX_BYTES } from './fetch.js';
import { type Door, type Handlers, LEADER_EPOCH, NODE_ID, items } from './door.js';

const CLUSTER_ID = 'zps-local-daemon';
/** Kafka's num.partitions: what an auto-created topic or CreateTopics with -1 gets. */
const DEFAULT_PARTITIONS = 1;
const TOPIC_RESOURCE = 2;
const BROKER_RESOURCE = 4;
/** DescribeConfigs' config sources and types. */
const DEFAULT_CONFIG = 5;
const STATIC_BROKER_CONFIG = 4;
const ConfigType = { boolean: 1, string: 2, int: 3, long: 5 } as const;

export function topicHandlers(door: Door): Handlers {
  const { broker } = door;
  const partitionsOf = (topic: string) => broker.partitionOffsets(topic)?.length;

  const describeTopic = (name: string): Message => {
    const count = partitionsOf(name)!;
    return {
      errorCode: ErrorCode.NONE,
      name,
      topicId: broker.topicId(name),
      isInternal: false,
      partitions: Array.from({ length: count }, (_, partitionIndex) => ({
        errorCode: ErrorCode.NONE,
        partitionIndex,
        leaderId: NODE_ID,
        leaderEpoch: LEADER_EPOCH,
        replicaNodes: [NODE_ID],
        isrNodes: [NODE_ID],
        offlineReplicas: [],
      })),
    };
  };

  /** One topic of a CreateTopics request: created (or with validateOnly checked), or refused in Kafka's words. */
  const createTopic = (topic: Message, partitions: number, version: number, validateOnly: boolean, oversized: string | undefined): Message => {
    const name = topic.name as string;
    const fail = (errorCode: number, errorMessage: string) => ({ name, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: null });
    if (oversized) return fail(ErrorCode.POLICY_VIOLATION, oversized);
    if (!isValidTopic(name)) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `invalid topic name '${name}'`);
    if (partitionsOf(name) !== undefined) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    if (!Number.isInteger(partitions) || partitions < 1) return fail(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
    const replication = topic.replicationFactor as number;
    if (replication !== -1 && replication !== 1) {
      return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor: ${replication} larger than available brokers: 1.`);
    }
    const refused = policyError(() => (validateOnly ? broker.checkNewTopic(name, partitions) : broker.createTopic(name, partitions)));
    if (refused) return fail(ErrorCode.POLICY_VIOLATION, refused);
    return {
      name,
      topicId: version >= 7 ? broker.topicId(name) : undefined,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      numPartitions: partitions,
      replicationFactor: 1,
      configs: [],
    };
  };

  return {
    ApiVersions: () => ({ errorCode: ErrorCode.NONE, apiKeys: advertisedVersions(), throttleTimeMs: 0 }),

    Metadata: (request, { version }) => {
      const asked = request.topics as Message[] | null;
      const all = asked === null || (version === 0 && asked.length === 0);
      // Kafka's auto.create.topics.enable defaults to true; clients ask for it from v4 (consumers do not)
      const autoCreate = !all && (version < 4 || request.allowAutoTopicCreation === true);
      const names = all ? broker.listTopics().map((t) => t.topic) : asked.map((t) => t.name as string | null);
      const topics = names.map((name): Message => {
        if (name === null) return { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name, partitions: [] };
        if (partitionsOf(name) === undefined) {
          if (!isValidTopic(name)) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, name, partitions: [] };
          if (!autoCreate) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, partitions: [] };
          const refused = policyError(() => broker.createTopic(name, DEFAULT_PARTITIONS));
          if (refused) return { errorCode: ErrorCode.POLICY_VIOLATION, name, partitions: [] };
        }
        return describeTopic(name);
      });
      return {
        throttleTimeMs: 0,
        brokers: [{ nodeId: NODE_ID, host: door.advertised.host, port: door.advertised.port, rack: null }],
        clusterId: CLUSTER_ID,
        controllerId: NODE_ID,
        topics,
        clusterAuthorizedOperations: -2_147_483_648,
      };
    },

    CreateTopics: (request, { version }) => {
      const asked = items(request.topics).map((topic) => {
        const assigned = items(topic.assignments).length;
        return { topic, partitions: assigned > 0 ? assigned : topic.numPartitions === -1 ? DEFAULT_PARTITIONS : (topic.numPartitions as number) };
      });
      // Kafka refuses every topic of a request whose partitions together are too many
      const oversized = oversizedCreation(asked.map(({ partitions }) => Math.max(partitions, 0)));
      return {
        throttleTimeMs: 0,
        topics: asked.map(({ topic, partitions }) => createTopic(topic, partitions, version, request.validateOnly === true, oversized)),
      };
    },

    DeleteTopics: (request, { version }) => {
      const asked =
        version >= 6
          ? items(request.topics).map((t) => ({ name: t.name as string | null, id: t.topicId as Buffer }))
          : (request.topicNames as string[]).map((name) => ({ name, id: undefined }));
      return {
        throttleTimeMs: 0,
        responses: asked.map(({ name: given, id }) => {
          const name = given ?? broker.listTopics().find((t) => id && broker.topicId(t.topic)?.equals(id))?.topic ?? null;
          if (name === null || partitionsOf(name) === undefined) {
            return {
              name: given,
              topicId: id,
              errorCode: given === null ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              errorMessage: null,
            };
          }
          const topicId = broker.topicId(name);
          broker.reset([name]);
          return { name, topicId, errorCode: ErrorCode.NONE, errorMessage: null };
        }),
      };
    },

    DescribeConfigs: (request) => ({
      throttleTimeMs: 0,
      results: items(request.resources).map((resource): Message => {
        const type = resource.resourceType as number;
        const name = resource.resourceName as string;
        const wanted = resource.configurationKeys as string[] | null;
        const result = (errorCode: number, errorMessage: string | null, configs: Message[]) => ({
          errorCode,
          errorMessage,
          resourceType: type,
          resourceName: name,
          configs,
        });
        let configs: Array<[string, string, number]>;
        if (type === TOPIC_RESOURCE) {
          if (partitionsOf(name) === undefined) return result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist.`, []);
          configs = topicConfigs(door);
        } else if (type === BROKER_RESOURCE) {
          configs = brokerConfigs(door);
        } else {
          return result(ErrorCode.INVALID_REQUEST, `resource type ${type} is not described by zps's local broker`, []);
        }
        const source = type === TOPIC_RESOURCE ? DEFAULT_CONFIG : STATIC_BROKER_CONFIG;
        return result(
          ErrorCode.NONE,
          null,
          configs
            .filter(([key]) => wanted === null || wanted.includes(key))
            .map(([key, value, configType]) => ({
              name: key,
              value,
              readOnly: true,
              configSource: source,
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
function topicConfigs({ broker }: Door): Array<[string, string, number]> {
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

function brokerConfigs(door: Door): Array<[string, string, number]> {
  return [
    ['auto.create.topics.enable', 'true', ConfigType.boolean],
    ['message.max.bytes', String(MAX_BATCH_BYTES), ConfigType.int],
    ['fetch.max.bytes', String(FETCH_MAX_BYTES), ConfigType.int],
    ['num.partitions', String(DEFAULT_PARTITIONS), ConfigType.int],
    ['log.retention.bytes', limit(door.broker.limits.retentionBytes), ConfigType.long],
  ];
}
