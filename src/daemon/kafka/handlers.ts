import type { MemoryBroker, PartitionOffsets } from '../../memory/broker.js';
import { KafkaErrorCode } from '../../wire/kafka/errors.js';
import type { ListenAddress } from './address.js';

/** What every handler of the Kafka listener reaches: the one broker, and the addresses clients are told. */
export interface ListenerContext {
  broker: MemoryBroker;
  /** Node 0's, the daemon's only node. */
  advertised: ListenAddress;
  /** Nodes 1 and on, each a port onto the same broker: only tests open them, to move leaders there. */
  moreNodes: ListenAddress[];
  /** Partitions (`topic/partition`) a test moved to another node; the leader epoch stays (no client here checks it). */
  movedLeaders: Map<string, number>;
}

/** Node 0: the controller and every group's coordinator, and leader of each partition no test moved. */
export const NODE_ID = 0;
export const LEADER_EPOCH = 0;

/** The node leading a partition: node 0 unless a test moved it. */
export function leaderOf(listener: ListenerContext, topic: string, partition: number): number {
  return listener.movedLeaders.get(`${topic}/${partition}`) ?? NODE_ID;
}

/**
 * Transactions are not kept. A transactional id is refused with an error every client takes as
 * final at once (librdkafka retries most others until its timeout), with the reason where the
 * response has room for it.
 */
export const TRANSACTIONS_REFUSED = {
  errorCode: KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  errorMessage: "transactions are not supported by zps's local broker",
} as const;

export type { Handlers } from './server.js';

/**
 * A request of topics and their partitions answered partition by partition, each topic under the
 * field names its API uses: `answer` gets the topic, the partition asked, that partition's offsets
 * (undefined when it does not exist) and the request's entry for it.
 */
export function eachPartition<TopicKey extends string, PartitionKey extends string, Asked extends Record<PartitionKey, number>, Answer>(
  broker: MemoryBroker,
  topics: ReadonlyArray<Record<TopicKey, string> & { partitions: readonly Asked[] }>,
  names: { topic: TopicKey; partition: PartitionKey },
  answer: (topic: string, partition: number, at: PartitionOffsets | undefined, asked: Asked) => Answer,
): Array<Record<TopicKey, string> & { partitions: Answer[] }> {
  return topics.map((topic) => {
    const name = topic[names.topic];
    const offsets = broker.partitionOffsets(name);
    const partitions = topic.partitions.map((asked) => {
      const partition = asked[names.partition];
      return answer(name, partition, offsets?.[partition], asked);
    });
    // TypeScript widens a computed key to a string index: it is the key `names.topic`
    return { [names.topic]: name, partitions } as Record<TopicKey, string> & { partitions: Answer[] };
  });
}
