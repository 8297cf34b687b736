/**
 * The Kafka APIs the daemon answers, with the versions it tells clients in ApiVersions (librdkafka before
 * 2.11.1 enables features only when these include exact versions: v0 of ApiVersions, FindCoordinator,
 * the group APIs and InitProducerId; ListOffsets 1; OffsetFetch 1; Produce 3 and 7; Fetch 4 and 10)
 * and the versions it serves. Requests and responses are Kafka's own definitions, compiled
 * (src/wire/kafka/definition.ts).
 */
import { type MessageType, compileMessage } from '../../wire/kafka/definition.js';
import { DEFINITIONS } from '../../wire/kafka/definitions.js';

export interface ServedApi {
  key: number;
  name: string;
  /** The range told in ApiVersions. */
  advertised: readonly [number, number];
  /** The versions answered; another closes the connection, as Kafka does (ApiVersions excepted). */
  served: readonly [number, number];
  request: MessageType;
  response: MessageType;
}

/** name, lowest and highest version served, and the lowest advertised where it is lower. */
const TABLE: ReadonlyArray<readonly [name: string, lowest: number, highest: number, advertisedFrom?: number]> = [
  // librdkafka before 2.11 turns compression off unless Produce v0 is advertised (librdkafka #4956)
  ['Produce', 3, 11, 0],
  ['Fetch', 4, 12],
  ['ListOffsets', 1, 7],
  ['Metadata', 0, 12],
  ['OffsetCommit', 2, 8],
  ['OffsetFetch', 1, 7],
  ['FindCoordinator', 0, 3],
  ['JoinGroup', 0, 7],
  ['Heartbeat', 0, 4],
  ['LeaveGroup', 0, 4],
  ['SyncGroup', 0, 5],
  ['DescribeGroups', 0, 5],
  ['ListGroups', 0, 4],
  ['ApiVersions', 0, 4],
  ['CreateTopics', 2, 7],
  ['DeleteTopics', 1, 6],
  ['DeleteRecords', 0, 2],
  ['InitProducerId', 0, 4],
  ['OffsetForLeaderEpoch', 2, 4],
  ['DescribeConfigs', 1, 4],
];

export const API_VERSIONS_KEY = 18;

/** Every served API by key. */
export const SERVED_APIS: ReadonlyMap<number, ServedApi> = new Map(
  TABLE.map(([name, lowest, highest, advertisedFrom = lowest]) => {
    const request = DEFINITIONS[`${name}Request`]!;
    const api: ServedApi = {
      key: request.apiKey!,
      name,
      advertised: [advertisedFrom, highest],
      served: [lowest, highest],
      request: compileMessage(request),
      response: compileMessage(DEFINITIONS[`${name}Response`]!),
    };
    return [api.key, api];
  }),
);

/** Keys of APIs by name, for handlers' tables. */
export const API_KEYS = Object.fromEntries([...SERVED_APIS.values()].map((api) => [api.name, api.key])) as Record<string, number>;

/** The ApiVersions response's list. */
export function advertisedVersions(): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
  return [...SERVED_APIS.values()].map((api) => ({ apiKey: api.key, minVersion: api.advertised[0], maxVersion: api.advertised[1] }));
}
