/**
 * The Kafka APIs the daemon answers, with the versions it tells clients in ApiVersions (the floors
 * librdkafka before 2.11 matches exactly) and the versions it serves: those zps speaks
 * (scripts/kafka-definitions.mjs lists them). Requests and responses are Kafka's own definitions,
 * compiled (src/wire/kafka/definition.ts) and typed with their generated interfaces.
 */
import { API_DEFINITIONS } from '../../wire/kafka/definitions.js';
import type { ApiName } from '../../wire/kafka/message-types.js';
import { type Api, compileApi } from '../../wire/kafka/messages.js';

/** An API served: its `versions` are answered; another closes the connection, as Kafka does (ApiVersions excepted). */
export interface ServedApi<Name extends ApiName = ApiName> extends Api<Name> {
  /** The range told in ApiVersions. */
  advertised: readonly [number, number];
}

/** The lowest version advertised where it is below the lowest served. */
const ADVERTISED_FROM: Partial<Record<ApiName, number>> = {
  // librdkafka before 2.11 turns compression off unless Produce v0 is advertised (librdkafka #4956)
  Produce: 0,
};

export const API_VERSIONS_KEY = 18;

function servedApi<Name extends ApiName>(name: Name): ServedApi<Name> {
  const { versions, request, response } = API_DEFINITIONS[name];
  return { ...compileApi(name, versions, request, response), advertised: [ADVERTISED_FROM[name] ?? versions[0], versions[1]] };
}

/** Every served API by name (each entry the API of its key: the cast only says so to TypeScript). */
export const SERVED = Object.fromEntries((Object.keys(API_DEFINITIONS) as ApiName[]).map((name) => [name, servedApi(name)])) as {
  readonly [Name in ApiName]: ServedApi<Name>;
};

/** Every served API by key. */
export const SERVED_APIS: ReadonlyMap<number, ServedApi> = new Map(Object.values(SERVED).map((api) => [api.key, api]));

/** The ApiVersions response's list. */
export function advertisedVersions(): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
  return [...SERVED_APIS.values()].map((api) => ({ apiKey: api.key, minVersion: api.advertised[0], maxVersion: api.advertised[1] }));
}
