/**
 * The Kafka requests and responses zps's Kafka driver sends itself (over its own connections,
 * src/kafka/client, which write header v2 for flexible versions and v1 for the others): Produce 3-8, Fetch 4-11,
 * OffsetCommit 2-7, InitProducerId 0-1, Metadata 4-8, DescribeConfigs 1-3,
 * and for administration CreateTopics 2-4, CreatePartitions 0-1, IncrementalAlterConfigs 0, DeleteTopics 1-3,
 * ListOffsets 2-5, ListGroups 0-2, DescribeGroups 0-4, DeleteGroups 0-1, DeleteRecords 0-1,
 * and for groups JoinGroup 2-5, SyncGroup 0-3, Heartbeat 0-3, LeaveGroup 0-3, OffsetFetch 1-5. Their codecs are Kafka's own definitions compiled
 * (definition.ts), the same ones the daemon's Kafka listener serves with, typed with the generated
 * interfaces of message-types.ts (a field left out is written as its default).
 */
import { compileMessage, type MessageDefinition, type MessageType, type RequestOf, type ResponseOf } from './definition.js';
import * as definitions from './definitions.js';
import { KafkaErrorCode } from './errors.js';
import type { ApiName } from './message-types.js';

/** DescribeConfigs's resource type of a topic. */
export const TOPIC_RESOURCE = 2;

/** An API compiled: its key and name, the versions spoken, its request's and response's codecs. */
export interface Api<Name extends ApiName> {
  key: number;
  name: Name;
  versions: readonly [lowest: number, highest: number];
  request: MessageType<RequestOf<Name>>;
  response: MessageType<ResponseOf<Name>>;
}

export function compileApi<Name extends ApiName>(
  name: Name,
  versions: readonly [number, number],
  request: MessageDefinition<`${Name}Request`>,
  response: MessageDefinition<`${Name}Response`>,
): Api<Name> {
  return { key: request.apiKey!, name, versions, request: compileMessage(request), response: compileMessage(response) };
}

// each compiled from its definitions by name, so a bundle takes only these
export const Produce = compileApi('Produce', [3, 8], definitions.ProduceRequest, definitions.ProduceResponse);
export const Fetch = compileApi('Fetch', [4, 11], definitions.FetchRequest, definitions.FetchResponse);
export const OffsetCommit = compileApi('OffsetCommit', [2, 7], definitions.OffsetCommitRequest, definitions.OffsetCommitResponse);
export const InitProducerId = compileApi('InitProducerId', [0, 1], definitions.InitProducerIdRequest, definitions.InitProducerIdResponse);
export const Metadata = compileApi('Metadata', [4, 8], definitions.MetadataRequest, definitions.MetadataResponse);
export const OffsetDelete = compileApi('OffsetDelete', [0, 0], definitions.OffsetDeleteRequest, definitions.OffsetDeleteResponse);
export const DescribeConfigs = compileApi('DescribeConfigs', [1, 3], definitions.DescribeConfigsRequest, definitions.DescribeConfigsResponse);
// administration: topics
export const CreateTopics = compileApi('CreateTopics', [2, 4], definitions.CreateTopicsRequest, definitions.CreateTopicsResponse);
export const CreatePartitions = compileApi('CreatePartitions', [0, 1], definitions.CreatePartitionsRequest, definitions.CreatePartitionsResponse);
export const IncrementalAlterConfigs = compileApi(
  'IncrementalAlterConfigs',
  [0, 0],
  definitions.IncrementalAlterConfigsRequest,
  definitions.IncrementalAlterConfigsResponse,
);
export const DeleteTopics = compileApi('DeleteTopics', [1, 3], definitions.DeleteTopicsRequest, definitions.DeleteTopicsResponse);
// admin: offsets, groups and records (admin.ts; OffsetFetch below, with the groups')
export const ListOffsets = compileApi('ListOffsets', [2, 5], definitions.ListOffsetsRequest, definitions.ListOffsetsResponse);
export const ListGroups = compileApi('ListGroups', [0, 2], definitions.ListGroupsRequest, definitions.ListGroupsResponse);
export const DescribeGroups = compileApi('DescribeGroups', [0, 4], definitions.DescribeGroupsRequest, definitions.DescribeGroupsResponse);
export const DeleteGroups = compileApi('DeleteGroups', [0, 1], definitions.DeleteGroupsRequest, definitions.DeleteGroupsResponse);
export const DeleteRecords = compileApi('DeleteRecords', [0, 1], definitions.DeleteRecordsRequest, definitions.DeleteRecordsResponse);

// groups: a classic group's member (src/kafka/group), non-flexible versions (Kafka 4 speaks JoinGroup from 2)
export const JoinGroup = compileApi('JoinGroup', [2, 5], definitions.JoinGroupRequest, definitions.JoinGroupResponse);
export const SyncGroup = compileApi('SyncGroup', [0, 3], definitions.SyncGroupRequest, definitions.SyncGroupResponse);
export const Heartbeat = compileApi('Heartbeat', [0, 3], definitions.HeartbeatRequest, definitions.HeartbeatResponse);
export const LeaveGroup = compileApi('LeaveGroup', [0, 3], definitions.LeaveGroupRequest, definitions.LeaveGroupResponse);
export const OffsetFetch = compileApi('OffsetFetch', [1, 5], definitions.OffsetFetchRequest, definitions.OffsetFetchResponse);

const ERROR_NAMES: Record<number, string> = Object.fromEntries(Object.entries(KafkaErrorCode).map(([name, code]) => [code, name]));

/**
 * An error for a code the broker answered, with its name as `type` (what the Kafka
 * driver's error messages go by) and whether sending again may cure it.
 */
export function brokerError(code: number, what: string): Error & { type?: string; retriable: boolean } {
  const name = ERROR_NAMES[code];
  return Object.assign(new Error(`Kafka error ${code}${name ? ` (${name})` : ''} ${what}`), { type: name, retriable: RETRIABLE_ERRORS.has(code) });
}

/**
 * Errors the broker may give to a request that succeeds when sent again (to the new leader, say):
 * those of Kafka's retriable ones a produce or a metadata request meets (the coordinator's are
 * retried where a coordinator is asked).
 */
export const RETRIABLE_ERRORS: ReadonlySet<number> = new Set([
  KafkaErrorCode.CORRUPT_MESSAGE,
  KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  KafkaErrorCode.LEADER_NOT_AVAILABLE,
  KafkaErrorCode.NOT_LEADER_OR_FOLLOWER,
  KafkaErrorCode.REQUEST_TIMED_OUT,
  KafkaErrorCode.NETWORK_EXCEPTION,
  KafkaErrorCode.NOT_ENOUGH_REPLICAS,
  KafkaErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  KafkaErrorCode.KAFKA_STORAGE_ERROR,
  KafkaErrorCode.FENCED_LEADER_EPOCH,
  KafkaErrorCode.UNKNOWN_LEADER_EPOCH,
]);

// conn: what zps's own cluster asks (src/kafka/client/cluster.ts)
export const FindCoordinator = compileApi('FindCoordinator', [1, 3], definitions.FindCoordinatorRequest, definitions.FindCoordinatorResponse);
