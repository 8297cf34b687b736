/**
 * Reading APIs of the Kafka listener: Fetch (long polling on the broker's watches), ListOffsets,
 * OffsetForLeaderEpoch and DeleteRecords. A partition's records go out as one record batch encoded
 * from the log's columns, starting at the offset asked for (encoded ahead for a reader going
 * through a partition in order: read-ahead.ts).
 */
import type { MemoryBroker } from '../../memory/broker.js';
import { longPoll } from '../../memory/long-poll.js';
import { KafkaErrorCode } from '../../wire/kafka/errors.js';
import type { Writable } from '../../wire/kafka/definition.js';
import type { FetchRequestTopic, FetchResponseFetchableTopicResponse } from '../../wire/kafka/message-types.js';
import { NO_PRODUCER, encodeRecordBatch } from '../../wire/kafka/record-batch.js';
import { RECORD_FRAMING_BYTES } from '../../wire/record-batch-size.js';
import { type ListenerContext, type Handlers, LEADER_EPOCH, eachPartition, leaderOf } from './handlers.js';
import { type EncodedRecords, ReadAhead } from './read-ahead.js';

const EMPTY = Buffer.alloc(0);
const READ_COMMITTED = 1;
const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;
/** Kafka's fetch.max.bytes: a fetch answers at most this much whatever its max_bytes (a first record may exceed it, so a client always progresses). */
export const FETCH_MAX_BYTES = 55 * 1024 * 1024;

