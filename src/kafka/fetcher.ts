import type { DeliveredRecord } from '../records/record.js';
import { Fetch } from '../wire/kafka/messages.js';
import { decodeRecordBatches } from '../wire/kafka/record-batch.js';
import { call, type Cluster } from './internals.js';

/** One partition's answer to a Fetch. */
export interface FetchedPartition {
  partition: number;
  /** Kafka's error code; 0: none. */
  errorCode: number;
  /** Records at or after the offset asked for; control records and aborted transactions left out. */
  records: DeliveredRecord[];
  /** The offset after the last complete batch the broker returned, left-out records included. */
  nextOffset: number | undefined;
}

const READ_COMMITTED = 1;

/**
 * A Fetch request of zps's own to one broker for partitions of one topic: encoded and decoded by
 * zps's codec (records into objects whose bytes are views of the answer), sent over kafkajs's
 * connection. Each partition's error comes back with that partition; the others' records are kept.
 */
export async function fetchPartitions(
  cluster: Cluster,
  nodeId: string,
  topic: string,
  partitions: ReadonlyArray<{ partition: number; offset: number }>,
  options: { maxWaitMs: number; maxBytes: number; partitionMaxBytes: number; requestTimeoutMs: number },
): Promise<FetchedPartition[]> {
  const response = await call(
    cluster,
    nodeId,
    Fetch,
    {
      replicaId: -1,
      maxWaitMs: options.maxWaitMs,
      minBytes: 1,
      maxBytes: options.maxBytes,
      isolationLevel: READ_COMMITTED,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic,
          partitions: partitions.map(({ partition, offset }) => ({
            partition,
            currentLeaderEpoch: -1,
            fetchOffset: offset,
            logStartOffset: -1,
            partitionMaxBytes: options.partitionMaxBytes,
          })),
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    },
    options.maxWaitMs + options.requestTimeoutMs,
  );
  const asked = new Map(partitions.map(({ partition, offset }) => [partition, offset]));
  const fetched: FetchedPartition[] = [];
  for (const { partitions: answered } of response.responses) {
    for (const answer of answered) {
      const fetchOffset = asked.get(answer.partitionIndex);
      if (fetchOffset === undefined) continue;
      if (answer.errorCode !== 0 || answer.records === null) {
        fetched.push({ partition: answer.partitionIndex, errorCode: answer.errorCode, records: [], nextOffset: undefined });
        continue;
      }
      const { records, nextOffset } = decodeRecordBatches(answer.records, {
        topic,
        partition: answer.partitionIndex,
        fetchOffset,
        abortedTransactions: answer.abortedTransactions ?? undefined,
      });
      fetched.push({ partition: answer.partitionIndex, errorCode: 0, records, nextOffset });
    }
  }
  return fetched;
}
