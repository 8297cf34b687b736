/**
 * A Kafka cluster as zps sees it: bootstrapped from the first of the configured brokers that
 * answers, its nodes and partition leaders from Metadata (asked again on demand: callers retry
 * NOT_LEADER and the like after refreshMetadata), group coordinators from FindCoordinator, and one
 * connection per broker, made on first use and made again when it was closed (a broker restarted,
 * or stalled past a request's timeout).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { KafkaErrorCode } from '../../wire/kafka/errors.js';
import { brokerError, FindCoordinator, Metadata } from '../../wire/kafka/messages.js';
import { BrokerConnection, type ConnectionSettings } from './broker-connection.js';
import type { PooledConnections } from './connection-pool.js';
import { request } from './call.js';
import { ConnectionError } from './errors.js';

export interface ClusterSettings {
  /** host:port of each broker to bootstrap from. */
  brokers: string[];
  connection: ConnectionSettings;
  /** Metadata and FindCoordinator requests' timeout; connect() tries the brokers again until it passes. */
  timeoutMs: number;
  /** Told of each failed connection (what a deadline that ran out reports). */
  onConnectError?(address: string, error: Error): void;
  /** Connections taken from here before new ones are made, and given back here at disconnect() instead of closed. */
  pool?: PooledConnections;
}

/** Metadata asked again when a topic is added after this long (Kafka's metadata.max.age.ms). */
const METADATA_MAX_AGE_MS = 300_000;

/** A topic's partitions: leader node id by partition (-1: none now). */
type Leaders = Map<number, number>;

/** Errors of a topic's metadata after which it is no longer a target (it is not there, or not for this client). */
const TOPIC_GONE: ReadonlySet<number> = new Set([
  KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  KafkaErrorCode.INVALID_TOPIC_EXCEPTION,
  KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED,
]);

/** FindCoordinator's answers while the coordinator moves or loads: asked again. */
const COORDINATOR_MOVING: ReadonlySet<number> = new Set([
  KafkaErrorCode.COORDINATOR_NOT_AVAILABLE,
  KafkaErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  KafkaErrorCode.NOT_COORDINATOR,
]);

const retriableError = (message: string) => Object.assign(new Error(message), { retriable: true });

export class KafkaCluster {
  /** Connections by host:port: the seed's and the nodes' share one when they are the same broker. */
  private readonly connections = new Map<string, { made: Promise<BrokerConnection>; connection?: BrokerConnection }>();
  private readonly nodes = new Map<number, string>();
  private readonly targets = new Set<string>();
  private readonly leaders = new Map<string, Leaders>();
  private readonly coordinators = new Map<string, Promise<number>>();
  /** The broker connect() reached. */
  private seed: string | undefined;
  private metadataAt = 0;
  private refreshing: { topics: ReadonlySet<string>; done: Promise<void> } | undefined;
  private closed = false;
  /** Aborted at disconnect(): connections being made and bootstrap's backoff give up at once. */
  private readonly closing = new AbortController();

  constructor(private readonly settings: ClusterSettings) {}

  /** Connects to the first broker that answers, trying them all again until the timeout passes; a TLS or SASL failure at once. */
  async connect(): Promise<void> {
    await this.bootstrap(Date.now() + this.settings.timeoutMs);
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    const { pool } = this.settings;
    for (const [address, { connection }] of this.connections) {
      if (connection && pool) pool.keep(address, connection);
      else connection?.close();
    }
    this.connections.clear();
  }

  /** Adds a topic whose leaders are wanted: its metadata asked unless known (and fresh). A topic that is not there throws, retriable. */
  async addTargetTopic(topic: string): Promise<void> {
    if (this.targets.has(topic) && this.leaders.has(topic) && Date.now() - this.metadataAt < METADATA_MAX_AGE_MS) return;
    this.targets.add(topic);
    await this.refreshMetadata();
  }