export function fetchHandlers(listener: ListenerContext): Handlers {
  const { broker } = listener;
  const readAhead = new ReadAhead(broker);

  return {
    Fetch: async (request, { signal, node }) => {
      const { topics } = request;
      const maxBytes = Math.min(request.maxBytes, FETCH_MAX_BYTES);
      const led = (topic: string, partition: number) => leaderOf(listener, topic, partition) === node;
      const result = await longPoll(
        broker,
        topics.map((t) => t.topic),
        () => readTopics(broker, readAhead, topics, maxBytes, request.isolationLevel === READ_COMMITTED, led),
        (read) => read.bytes >= request.minBytes || read.failed,
        request.maxWaitMs,
        signal,
      );
      return { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE, sessionId: 0, responses: result.responses };
    },

    ListOffsets: (request) => ({
      throttleTimeMs: 0,
      topics: eachPartition(broker, request.topics, { topic: 'name', partition: 'partitionIndex' }, (name, partitionIndex, at, p) => {
        if (!at) return { partitionIndex, errorCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, timestamp: -1, offset: -1, leaderEpoch: -1 };
        const found = (offset: number, timestamp = -1) => ({ partitionIndex, errorCode: KafkaErrorCode.NONE, timestamp, offset, leaderEpoch: LEADER_EPOCH });
        const asked = p.timestamp;
        if (asked === LATEST) return found(at.end);
        if (asked === EARLIEST) return found(at.start);
        const offset = asked === MAX_TIMESTAMP ? at.end - 1 : broker.offsetAtTime(name, partitionIndex, asked)!;
        // none stored at or after the time: Kafka answers offset -1
        if (offset < at.start || offset >= at.end) return found(-1);
        return found(offset, timestampAt(broker, name, partitionIndex, offset));
      }),
    }),

    OffsetForLeaderEpoch: (request) => ({
      throttleTimeMs: 0,
      // one leader epoch for the whole life of a partition: its end is the epoch's end
      topics: eachPartition(broker, request.topics, { topic: 'topic', partition: 'partition' }, (_, partition, at) =>
        at
          ? { errorCode: KafkaErrorCode.NONE, partition, leaderEpoch: LEADER_EPOCH, endOffset: at.end }
          : { errorCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, partition, leaderEpoch: -1, endOffset: -1 },
      ),
    }),

    DeleteRecords: (request) => ({
      throttleTimeMs: 0,
      topics: eachPartition(broker, request.topics, { topic: 'name', partition: 'partitionIndex' }, (name, partitionIndex, at, p) => {
        if (!at) return { partitionIndex, lowWatermark: -1, errorCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        const before = p.offset === -1 ? at.end : p.offset;
        if (before < 0 || before > at.end) return { partitionIndex, lowWatermark: -1, errorCode: KafkaErrorCode.OFFSET_OUT_OF_RANGE };
        return { partitionIndex, lowWatermark: broker.deleteRecords(name, partitionIndex, before), errorCode: KafkaErrorCode.NONE };
      }),
    }),
  };
}

interface ReadResult {
  responses: Writable<FetchResponseFetchableTopicResponse>[];
  bytes: number;
  /** A partition answered with an error: the client must hear it now, not after max_wait. */
  failed: boolean;
}

/** Each partition's records from its fetch offset, within its own limit and the request's; those the node does not lead (`led`) are refused. */
function readTopics(
  broker: MemoryBroker,
  readAhead: ReadAhead,
  topics: FetchRequestTopic[],
  maxBytes: number,
  readCommitted: boolean,
  led: (topic: string, partition: number) => boolean,
): ReadResult {
  let bytes = 0;
  let failed = false;
  const responses = eachPartition(broker, topics, { topic: 'topic', partition: 'partition' }, (name, partitionIndex, at, p) => {
    const answer = (errorCode: number, records: Buffer) => ({
      partitionIndex,
      errorCode,
      highWatermark: at?.end ?? -1,
      lastStableOffset: at?.end ?? -1,
      logStartOffset: at?.start ?? -1,
      abortedTransactions: readCommitted ? [] : null,
      preferredReadReplica: -1,
      records,
    });
    const { fetchOffset } = p;
    if (at && !led(name, partitionIndex)) {
      failed = true;
      return answer(KafkaErrorCode.NOT_LEADER_OR_FOLLOWER, EMPTY);
    }
    if (!at || fetchOffset < at.start || fetchOffset > at.end) {
      failed = true;
      return answer(at ? KafkaErrorCode.OFFSET_OUT_OF_RANGE : KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, EMPTY);
    }
    // within the partition's limit and what is left of the request's (a slice has at least one record)
    const budget = Math.min(p.partitionMaxBytes, maxBytes - bytes);
    if (budget <= 0 || fetchOffset === at.end) return answer(KafkaErrorCode.NONE, EMPTY);
    const encode = (offset: number) => () => encodedRecords(broker, name, partitionIndex, offset, budget);
    const encoded = readAhead.take(name, partitionIndex, fetchOffset, budget) ?? encode(fetchOffset)();
    if (!encoded) return answer(KafkaErrorCode.NONE, EMPTY);
    if (encoded.next < at.end) readAhead.prepare(name, partitionIndex, encoded.next, budget, encode(encoded.next));
    bytes += encoded.records.byteLength;
    return answer(KafkaErrorCode.NONE, encoded.records);
  });
  return { responses, bytes, failed };
}

/** A partition's records from `offset` (none when it is not in the log), about `budget` bytes, as one record batch. */
function encodedRecords(broker: MemoryBroker, topic: string, partition: number, offset: number, budget: number): EncodedRecords | undefined {
  const slice = broker.fetch(topic, [[partition, offset]], Number.POSITIVE_INFINITY, budget, RECORD_FRAMING_BYTES)[0]?.slice;
  if (!slice || slice.offset(0) !== offset) return undefined;
  const indexes = new Uint32Array(slice.length);
  for (let i = 0; i < indexes.length; i++) indexes[i] = i;
  return { records: encodeRecordBatch(slice, indexes, slice.timestamp(0), NO_PRODUCER, undefined, offset), next: offset + slice.length };
}

function timestampAt(broker: MemoryBroker, topic: string, partition: number, offset: number): number {
  return broker.fetch(topic, [[partition, offset]], 1, 1)[0]?.slice.timestamp(0) ?? -1;
}
