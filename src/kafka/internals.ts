/**
 * Every use of kafkajs's internals, in this one module. kafkajs is pinned at exactly 2.2.4 (frozen
 * since February 2023), so these do not move; test/unit/kafkajs-internals.test.ts fails with a
 * clear message if they ever do. What zps takes from them: the cluster behind a client (its
 * metadata, its authenticated connections to each broker, the API versions each broker speaks),
 * over which zps sends requests of its own (src/wire/kafka encodes and decodes them).
 */
import type { Kafka } from 'kafkajs';
import { createRequire } from 'node:module';
import { Reader, Writer } from '../wire/kafka/bytes.js';
import type { RequestOf, ResponseOf, Writable } from '../wire/kafka/definition.js';
import type { ApiName } from '../wire/kafka/message-types.js';
import type { Api } from '../wire/kafka/messages.js';
import { requireKafkajsModule } from './packed-kafkajs.js';

/** The parts of kafkajs's Cluster zps calls. */
export interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  /** nodeId → the partitions it leads. */
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(options: { nodeId: string }): Promise<Broker>;
  findGroupCoordinator(options: { groupId: string }): Promise<Broker & { nodeId: number }>;
}

interface ProtocolRequest {
  request: unknown;
  response: { decode(payload: Buffer): Promise<unknown>; parse(data: unknown): Promise<unknown> };
  requestTimeout?: number;
}

export interface Broker {
  /** ApiVersions of the broker, known once connected. */
  versions?: Record<number, { minVersion: number; maxVersion: number }>;
  connectionPool: { send(request: ProtocolRequest): Promise<unknown> };
}

const CREATE_CLUSTER = 'private:Kafka:createCluster';
const READ_COMMITTED = 1;

/** A cluster of the client's own (its brokers, SASL and TLS), not yet connected. */
export function createCluster(kafka: Kafka): Cluster {
  const symbol = Object.getOwnPropertySymbols(kafka).find((s) => s.description === CREATE_CLUSTER);
  if (!symbol) throw new Error("kafkajs's internals are not what zps expects (no createCluster on the client): it needs kafkajs 2.2.4 exactly");
  const create = (kafka as unknown as Record<symbol, (options: object) => Cluster>)[symbol]!;
  return create({ allowAutoTopicCreation: false, isolationLevel: READ_COMMITTED, maxInFlightRequests: null, metadataMaxAge: 300_000 });
}

/** The node id of a group's coordinator. */
export async function coordinatorOf(cluster: Cluster, group: string): Promise<string> {
  return String((await cluster.findGroupCoordinator({ groupId: group })).nodeId);
}

/**
 * Room left in front of every request body for the request's size (4), header v1 (8) and client
 * id (2 + 'zps'): written there, the request goes out without being copied.
 */
export const REQUEST_HEADROOM = 32;

/** How a request reaches kafkajs's framing: what `encode` resolves to. */
interface EncodedBody {
  buf: Buffer;
  buffer: Buffer;
  headroom?: number;
}

type FrameRequest = (options: {
  correlationId: number;
  clientId: string | null;
  request: { apiKey: number; apiVersion: number; encode(): Promise<EncodedBody> };
}) => Promise<{ buffer: Buffer }>;

/**
 * Frames a request as kafkajs does (size, then header v1: api key, version, correlation id,
 * client id, then the body), writing size and header into the body's headroom when it has room:
 * kafkajs copies every body twice into zero-filled buffers of the next power of two, which for
 * a producer is most of what sending costs. Undefined when there is no room (kafkajs frames it).
 */
export function frameInHeadroom(body: EncodedBody, apiKey: number, apiVersion: number, correlationId: number, clientId: string | null): Buffer | undefined {
  const clientIdBytes = clientId === null ? 0 : Buffer.byteLength(clientId);
  const frameBytes = 4 + 2 + 2 + 4 + 2 + clientIdBytes;
  const headroom = body.headroom ?? 0;
  if (frameBytes > headroom) return undefined;
  const framed = Buffer.from(body.buffer.buffer, body.buffer.byteOffset - frameBytes, frameBytes + body.buffer.byteLength);
  framed.writeInt32BE(frameBytes - 4 + body.buffer.byteLength, 0);
  framed.writeInt16BE(apiKey, 4);
  framed.writeInt16BE(apiVersion, 6);
  framed.writeInt32BE(correlationId, 8);
  framed.writeInt16BE(clientId === null ? -1 : clientIdBytes, 12);
  if (clientId !== null) framed.write(clientId, 14);
  return framed;
}

/**
 * Puts frameInHeadroom in front of kafkajs's request framing (its protocol/request.js), for
 * requests whose body has headroom; kafkajs frames every other one itself. Must run before
 * kafkajs loads (its connection module keeps the framing function it was loaded with); if
 * kafkajs was loaded first, requests are framed by kafkajs, only slower.
 */
