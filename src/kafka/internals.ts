/**
 * The seam every Kafka request of zps goes through: a cluster of zps's own (src/kafka/client:
 * its connections, SASL and TLS, metadata and coordinators) and requests encoded and decoded by
 * src/wire/kafka, in the highest version of each API both sides speak, flexible ones included.
 * Also what zps still takes from kafkajs's internals for its admin and group members (kafkajs is
 * pinned at exactly 2.2.4, frozen since February 2023; test/unit/kafkajs-internals.test.ts fails
 * with a clear message if they ever move): the cluster kafkajs hands to partition assigners, and
 * fixes to its request queue and offset reset.
 */
import type { RequestOf, ResponseOf, Writable } from '../wire/kafka/definition.js';
import type { ApiName } from '../wire/kafka/message-types.js';
import type { Api } from '../wire/kafka/messages.js';
import type { BrokerConnection } from './client/broker-connection.js';
import { request } from './client/call.js';
import type { KafkaCluster } from './client/cluster.js';
import { requireKafkajsModule } from './packed-kafkajs.js';

export type Cluster = KafkaCluster;
export type Broker = BrokerConnection;

/**
 * The partition ids of each topic, from the metadata of the cluster kafkajs hands to partition
 * assigners (it knows only its own member's topics until asked for the others).
 */
export async function partitionIds(cluster: unknown, topics: string[]): Promise<Map<string, number[]>> {
  const known = cluster as {
    addMultipleTargetTopics(topics: string[]): Promise<void>;
    findTopicPartitionMetadata(topic: string): Array<{ partitionId: number }>;
  };
  await known.addMultipleTargetTopics(topics);
  return new Map(
    topics.map((topic) => [
      topic,
      known
        .findTopicPartitionMetadata(topic)
        .map((p) => p.partitionId)
        .sort((a, b) => a - b),
    ]),
  );
}

/** The node id of a group's coordinator. */
export async function coordinatorOf(cluster: Cluster, group: string): Promise<string> {
  return String(await cluster.findGroupCoordinator(group));
}

/** Sends a request to a node (connected on first use) and resolves with its response. */
export async function call<Name extends ApiName>(
  cluster: Cluster,
  nodeId: string,
  api: Api<Name>,
  message: Writable<RequestOf<Name>>,
  timeoutMs: number,
): Promise<ResponseOf<Name>> {
  return request(await cluster.findBroker({ nodeId }), api, message, timeoutMs);
}

/**
 * A connected broker of the cluster, for requests any broker answers: the one connect() reached
 * while it is open (so a publish's first requests share its first round trip).
 */
export function anyBroker(cluster: Cluster): Promise<Broker> {
  return cluster.anyBroker();
}

/** The broker of a node, connected. */
export function brokerOf(cluster: Cluster, nodeId: string): Promise<Broker> {
  return cluster.findBroker({ nodeId });
}

/**
 * call() to a broker already at hand: the request is written to its connection now, so requests
 * handed over one after another are sent in that order (what keeps a partition's batches in
 * sequence order). `sizeHint`: about how many bytes the request takes.
 */
export function callBroker<Name extends ApiName>(
  broker: Broker,
  api: Api<Name>,
  message: Writable<RequestOf<Name>>,
  timeoutMs: number,
  sizeHint = 128,
): Promise<ResponseOf<Name>> {
  return request(broker, api, message, timeoutMs, sizeHint);
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

interface OffsetManager {
  groupId: string;
  generationId: number;
  memberId: string;
  topicConfigurations: Record<string, object>;
  cluster: {
    fetchTopicsOffset(topics: object[]): Promise<Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>>;
  };
  getCoordinator(): Promise<{ offsetCommit(request: object): Promise<unknown> }>;
  clearOffsets(topicPartition: { topic: string; partition: number }): void;
}

interface OffsetManagerPrototype {
  setDefaultOffset(this: OffsetManager, topicPartition: { topic: string; partition: number }): Promise<void>;
  zps?: true;
}

/**
 * A group member whose position is out of range (its records were deleted) moves to the default
 * offset; kafkajs commits that as its sentinel (-2 for the earliest), which other tools show as no
 * offset at all. The offset it stands for is asked for first (ListOffsets) and committed instead.
 */
export function installOffsetResetFix(): void {
  const OffsetManager = requireKafkajsModule('src/consumer/offsetManager/index.js') as { prototype: OffsetManagerPrototype };
  const prototype = OffsetManager.prototype;
  if (prototype.zps) return;
  if (typeof prototype.setDefaultOffset !== 'function') throw new Error("kafkajs's internals are not what zps expects (no OffsetManager.setDefaultOffset)");
  prototype.setDefaultOffset = async function (this: OffsetManager, { topic, partition }) {
    const [resolved] = await this.cluster.fetchTopicsOffset([{ topic, ...this.topicConfigurations[topic], partitions: [{ partition }] }]);
    const offset = resolved?.partitions.find((p) => p.partition === partition)?.offset;
    if (offset === undefined) throw new Error(`no offset found for ${topic}[${partition}]`);
    const coordinator = await this.getCoordinator();
    await coordinator.offsetCommit({
      groupId: this.groupId,
      memberId: this.memberId,
      groupGenerationId: this.generationId,
      topics: [{ topic, partitions: [{ partition, offset }] }],
    });
    this.clearOffsets({ topic, partition });
  };
  prototype.zps = true;
}
