/**
 * The Kafka listener's APIs that change topics: CreatePartitions, IncrementalAlterConfigs and
 * AlterConfigs. They change the broker's topics, the ones zps shows: one broker, two doors.
 */
import { ZpsError } from '../../pubsub/errors.js';
import type { TopicChange } from '../../pubsub/types.js';
import { KafkaErrorCode } from '../../wire/kafka/errors.js';
import { TOPIC_RESOURCE } from '../../wire/kafka/messages.js';
import type { Handlers, ListenerContext } from './handlers.js';

/** IncrementalAlterConfigs' operations. */
const SET = 0;
const DELETE = 1;

interface Refusal {
  errorCode: number;
  errorMessage: string;
}

export function topicChangeHandlers({ broker }: ListenerContext): Handlers {
  /** Applies the change (with validateOnly only checks it); Kafka's refusal when it cannot. */
  const change = (topic: string, what: TopicChange, validateOnly: boolean): Refusal | undefined => {
    const current = broker.partitionOffsets(topic)?.length;
    if (current === undefined) return { errorCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${topic} does not exist.` };
    if (what.partitions !== undefined && what.partitions <= current) {
      const errorMessage =
        what.partitions === current
          ? `Topic already has ${current} partitions.`
          : `Topic currently has ${current} partitions, which is higher than the requested ${what.partitions}.`;
      return { errorCode: KafkaErrorCode.INVALID_PARTITIONS, errorMessage };
    }
    try {
      broker.alterTopic(topic, what, validateOnly);
      return undefined;
    } catch (error) {
      if (!(error instanceof ZpsError)) throw error;
      return { errorCode: error.code === 'usage' ? KafkaErrorCode.INVALID_CONFIG : KafkaErrorCode.POLICY_VIOLATION, errorMessage: error.message };
    }
  };

  /** A resource's answer: only topics are altered here. */
  const alterResource = (resourceType: number, resourceName: string, what: () => TopicChange | Refusal, validateOnly: boolean) => {
    const answer = (refusal: Refusal | undefined) => ({
      errorCode: refusal?.errorCode ?? KafkaErrorCode.NONE,
      errorMessage: refusal?.errorMessage ?? null,
      resourceType,
      resourceName,
    });
    if (resourceType !== TOPIC_RESOURCE) {
      return answer({ errorCode: KafkaErrorCode.INVALID_REQUEST, errorMessage: `resource type ${resourceType} is not altered by zps's local broker` });
    }
    const asked = what();
    return answer('errorCode' in asked ? asked : change(resourceName, asked, validateOnly));
  };

  return {
    CreatePartitions: (request) => ({
      throttleTimeMs: 0,
      results: request.topics.map(({ name, count }) => {
        const refusal = change(name, { partitions: count }, request.validateOnly);
        return { name, errorCode: refusal?.errorCode ?? KafkaErrorCode.NONE, errorMessage: refusal?.errorMessage ?? null };
      }),
    }),

    IncrementalAlterConfigs: (request) => ({
      throttleTimeMs: 0,
      responses: request.resources.map(({ resourceType, resourceName, configs }) =>
        alterResource(
          resourceType,
          resourceName,
          () => {
            const set: Record<string, string> = {};
            const unset: string[] = [];
            for (const { name, configOperation, value } of configs) {
              if (configOperation === SET) set[name] = value ?? '';
              else if (configOperation === DELETE) unset.push(name);
              else
                return {
                  errorCode: KafkaErrorCode.INVALID_CONFIG,
                  errorMessage: `cannot append to or subtract from ${name}: it is not a list in zps's local broker`,
                };
            }
            return { set, unset };
          },
          request.validateOnly,
        ),
      ),
    }),

    // the whole set of a topic's settings: those not named go back to their defaults
    AlterConfigs: (request) => ({
      throttleTimeMs: 0,
      responses: request.resources.map(({ resourceType, resourceName, configs }) =>
        alterResource(
          resourceType,
          resourceName,
          () => {
            const set = Object.fromEntries(configs.map(({ name, value }) => [name, value ?? '']));
            const unset = Object.keys(broker.topicConfigs(resourceName) ?? {}).filter((name) => !(name in set));
            return { set, unset };
          },
          request.validateOnly,
        ),
      ),
    }),
  };
}
