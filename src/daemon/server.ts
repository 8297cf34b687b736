import { chmodSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { MemoryBroker, PartitionSlice, PollResult } from '../memory/broker.js';
import { InProcessService } from '../memory/service.js';
import { ZpsError } from '../pubsub/errors.js';
import { VERSION } from '../version.js';
import { FrameDecoder, PROTOCOL_VERSION, encodeFrame, type Reply, type Request } from './protocol.js';
import { WireRecords, encodeRecords } from './records-codec.js';

/** Operations a client may call: exactly the BrokerService methods, plus the daemon's own. */
const SERVICE_OPS = new Set([
  'produce', 'createTopic', 'partitionOffsets', 'fetch', 'count', 'lag', 'listTopics', 'reset', 'join', 'poll', 'release', 'leave', 'stats',
]);
/** Reads are served from slices of the logs, encoded without making a record object each. */
const READ_AS_SLICES: Record<string, string> = { fetch: 'fetchSlices', poll: 'pollSlices' };
/** Ops whose last argument is WaitOptions, which get the request's abort signal. */
const WAITING_OPS = new Set(['fetch', 'poll']);

export type Log = (line: string) => void;

interface Connection {
  greeted: boolean;
  members: Set<string>;
  waits: Map<number, AbortController>;
}

/** Hosts a MemoryBroker on a Unix socket. A bad client loses its connection; the daemon goes on. */
export class DaemonServer {
  private readonly service: InProcessService;
  private readonly server: Server;
  private readonly connections = new Set<Socket>();
  private readonly startedAt = Date.now();
  /** Requests served since start: shows in status, and lets tests see that publishes are batched. */
  private requests = 0;
  private onShutdown: () => void = () => {};

  constructor(
    broker: MemoryBroker,
    readonly socketPath: string,
    private readonly log: Log,
  ) {
    this.service = new InProcessService(broker);
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
    const connection: Connection = { greeted: false, members: new Set(), waits: new Map() };
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      let requests: unknown[];
      try {
        requests = decoder.push(chunk);
        for (const request of requests) this.handle(socket, connection, checkRequest(request));
      } catch (error) {
        this.log(`closing a connection that sent a bad frame: ${(error as Error).message}`);
        socket.destroy();
      }
    });
    socket.on('error', () => {}); // 'close' follows
    socket.on('close', () => {
      this.connections.delete(socket);
      for (const wait of connection.waits.values()) wait.abort();
      for (const member of connection.members) void this.service.leave(member, []).catch(() => {});
    });
  }

  private handle(socket: Socket, connection: Connection, request: Request): void {
    this.requests++;
    if (!connection.greeted) {
      if (request.op !== 'hello') throw new Error(`expected hello, got ${request.op}`);
      connection.greeted = true;
      this.reply(socket, { id: request.id, result: { protocol: PROTOCOL_VERSION, version: VERSION, pid: process.pid } });
      return;
    }
    switch (request.op) {
      case 'cancel':
        connection.waits.get(request.args[0] as number)?.abort();
        return;
      case 'status':
        void this.service.stats().then((stats) =>
          this.reply(socket, {
            id: request.id,
            result: {
              pid: process.pid,
              version: VERSION,
              protocol: PROTOCOL_VERSION,
              startedAt: this.startedAt,
              socket: this.socketPath,
              stats,
              requests: this.requests,
              rssBytes: process.memoryUsage.rss(),
            },
          }),
        );
        return;
      case 'shutdown':
        this.log('shutdown requested');
        socket.write(encodeFrame({ id: request.id, result: null }), () => this.onShutdown());
        return;
    }
    if (!SERVICE_OPS.has(request.op)) {
      this.reply(socket, { id: request.id, error: { message: `unknown operation ${request.op}` } });
      return;
    }
    if (request.op === 'produce') {
      this.produce(socket, request);
      return;
    }
    const args = [...request.args];
    if (WAITING_OPS.has(request.op)) {
      const abort = new AbortController();
      connection.waits.set(request.id, abort);
      args[args.length - 1] = { ...(args[args.length - 1] as object), signal: abort.signal };
    }
    let result: Promise<unknown>;
    try {
      const method = READ_AS_SLICES[request.op] ?? request.op;
      result = (this.service as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!(...args);
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(
      (value: unknown) => {
        if (request.op === 'fetch') value = encodeBatches(value as PartitionSlice[]);
        if (request.op === 'poll') {
          const polled = value as PollResult<PartitionSlice>;
          value = { ...polled, batches: encodeBatches(polled.batches) };
        }
        if (request.op === 'join') connection.members.add(value as string);
        if (request.op === 'leave') connection.members.delete(args[0] as string);
        this.reply(socket, { id: request.id, result: value ?? null });
      },
      (error: unknown) => this.reply(socket, { id: request.id, error: toWireError(error) }),
    ).finally(() => connection.waits.delete(request.id));
  }

  /** Appends straight from the request's bytes; acks go back as runs, as the broker makes them. */
  private produce(socket: Socket, request: Request): void {
    const [topic, bytes, options] = request.args as [string, unknown, { partitions?: number } | undefined];
    let records: WireRecords;
    try {
      records = new WireRecords(bytes);
    } catch {
      // only well-formed records may be stored: a buggy client must not corrupt what others read
      this.reply(socket, { id: request.id, error: { message: 'malformed records in produce request' } });
      return;
    }
    try {
      this.reply(socket, { id: request.id, result: this.service.broker.produce(topic, records, options ?? {}) });
    } catch (error) {
      this.reply(socket, { id: request.id, error: toWireError(error) });
    }
  }

  private reply(socket: Socket, reply: Reply): void {
    if (!socket.destroyed) socket.write(encodeFrame(reply));
  }
}

function checkRequest(message: unknown): Request {
  const request = message as Request;
  if (typeof request.id !== 'number' || typeof request.op !== 'string' || !Array.isArray(request.args)) {
    throw new Error('frame is not a request');
  }
  return request;
}

/** Each partition's records as one binary attachment (see records-codec.ts). */
function encodeBatches(batches: PartitionSlice[]): Array<{ topic: string; partition: number; records: Buffer }> {
  return batches.map(({ partition, slice }) => ({ topic: slice.topic, partition, records: encodeRecords(slice, slice) }));
}

function toWireError(error: unknown) {
  if (error instanceof ZpsError) {
    return { message: error.message, code: error.code, retriable: error.retriable, reason: error.reason, hint: error.hint };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}