  /** Asks the metadata of every target topic (once for callers at the same time). */
  async refreshMetadata(): Promise<void> {
    const wanted = new Set(this.targets);
    const current = this.refreshing;
    if (current && [...wanted].every((topic) => current.topics.has(topic))) return current.done;
    const done = (async () => {
      await current?.done.catch(() => {});
      await this.askMetadata([...wanted]);
    })();
    const entry = { topics: wanted, done };
    this.refreshing = entry;
    const forget = () => {
      if (this.refreshing === entry) this.refreshing = undefined;
    };
    done.then(forget, forget);
    return done;
  }

  /** Node id → the partitions it leads, of those asked that the metadata knows; a partition without a leader throws, retriable. */
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]> {
    const leaders = this.leaders.get(topic);
    if (!leaders) throw retriableError(`the metadata of ${topic} is not known`);
    const led: Record<string, number[]> = {};
    for (const partition of partitions) {
      const leader = leaders.get(partition);
      if (leader === undefined) continue;
      if (leader < 0) throw retriableError(`${topic}[${partition}] has no leader now`);
      (led[leader] ??= []).push(partition);
    }
    return led;
  }

  /** The connection to a node, made if it has none open; a node the metadata does not know yet makes it be asked again. */
  async findBroker({ nodeId }: { nodeId: string }): Promise<BrokerConnection> {
    const id = Number(nodeId);
    if (!this.nodes.has(id)) await this.refreshMetadata().catch(() => {}); // a topic's error is its caller's
    const address = this.nodes.get(id);
    if (address === undefined) throw retriableError(`broker ${nodeId} is not in the cluster's metadata`);
    return this.connectionTo(address);
  }

  /**
   * A connection to a node of its own, which the caller closes: for a request that must not wait
   * behind one the node holds on the shared connection (Kafka answers a connection's requests one
   * at a time, and a coordinator holds a JoinGroup until the group's members joined).
   */
  async separateConnection(nodeId: number): Promise<BrokerConnection> {
    const address = this.nodes.get(nodeId);
    if (address === undefined) throw retriableError(`broker ${nodeId} is not in the cluster's metadata`);
    const { host, port } = hostAndPort(address);
    return BrokerConnection.open(host, port, this.settings.connection);
  }

  /**
   * The node id of a group's coordinator (findBroker connects to it): found once and kept, as
   * Kafka's clients keep it, until forgotten (withCoordinator forgets it when a request to it fails).
   */
  groupCoordinator(groupId: string): Promise<number> {
    let found = this.coordinators.get(groupId);
    if (!found) {
      const finding = this.findGroupCoordinator(groupId);
      finding.catch(() => this.forgetGroupCoordinator(groupId, finding));
      this.coordinators.set(groupId, finding);
      found = finding;
    }
    return found;
  }

  /** Forgets the group's coordinator (only `found`, when given: not one found again since). */
  forgetGroupCoordinator(groupId: string, found?: Promise<number>): void {
    if (found === undefined || this.coordinators.get(groupId) === found) this.coordinators.delete(groupId);
  }

  /** FindCoordinator, asked again while the coordinator moves or loads, until the timeout. */
  private async findGroupCoordinator(groupId: string): Promise<number> {
    const deadline = Date.now() + this.settings.timeoutMs;
    for (let backoff = 100; ; backoff = Math.min(backoff * 2, 1_000)) {
      const answer = await request(await this.anyBroker(), FindCoordinator, { key: groupId, keyType: 0 }, this.settings.timeoutMs);
      if (answer.errorCode === KafkaErrorCode.NONE) {
        this.nodes.set(answer.nodeId, `${answer.host}:${answer.port}`);
        return answer.nodeId;
      }
      if (!COORDINATOR_MOVING.has(answer.errorCode) || Date.now() + backoff >= deadline) {
        throw brokerError(answer.errorCode, `finding the coordinator of group ${groupId}`);
      }
      await this.backOff(backoff);
    }
  }

  /** An open connection to any broker: the seed's while it is open, else another open one, else a new one. */
  async anyBroker(): Promise<BrokerConnection> {
    const seed = this.seed === undefined ? undefined : this.connections.get(this.seed)?.connection;
    if (seed?.isOpen) return seed;
    for (const { connection } of this.connections.values()) if (connection?.isOpen) return connection;
    return this.bootstrap(Date.now());
  }

  /**
   * The first broker that answers, of the configured ones and then of the nodes the metadata
   * named; all tried again, with a backoff, until `retryUntil`. Each failure is told to
   * onConnectError; the last one is thrown.
   */
  private async bootstrap(retryUntil: number): Promise<BrokerConnection> {
    for (let backoff = 100; ; backoff = Math.min(backoff * 2, 1_000)) {
      let failure: unknown;
      for (const address of new Set([...this.settings.brokers, ...this.nodes.values()])) {
        try {
          const connection = await this.connectionTo(address);
          this.seed = address;
          return connection;
        } catch (error) {
          if (!(error as { retriable?: boolean }).retriable) throw error;
          failure = error;
        }
      }
      if (Date.now() + backoff >= retryUntil || this.closed) throw failure;
      await this.backOff(backoff);
    }
  }

  /** Waits `ms` before asking again, cut short by disconnect(): a closed client's next attempt then fails at once. */
  private backOff(ms: number): Promise<void> {
    return delay(ms, undefined, { signal: this.closing.signal }).catch(() => {});
  }

  /** The open connection to host:port, or a new one (one attempt; connections being made are shared). */
  private connectionTo(address: string): Promise<BrokerConnection> {
    if (this.closed) return Promise.reject(new ConnectionError('the Kafka client was closed', false));
    const known = this.connections.get(address);
    if (known && (known.connection === undefined || known.connection.isOpen)) return known.made;
    const pooled = this.settings.pool?.take(address);
    if (pooled) {
      this.connections.set(address, { made: Promise.resolve(pooled), connection: pooled });
      return Promise.resolve(pooled);
    }
    const { host, port } = hostAndPort(address);
    const entry: { made: Promise<BrokerConnection>; connection?: BrokerConnection } = {
      made: BrokerConnection.open(host, port, this.settings.connection, this.closing.signal).then(
        (connection) => {
          entry.connection = connection;
          if (this.closed) connection.close();
          return connection;
        },
        (error: Error) => {
          if (this.connections.get(address) === entry) this.connections.delete(address);
          this.settings.onConnectError?.(address, error);
          throw error;
        },
      ),
    };
    this.connections.set(address, entry);
    return entry.made;
  }

  private async askMetadata(topics: string[]): Promise<void> {
    const metadata = await request(
      await this.anyBroker(),
      Metadata,
      {
        topics: topics.map((name) => ({ name })),
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      },
      this.settings.timeoutMs,
    );
    for (const broker of metadata.brokers) this.nodes.set(broker.nodeId, `${broker.host}:${broker.port}`);
    this.metadataAt = Date.now();
    let failure: Error | undefined;
    for (const topic of metadata.topics) {
      if (topic.name === null) continue;
      if (topic.errorCode !== KafkaErrorCode.NONE) {
        if (TOPIC_GONE.has(topic.errorCode)) {
          this.targets.delete(topic.name);
          this.leaders.delete(topic.name);
        }
        failure ??= brokerError(topic.errorCode, `in the metadata of ${topic.name}`);
        continue;
      }
      this.leaders.set(topic.name, new Map(topic.partitions.map((p) => [p.partitionIndex, p.leaderId])));
    }
    if (failure) throw failure;
  }
}

/** host:port, the host possibly an IPv6 address in brackets. */
function hostAndPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(at + 1));
  if (at < 0 || !Number.isInteger(port)) throw new ConnectionError(`the broker address ${address} is not host:port`, false);
  return { host, port };
}
