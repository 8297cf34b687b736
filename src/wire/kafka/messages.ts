/**
 * The Kafka requests and responses zps's Kafka driver sends itself, in their non-flexible versions
 * (the ones a request header v1 carries, which kafkajs writes): Produce 3-8, Fetch 4-11,
 * OffsetCommit 2-7, InitProducerId 0-1, Metadata 4-8, DescribeConfigs 1-3. Their codecs are Kafka's own definitions compiled
 * (definition.ts), the same ones the daemon's Kafka listener serves with; the interfaces type the
 * fields zps reads and writes (a field left out is written as its default).
 */
import type { Reader, Writer } from './bytes.js';
import { compileMessage, type MessageDefinition } from './definition.js';
import * as definitions from './definitions.js';

export interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topicData: Array<{ name: string; partitionData: Array<{ index: number; records: Buffer | null }> }>;
}

export interface ProduceResponse {
  responses: Array<{
    name: string;
    partitionResponses: Array<{ index: number; errorCode: number; baseOffset: number; logStartOffset: number; errorMessage: string | null }>;
  }>;
  throttleTimeMs: number;
}

export interface FetchRequest {
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: number;
  sessionId: number;
  sessionEpoch: number;
  topics: Array<{
    topic: string;
    partitions: Array<{ partition: number; currentLeaderEpoch: number; fetchOffset: number; logStartOffset: number; partitionMaxBytes: number }>;
  }>;
  forgottenTopicsData: Array<{ topic: string; partitions: number[] }>;
  rackId: string;
}

export interface FetchResponse {
  throttleTimeMs: number;
  errorCode: number;
  sessionId: number;
  responses: Array<{
    topic: string;
    partitions: Array<{
      partitionIndex: number;
      errorCode: number;
      highWatermark: number;
      lastStableOffset: number;
      logStartOffset: number;
      /** Null when the broker has none to tell (read_uncommitted). */
      abortedTransactions: Array<{ producerId: number; firstOffset: number }> | null;
      preferredReadReplica: number;
      records: Buffer | null;
    }>;
  }>;
}

export interface OffsetCommitRequest {
  groupId: string;
  generationIdOrMemberEpoch: number;
  memberId: string;
  groupInstanceId: string | null;
  retentionTimeMs: number;
  topics: Array<{
    name: string;
    partitions: Array<{ partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string | null }>;
  }>;
}

export interface OffsetCommitResponse {
  throttleTimeMs: number;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>;
}

export interface InitProducerIdRequest {
  transactionalId: string | null;
  transactionTimeoutMs: number;
}

export interface InitProducerIdResponse {
  throttleTimeMs: number;
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

export interface MetadataRequest {
  topics: Array<{ name: string }> | null;
  allowAutoTopicCreation: boolean;
  includeClusterAuthorizedOperations: boolean;
  includeTopicAuthorizedOperations: boolean;
}

export interface MetadataResponse {
  controllerId: number;
  topics: Array<{
    errorCode: number;
    name: string;
    partitions: Array<{ errorCode: number; partitionIndex: number; leaderId: number }>;
  }>;
}

export interface DescribeConfigsRequest {
  resources: Array<{ resourceType: number; resourceName: string; configurationKeys: string[] | null }>;
  includeSynonyms: boolean;
  includeDocumentation: boolean;
}

export interface DescribeConfigsResponse {
  results: Array<{ errorCode: number; resourceName: string; configs: Array<{ name: string; value: string | null }> }>;
}

/** DescribeConfigs's resource type of a topic. */
export const TOPIC_RESOURCE = 2;

/** A compiled message, typed as the interface of its fields. */
export interface Codec<T> {
  write(writer: Writer, value: T, version: number): void;
  read(reader: Reader, version: number): T;
}

/** An API as zps speaks it: its key and name, the versions zps writes, its request and response. */
export interface Api<Request, Response> {
  key: number;
  name: string;
  versions: readonly [lowest: number, highest: number];
  request: Codec<Request>;
  response: Codec<Response>;
}

function api<Request, Response>(
  name: string,
  versions: readonly [number, number],
  request: MessageDefinition,
  response: MessageDefinition,
): Api<Request, Response> {
  return {
    key: request.apiKey!,
    name,
    versions,
    request: compileMessage(request) as unknown as Codec<Request>,
    response: compileMessage(response) as unknown as Codec<Response>,
  };
}

export const Produce = api<ProduceRequest, ProduceResponse>('Produce', [3, 8], definitions.ProduceRequest, definitions.ProduceResponse);
export const Fetch = api<FetchRequest, FetchResponse>('Fetch', [4, 11], definitions.FetchRequest, definitions.FetchResponse);
export const OffsetCommit = api<OffsetCommitRequest, OffsetCommitResponse>(
  'OffsetCommit',
  [2, 7],
  definitions.OffsetCommitRequest,
  definitions.OffsetCommitResponse,
);
export const InitProducerId = api<InitProducerIdRequest, InitProducerIdResponse>(
  'InitProducerId',
  [0, 1],
  definitions.InitProducerIdRequest,
  definitions.InitProducerIdResponse,
);
export const Metadata = api<MetadataRequest, MetadataResponse>('Metadata', [4, 8], definitions.MetadataRequest, definitions.MetadataResponse);
export const DescribeConfigs = api<DescribeConfigsRequest, DescribeConfigsResponse>(
  'DescribeConfigs',
  [1, 3],
  definitions.DescribeConfigsRequest,
  definitions.DescribeConfigsResponse,
);

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
  TOPIC_AUTHORIZATION_FAILED: 29,
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
  POLICY_VIOLATION: 44,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  GROUP_ID_NOT_FOUND: 69,
  MEMBER_ID_REQUIRED: 79,
  INVALID_RECORD: 87,
} as const;

const ERROR_NAMES: Record<number, string> = Object.fromEntries(Object.entries(ErrorCode).map(([name, code]) => [code, name]));

/**
 * An error for a code the broker answered, with its name as kafkajs's `type` (what the Kafka
 * driver's error messages go by) and whether sending again may cure it.
 */
export function brokerError(code: number, what: string): Error & { type?: string; retriable: boolean } {
  return Object.assign(new Error(`Kafka error ${code} ${what}`), { type: ERROR_NAMES[code], retriable: RETRIABLE_ERRORS.has(code) });
}

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
