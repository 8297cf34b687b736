/**
 * The seam every Kafka request of zps goes through: a cluster of zps's own (src/kafka/client:
 * its connections, SASL and TLS, metadata and coordinators) and requests encoded and decoded by
 * src/wire/kafka, in the highest version of each API both sides speak, flexible ones included.
 */
import type { RequestOf, ResponseOf, Writable } from '../wire/kafka/definition.js';
import type { ApiName } from '../wire/kafka/message-types.js';
import type { Api } from '../wire/kafka/messages.js';
import type { BrokerConnection } from './client/broker-connection.js';
import { request } from './client/call.js';
import type { KafkaCluster } from './client/cluster.js';

export type Cluster = KafkaCluster;
export type Broker = BrokerConnection;

/**
 * `work` with the node id of the group's coordinator, found once per cluster and kept while it
 * works: any failure (it moved or is loading, its connection failed or was refused) forgets it, so
 * that a retry finds it again.
 */
export async function withCoordinator<T>(cluster: Cluster, group: string, work: (nodeId: string) => Promise<T>): Promise<T> {
  const found = cluster.groupCoordinator(group);
  try {
    return await work(String(await found));
  } catch (error) {
    cluster.forgetGroupCoordinator(group, found);
    throw error;
  }
}

/**
 * Sends a request to a node (connected on first use) and resolves with its response. `alone`: on a
 * connection of its own, closed once answered (KafkaCluster.separateConnection says when).
 */
export async function call<Name extends ApiName>(
  cluster: Cluster,
  nodeId: string,
  api: Api<Name>,
  message: Writable<RequestOf<Name>>,
  timeoutMs: number,
  alone = false,
): Promise<ResponseOf<Name>> {
  if (!alone) return request(await cluster.findBroker({ nodeId }), api, message, timeoutMs);
  const connection = await cluster.separateConnection(Number(nodeId));
  try {
    return await request(connection, api, message, timeoutMs);
  } finally {
    connection.close();
  }
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
export const callBroker: typeof request = request;
