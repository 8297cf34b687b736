import type { MemoryBroker, PartitionOffsets } from '../../memory/broker.js';
import type { Message } from '../../wire/kafka/definition.js';
import { ErrorCode } from '../../wire/kafka/errors.js';
import type { ListenAddress } from './address.js';

/** What every handler of the Kafka door reaches: the one broker, and the address clients are told. */
export interface Door {
  broker: MemoryBroker;
  advertised: ListenAddress;
}

/** The door is a cluster of one broker: node 0, leader of every partition, its own coordinator. */
export const NODE_ID = 0;
export const LEADER_EPOCH = 0;

/**
 * Transactions are not kept. A transactional id is refused with an error every client takes as
 * final at once (librdkafka retries most others until its timeout), with the reason where the
 * response has room for it.
 */
export const TRANSACTIONS_REFUSED = {
  errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  errorMessage: "transactions are not supported by zps's local broker",
} as const;

export type { Handlers } from './listener.js';

/** Items of a request's array field, typed loosely: each handler reads the fields its API has. */
export function items(value: unknown): Message[] {
  return (value as Message[] | null) ?? [];
}

/**
 * A request of topics and their partitions answered partition by partition, each topic under the
 * field names its API uses: `answer` gets the topic, the partition asked, that partition's offsets
 * (undefined when it does not exist) and the request's entry for it.
 */
export function eachPartition(
  broker: MemoryBroker,
  topics: unknown,
  names: { topic: string; partition: string },
  answer: (topic: string, partition: number, at: PartitionOffsets | undefined, asked: Message) => Message,
): Message[] {
  return items(topics).map((topic) => {
    const name = topic[names.topic] as string;
    const offsets = broker.partitionOffsets(name);
    return {
      [names.topic]: name,
      partitions: items(topic.partitions).map((asked) => {
        const partition = asked[names.partition] as number;
        return answer(name, partition, offsets?.[partition], asked);
      }),
    };
  });
}
