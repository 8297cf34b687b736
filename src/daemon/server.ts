import { chmodSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { MemoryBroker } from '../memory/broker.js';
import type { PartitionSlice } from '../memory/log-slice.js';
import { type BrokerService, InProcessService, localCluster } from '../memory/service.js';
import { ZpsError } from '../pubsub/errors.js';
import { VERSION } from '../version.js';
import {
  FrameDecoder,
  ONE_SHOT_GREETING,
  PROTOCOL_VERSION,
  encodeFrame,
  type EncodedBatch,
  type Operation,
  type Operations,
  type Reply,
  type Request,
  type WireError,
} from './protocol.js';
import { WireRecords, encodeRecords } from '../wire/daemon-records.js';

export type Log = (line: string) => void;

/** What the daemon gives the commands it runs for clients. */
export interface OneShotHost {
  socketPath: string;
  service: BrokerService;
  /** Counts a command run, for status; returns what to call when it ended. */
  onRun(): () => void;
}

/** Serves a connection that began with ONE_SHOT_GREETING (`first`: its first bytes): src/cli/one-shot.ts. */
export type OneShotRunner = (socket: Socket, first: Buffer, host: OneShotHost) => void;

interface Connection {
  greeted: boolean;
  members: Set<string>;
  waits: Map<number, AbortController>;
}

/** What a handler gets besides its arguments: its connection, and the signal that cancels a long poll. */
interface Call {
  connection: Connection;
  signal: AbortSignal;
}

/** The operations served by handlers; hello, cancel and shutdown are the connection's own. */
type ServedOperation = Exclude<Operation, 'hello' | 'cancel' | 'shutdown'>;
type Handlers = { [Op in ServedOperation]: (args: Operations[Op]['args'], call: Call) => Promise<Operations[Op]['result']> };

/** Hosts a MemoryBroker on a Unix socket. A bad client loses its connection; the daemon goes on. */
export class DaemonServer {
  private readonly service: InProcessService;
  private readonly server: Server;
  private readonly connections = new Set<Socket>();
  private readonly startedAt = Date.now();
  /** Requests served since start: shows in status, and lets tests see that publishes are batched. */
  private requests = 0;
  /** Commands run for clients (src/cli/one-shot.ts) since start, and those running now: show in status. */
  private commandsRun = 0;
  private commandsRunning = 0;
  private readonly oneShotHost: OneShotHost;
  private onShutdown: () => void = () => {};
  /** Where the daemon also answers Kafka clients, when it does. */
  kafkaAddress: string | null = null;
  /** Requests wait for this: a client that connects early must not see a daemon half set up. */
  private setReady: () => void = () => {};
  private ready: Promise<void> | undefined = new Promise((resolve) => (this.setReady = resolve));

  constructor(
    broker: MemoryBroker,
    readonly socketPath: string,
    private readonly log: Log,
    private readonly runOneShot?: OneShotRunner,
  ) {
    this.service = new InProcessService(broker);
    const onRun = () => {
      this.commandsRun++;
      this.commandsRunning++;
      return () => void this.commandsRunning--;
    };
    this.oneShotHost = { socketPath, service: this.service, onRun };
    this.server = createServer((socket) => this.accept(socket));
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.socketPath, () => {
        this.server.off('error', reject);
        chmodSync(this.socketPath, 0o600);
        resolve();
      });
    });
  }

  /** Starts answering requests (those that came before were held). */
  serve(): void {
    this.ready = undefined;
    this.setReady();
  }

  /** Resolves when a client asked for shutdown (after the reply went out). */
  whenShutdownRequested(): Promise<void> {
    return new Promise((resolve) => (this.onShutdown = resolve));
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.connections) socket.destroy();
    await closed;
    try {
      unlinkSync(this.socketPath);
    } catch {
      // already removed
    }
  }

  private accept(socket: Socket): void {
    this.connections.add(socket);
    if (this.ready) {
      socket.pause();
      void this.ready.then(() => socket.resume());
    }
    const connection: Connection = { greeted: false, members: new Set(), waits: new Map() };
    const decoder = new FrameDecoder();
    const frames = (chunk: Buffer) => {
      let requests: unknown[];
      try {
        requests = decoder.push(chunk);
        for (const request of requests) this.handle(socket, connection, checkRequest(request));
      } catch (error) {
        this.log(`closing a connection that sent a bad frame: ${(error as Error).message}`);
        socket.destroy();
      }
    };
    // a command for the daemon to run (bin/zps.cjs) begins with a greeting no frame begins with
    socket.once('data', (chunk: Buffer) => {
      if (chunk[0] === ONE_SHOT_GREETING.charCodeAt(0)) {
        if (this.runOneShot) this.runOneShot(socket, chunk, this.oneShotHost);
        else socket.destroy(); // the client runs the command itself
        return;
      }
      socket.on('data', frames);
      frames(chunk);
    });
    socket.on('error', () => {}); // 'close' follows
    socket.on('close', () => {
      this.connections.delete(socket);
      for (const wait of connection.waits.values()) wait.abort();
      for (const member of connection.members) void this.service.leave(member, []).catch(() => {});
    });
  }

  /** One handler per operation, typed by the protocol: arguments are checked where they are used. */
  private readonly handlers: Handlers = {
    produce: async ([topic, bytes]) => {
      let records: WireRecords;
      try {
        records = new WireRecords(bytes);
      } catch {
        // only well-formed records may be stored: a buggy client must not corrupt what others read
        throw new ZpsError('malformed records in produce request');
      }
      return this.service.produce(topic, records); // straight from the request's bytes
    },
    createTopic: async ([topic, partitions]) => {
      await this.service.createTopic(topic, partitions);
      return null;
    },
    partitionOffsets: ([topic, atTime]) => this.service.partitionOffsets(topic, atTime),
    // reads are served from slices of the logs, encoded without making a record object each
    fetch: async ([topic, positions, wait], { signal }) => encodeBatches(await this.service.fetchSlices(topic, positions, { ...wait, signal })),
    listTopics: () => this.service.listTopics(),
    committed: ([group, topic]) => this.service.committed(group, topic),
    listGroups: () => this.service.listGroups(),
    describeGroup: ([group]) => this.service.describeGroup(group),
    reset: async ([topics]) => {
      await this.service.reset(topics);
      return null;
    },
    setCommittedOffsets: async ([group, topic, offsets]) => {
      await this.service.setCommittedOffsets(group, topic, offsets);
      return null;
    },
    deleteGroup: async ([group]) => {
      await this.service.deleteGroup(group);
      return null;
    },
    deleteGroupOffsets: async ([group, topic]) => {
      await this.service.deleteGroupOffsets(group, topic);
      return null;
    },
    cluster: async () => localCluster(this.service.broker.clusterId, this.socketPath, this.kafkaAddress),
    join: async ([group, topic, start], { connection }) => {
      const member = await this.service.join(group, topic, start);
      connection.members.add(member);
      return member;
    },
    poll: async ([memberId, commits, wait], { signal }) => {
      const polled = await this.service.pollSlices(memberId, commits, { ...wait, signal });
      return { ...polled, batches: encodeBatches(polled.batches) };
    },
    release: async ([memberId, commits, partitions]) => {
      await this.service.release(memberId, commits, partitions);
      return null;
    },
    leave: async ([memberId, commits], { connection }) => {
      await this.service.leave(memberId, commits);
      connection.members.delete(memberId);
      return null;
    },
    stats: () => this.service.stats(),
    // administration: topics
    createTopicWith: ([topic, partitions, configs]) => this.service.createTopicWith(topic, partitions, configs),
    alterTopic: async ([topic, change]) => {
      await this.service.alterTopic(topic, change);
      return null;
    },
    deleteTopic: ([topic]) => this.service.deleteTopic(topic),
    topicSettings: ([topic]) => this.service.topicSettings(topic),
    status: async () => ({
      pid: process.pid,
      version: VERSION,
      protocol: PROTOCOL_VERSION,
      startedAt: this.startedAt,
      socket: this.socketPath,
      kafka: this.kafkaAddress,
      stats: await this.service.stats(),
      retention: { messages: finite(this.service.broker.limits.retentionMessages), bytes: finite(this.service.broker.limits.retentionBytes) },
      requests: this.requests,
      commandsRun: this.commandsRun,
      commandsRunning: this.commandsRunning,
      rssBytes: process.memoryUsage.rss(),
    }),
  };

  private handle(socket: Socket, connection: Connection, request: Request): void {
    this.requests++;
    if (!connection.greeted) {
      if (request.op !== 'hello') throw new Error(`expected hello, got ${request.op}`);
      connection.greeted = true;
      this.reply(socket, { id: request.id, result: { protocol: PROTOCOL_VERSION, version: VERSION, pid: process.pid } });
      return;
    }
    if (request.op === 'cancel') {
      connection.waits.get((request as Request<'cancel'>).args[0])?.abort();
      return;
    }
    if (request.op === 'shutdown') {
      this.log('shutdown requested');
      socket.write(encodeFrame({ id: request.id, result: null }), () => this.onShutdown());
      return;
    }
    if (!Object.hasOwn(this.handlers, request.op)) {
      this.reply(socket, { id: request.id, error: { message: `unknown operation ${request.op}` } });
      return;
    }
    const abort = new AbortController();
    connection.waits.set(request.id, abort);
    const handler = this.handlers[request.op as ServedOperation] as (args: unknown, call: Call) => Promise<unknown>;
    let result: Promise<unknown>;
    try {
      result = handler(request.args, { connection, signal: abort.signal });
    } catch (error) {
      result = Promise.reject(error);
    }
    result
      .then(
        (value) => this.reply(socket, { id: request.id, result: value }),
        (error: unknown) => this.reply(socket, { id: request.id, error: toWireError(error) }),
      )
      .finally(() => connection.waits.delete(request.id));
  }

  private reply(socket: Socket, reply: Reply): void {
    if (!socket.destroyed) socket.write(encodeFrame(reply));
  }
}

/** A decoded frame as a request; its arguments are checked by the handler that uses them. */
function checkRequest(message: unknown): Request {
  const request = message as Request;
  if (typeof request.id !== 'number' || typeof request.op !== 'string' || !Array.isArray(request.args)) {
    throw new Error('frame is not a request');
  }
  return request;
}

/** Each partition's records as one binary attachment (src/wire/daemon-records.ts). */
function encodeBatches(batches: PartitionSlice[]): EncodedBatch[] {
  return batches.map(({ partition, slice }) => ({ topic: slice.topic, partition, records: encodeRecords(slice, slice) }));
}

function finite(limit: number): number | null {
  return Number.isFinite(limit) ? limit : null;
}

function toWireError(error: unknown): WireError {
  if (error instanceof ZpsError) {
    return { message: error.message, code: error.code, retriable: error.retriable, reason: error.reason, hint: error.hint };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}