export function installRequestFraming(): void {
  const require = createRequire(import.meta.url);
  const path = require.resolve('kafkajs/src/protocol/request.js');
  const loaded = requireKafkajsModule('src/protocol/request.js') as FrameRequest & { zps?: true };
  if (loaded.zps) return;
  const kafkajsFraming = loaded;
  const framing: FrameRequest & { zps?: true } = async ({ correlationId, clientId, request }) => {
    const body = await request.encode();
    const framed = frameInHeadroom(body, request.apiKey, request.apiVersion, correlationId, clientId);
    if (framed) return { buffer: framed };
    return kafkajsFraming({ correlationId, clientId, request: { ...request, encode: async () => body } });
  };
  framing.zps = true;
  require.cache[path]!.exports = framing;
}

/**
 * Sends a request of zps's own (encoded and decoded by src/wire/kafka) to a node, over kafkajs's
 * connection to it (authenticated, TLS), in the highest version of `api` both speak; kafkajs
 * writes the request header (v1: so only non-flexible versions) and hands back the response body.
 */
export async function call<Name extends ApiName>(
  cluster: Cluster,
  nodeId: string,
  api: Api<Name>,
  request: Writable<RequestOf<Name>>,
  timeoutMs: number,
): Promise<ResponseOf<Name>> {
  return callBroker(await cluster.findBroker({ nodeId }), api, request, timeoutMs);
}

/**
 * A connected broker of the cluster, for requests any broker answers: the one connect() reached
 * before any metadata is asked (so a publish's first requests share its first round trip).
 */
export function anyBroker(cluster: Cluster): Promise<Broker> {
  const pool = (cluster as unknown as { brokerPool?: { findConnectedBroker?(): Promise<Broker> } }).brokerPool;
  if (typeof pool?.findConnectedBroker !== 'function')
    throw new Error("kafkajs's internals are not what zps expects (no brokerPool.findConnectedBroker): it needs kafkajs 2.2.4 exactly");
  return pool.findConnectedBroker();
}

/** The broker of a node, connected. */
export function brokerOf(cluster: Cluster, nodeId: string): Promise<Broker> {
  return cluster.findBroker({ nodeId });
}

/**
 * call() to a broker already at hand: the request is handed to its connection now, so requests
 * handed over one after another are written in that order (what keeps a partition's batches in
 * sequence order). `sizeHint`: about how many bytes the request takes.
 */
export function callBroker<Name extends ApiName>(
  broker: Broker,
  api: Api<Name>,
  request: Writable<RequestOf<Name>>,
  timeoutMs: number,
  sizeHint = 128,
): Promise<ResponseOf<Name>> {
  const range = broker.versions?.[api.key];
  const [lowest, highest] = api.versions;
  if (!range || range.maxVersion < lowest || range.minVersion > highest) {
    return Promise.reject(new Error(`the broker does not speak versions ${lowest}-${highest} of ${api.name}`));
  }
  const version = Math.min(highest, range.maxVersion);
  const writer = new Writer(sizeHint, REQUEST_HEADROOM);
  api.request.write(writer, request, version);
  const body = writer.finish();
  return broker.connectionPool.send({
    request: {
      apiKey: api.key,
      apiVersion: version,
      apiName: api.name,
      // kafkajs's request writer takes an Encoder: what it reads of one is `buf` and `buffer`
      encode: async (): Promise<EncodedBody> => ({ buf: body, buffer: body, headroom: REQUEST_HEADROOM }),
    },
    response: { decode: async (payload: Buffer) => api.response.read(new Reader(payload), version), parse: async (decoded: unknown) => decoded },
    requestTimeout: timeoutMs,
  }) as Promise<ResponseOf<Name>>; // what decode returned
}

interface RequestQueuePrototype {
  scheduleCheckPendingRequests(this: { pending: unknown[]; throttledUntil: number }): void;
  zps?: true;
}

/**
 * kafkajs's request queue schedules a look at its pending requests after every response, even
 * with none pending and no throttle, with a negative delay (its `throttledUntil` starts at -1):
 * Node 23 and later print a TimeoutNegativeWarning on stderr for each. That look has nothing to
 * do, so it is skipped; with requests pending or a throttle, kafkajs schedules as it always did.
 */
export function installRequestQueueFix(): void {
  const RequestQueue = requireKafkajsModule('src/network/requestQueue/index.js') as { prototype: RequestQueuePrototype };
  const prototype = RequestQueue.prototype;
  if (prototype.zps) return;
  const schedule = prototype.scheduleCheckPendingRequests;
  if (typeof schedule !== 'function') throw new Error("kafkajs's internals are not what zps expects (no RequestQueue.scheduleCheckPendingRequests)");
  prototype.scheduleCheckPendingRequests = function (this: { pending: unknown[]; throttledUntil: number }) {
    if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
    schedule.call(this);
  };
  prototype.zps = true;
}
