/**
 * The Kafka requests and responses zps sends itself, in their non-flexible versions (the ones a
 * request header v1 carries): Produce 3-8, Fetch 4-11, OffsetCommit 2-7, InitProducerId 0-1. Field by field as in
 * Kafka's message definitions (clients/src/main/resources/common/message/*.json).
 */
import { array, bytes, field, int8, int16, int32, int64, nullableString, string, struct, type Type, type Value } from './schema.js';

export const ProduceRequest = struct({
  transactionalId: field(nullableString, 3),
  acks: field(int16),
  timeoutMs: field(int32),
  topics: field(
    array(
      struct({
        name: field(string),
        partitions: field(array(struct({ index: field(int32), records: field(bytes) }))),
      }),
    ),
  ),
});
export type ProduceRequest = Value<typeof ProduceRequest.fields>;

export const ProduceResponse = struct({
  topics: field(
    array(
      struct({
        name: field(string),
        partitions: field(
          array(
            struct({
              index: field(int32),
              errorCode: field(int16),
              baseOffset: field(int64),
              logAppendTimeMs: field(int64, 2),
              logStartOffset: field(int64, 5),
              recordErrors: field(array(struct({ batchIndex: field(int32), message: field(nullableString) })), 8),
              errorMessage: field(nullableString, 8),
            }),
          ),
        ),
      }),
    ),
  ),
  throttleTimeMs: field(int32, 1),
});
export type ProduceResponse = Value<typeof ProduceResponse.fields>;

export const FetchRequest = struct({
  replicaId: field(int32),
  maxWaitMs: field(int32),
  minBytes: field(int32),
  maxBytes: field(int32, 3),
  isolationLevel: field(int8, 4),
  sessionId: field(int32, 7),
  sessionEpoch: field(int32, 7),
  topics: field(
    array(
      struct({
        topic: field(string),
        partitions: field(
          array(
            struct({
              partition: field(int32),
              currentLeaderEpoch: field(int32, 9),
              fetchOffset: field(int64),
              logStartOffset: field(int64, 5),
              partitionMaxBytes: field(int32),
            }),
          ),
        ),
      }),
    ),
  ),
  forgottenTopicsData: field(array(struct({ topic: field(string), partitions: field(array(int32)) })), 7),
  rackId: field(string, 11),
});
export type FetchRequest = Value<typeof FetchRequest.fields>;

export const FetchResponse = struct({
  throttleTimeMs: field(int32, 1),
  errorCode: field(int16, 7),
  sessionId: field(int32, 7),
  responses: field(
    array(
      struct({
        topic: field(string),
        partitions: field(
          array(
            struct({
              partitionIndex: field(int32),
              errorCode: field(int16),
              highWatermark: field(int64),
              lastStableOffset: field(int64, 4),
              logStartOffset: field(int64, 5),
              abortedTransactions: field(array(struct({ producerId: field(int64), firstOffset: field(int64) })), 4),
              preferredReadReplica: field(int32, 11),
              records: field(bytes),
            }),
          ),
        ),
      }),
    ),
  ),
});
export type FetchResponse = Value<typeof FetchResponse.fields>;

export const OffsetCommitRequest = struct({
  groupId: field(string),
  generationIdOrMemberEpoch: field(int32, 1),
  memberId: field(string, 1),
  groupInstanceId: field(nullableString, 7),
  retentionTimeMs: field(int64, 2, 4),
  topics: field(
    array(
      struct({
        name: field(string),
        partitions: field(
          array(
            struct({
              partitionIndex: field(int32),
              committedOffset: field(int64),
              committedLeaderEpoch: field(int32, 6),
              committedMetadata: field(nullableString),
            }),
          ),
        ),
      }),
    ),
  ),
});
export type OffsetCommitRequest = Value<typeof OffsetCommitRequest.fields>;

export const OffsetCommitResponse = struct({
  throttleTimeMs: field(int32, 3),
  topics: field(array(struct({ name: field(string), partitions: field(array(struct({ partitionIndex: field(int32), errorCode: field(int16) }))) }))),
});
export type OffsetCommitResponse = Value<typeof OffsetCommitResponse.fields>;

export const InitProducerIdRequest = struct({
  transactionalId: field(nullableString),
  transactionTimeoutMs: field(int32),
});
export type InitProducerIdRequest = Value<typeof InitProducerIdRequest.fields>;

export const InitProducerIdResponse = struct({
  throttleTimeMs: field(int32),
  errorCode: field(int16),
  producerId: field(int64),
  producerEpoch: field(int16),
});
export type InitProducerIdResponse = Value<typeof InitProducerIdResponse.fields>;

/** An API as zps speaks it: its key and name, the versions zps writes, its request and response. */
export interface Api<Request, Response> {
  key: number;
  name: string;
  versions: readonly [lowest: number, highest: number];
  request: Type<Request>;
  response: Type<Response>;
}

export const Produce: Api<ProduceRequest, ProduceResponse> = { key: 0, name: 'Produce', versions: [3, 8], request: ProduceRequest, response: ProduceResponse };
export const Fetch: Api<FetchRequest, FetchResponse> = { key: 1, name: 'Fetch', versions: [4, 11], request: FetchRequest, response: FetchResponse };
export const OffsetCommit: Api<OffsetCommitRequest, OffsetCommitResponse> = {
  key: 8,
  name: 'OffsetCommit',
  versions: [2, 7],
  request: OffsetCommitRequest,
  response: OffsetCommitResponse,
};
export const InitProducerId: Api<InitProducerIdRequest, InitProducerIdResponse> = {
  key: 22,
  name: 'InitProducerId',
  versions: [0, 1],
  request: InitProducerIdRequest,
  response: InitProducerIdResponse,
};

/** Kafka's error codes zps acts on by name. */
export const ErrorCode = {
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  MESSAGE_TOO_LARGE: 10,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  NETWORK_EXCEPTION: 13,
  NOT_ENOUGH_REPLICAS: 19,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20,
  RECORD_LIST_TOO_LARGE: 18,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  UNKNOWN_PRODUCER_ID: 59,
  KAFKA_STORAGE_ERROR: 56,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  UNKNOWN_TOPIC_ID: 100,
  // answered by the daemon's Kafka listener
  UNKNOWN_SERVER_ERROR: -1,
  INVALID_TOPIC_EXCEPTION: 17,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  REBALANCE_IN_PROGRESS: 27,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REQUEST: 42,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  POLICY_VIOLATION: 44,
  GROUP_ID_NOT_FOUND: 69,
  MEMBER_ID_REQUIRED: 79,
  INVALID_RECORD: 87,
} as const;

/** Errors the broker may give to a request that succeeds when sent again (to the new leader, say). */
export const RETRIABLE_ERRORS: ReadonlySet<number> = new Set([
  ErrorCode.CORRUPT_MESSAGE,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
]);
