/**
 * The Kafka listener's TCP server: a loopback address speaking Kafka's wire protocol.
 * Each connection reads size-prefixed requests, hands each to its API's handler and writes the
 * responses in request order (a long-polling Fetch holds back the ones after it, as Kafka does).
 * A connection that sends what is not a Kafka request is closed; the daemon and other clients go on.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Reader, Writer } from '../../wire/kafka/bytes.js';
import type { RequestOf, ResponseOf, Writable } from '../../wire/kafka/definition.js';
import { KafkaErrorCode } from '../../wire/kafka/errors.js';
import type { ApiName } from '../../wire/kafka/message-types.js';
import type { ListenAddress } from './address.js';
import { API_VERSIONS_KEY, SERVED, SERVED_APIS, advertisedVersions, type ServedApi } from './apis.js';
import type { Faults } from './faults.js';

/** Kafka's socket.request.max.bytes: a bigger frame closes the connection. */
export const MAX_REQUEST_BYTES = 100 * 1024 * 1024;

export interface RequestContext {
  version: number;
  clientId: string | null;
  clientHost: string;
  /** Aborted when the connection closes: long polls give up. */
  signal: AbortSignal;
  /** The node the request came to (more than node 0 only in tests: faults.ts). */
  node: number;
}

/** An API's response, or null for none (a Produce with acks=0). */
export type Reply<Name extends ApiName> = Writable<ResponseOf<Name>> | null;

export type Handler<Name extends ApiName> = (request: RequestOf<Name>, context: RequestContext) => Reply<Name> | Promise<Reply<Name>>;

/** Handlers by API name: all of them for a listener, some for each of the modules that answer them. */
export type Handlers = { [Name in ApiName]?: Handler<Name> };

type Log = (line: string) => void;

export class KafkaServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly handlers: Handlers,
    private readonly log: Log,
    private readonly node: number,
    private readonly faults: Faults,
  ) {
    for (const api of SERVED_APIS.values()) if (!handlers[api.name]) throw new Error(`no handler for ${api.name}`);
    this.server = createServer((socket) => this.accept(socket));
  }

  /** Listens; resolves with the address bound (the port chosen when 0 was asked). */
  listen(address: ListenAddress): Promise<ListenAddress> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: address.host, port: address.port, exclusive: true }, () => {
        this.server.off('error', reject);
        const bound = this.server.address();
        resolve({ host: address.host, port: typeof bound === 'object' && bound ? bound.port : address.port });
      });
    });
  }

  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    return closed;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const closed = new AbortController();
    const responses = new ResponseQueue(socket, (error) => this.log(`kafka: closing a connection whose request failed: ${error.stack ?? error}`));
    const frames = new FrameReader();
    const clientHost = `/${socket.remoteAddress ?? '127.0.0.1'}`;
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of frames.push(chunk)) this.serve(frame, responses, clientHost, closed.signal);
      } catch (error) {
        this.log(`kafka: closing a connection from ${socket.remotePort}: ${(error as Error).message}`);
        socket.destroy();
      }
    });
    socket.on('error', () => {}); // 'close' follows
    socket.on('close', () => {
      this.sockets.delete(socket);
      closed.abort();
    });
  }

  private serve(frame: Buffer, responses: ResponseQueue, clientHost: string, signal: AbortSignal): void {
    const reader = new Reader(frame);
    const apiKey = reader.int16();
    const version = reader.int16();
    const correlationId = reader.int32();
    const clientId = reader.string();
    const api = SERVED_APIS.get(apiKey);
    if (!api) throw new Error(`unknown API key ${apiKey}`);
    if (version < api.versions[0] || version > api.versions[1]) {
      if (apiKey !== API_VERSIONS_KEY) throw new Error(`${api.name} v${version} is not served (${api.versions[0]}-${api.versions[1]})`);
      // answered in v0, whose format every client reads, with the range to retry within
      const response = { errorCode: KafkaErrorCode.UNSUPPORTED_VERSION, apiKeys: advertisedVersions() };
      responses.add(Promise.resolve(encodeResponse(SERVED.ApiVersions, 0, correlationId, response)));
      return;
    }
    responses.add(this.answer(api.name, reader, correlationId, { version, clientId, clientHost, signal, node: this.node }));
  }

  /** The answer to a request of API `name` (one name types the request, its handler and its response). */
  private answer<Name extends ApiName>(name: Name, reader: Reader, correlationId: number, context: RequestContext): Promise<Response> {
    const api = SERVED[name];
    const { version } = context;
    const flexible = version >= api.request.flexible.lowest;
    if (flexible) skipTaggedFields(reader);
    const request = api.request.read(reader, version);
    const handler = this.handlers[name]!; // each there, as the constructor checked
    const fault = this.faults.decide(name, request, context);
    return (fault?.delayMs ? new Promise((resolve) => setTimeout(resolve, fault.delayMs)) : Promise.resolve())
      .then(() => fault?.respond ?? handler(request, context))
      .then((response) => (fault?.drop ? DROP : response && encodeResponse(api, version, correlationId, response)));
  }
}

/** In place of a response: the connection closes there (a fault a test asked for). */
const DROP = Symbol('drop');

/** Response header v0 (correlation id) below the flexible versions and for ApiVersions always; v1 adds tagged fields. */
function encodeResponse<Name extends ApiName>(api: ServedApi<Name>, version: number, correlationId: number, response: Writable<ResponseOf<Name>>): Buffer {
  const writer = new Writer(256);
  const sizeAt = writer.reserve32();
  writer.int32(correlationId);
  if (api.key !== API_VERSIONS_KEY && version >= api.response.flexible.lowest) writer.uvarint(0);
  api.response.write(writer, response, version);
  const bytes = writer.finish();
  writer.setInt32At(sizeAt, bytes.byteLength - 4);
  return bytes;
}

function skipTaggedFields(reader: Reader): void {
  const count = reader.uvarint();
  for (let i = 0; i < count; i++) {
    reader.uvarint(); // tag
    reader.skip(reader.uvarint());
  }
}

/** Splits a byte stream into Kafka request frames, concatenating a frame's chunks once. */
class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.chunks[0]!.byteLength >= 4 ? this.chunks[0]! : this.joined();
      const size = head.readInt32BE(0);
      if (size < 8 || size > MAX_REQUEST_BYTES) throw new Error(`a frame of ${size} bytes is not a Kafka request`);
      if (this.buffered < 4 + size) break;
      const bytes = this.chunks[0]!.byteLength >= 4 + size ? this.chunks[0]! : this.joined();
      frames.push(bytes.subarray(4, 4 + size));
      this.chunks[0] = bytes.subarray(4 + size);
      this.buffered -= 4 + size;
      if (this.chunks[0].byteLength === 0) this.chunks.shift();
    }
    return frames;
  }

  private joined(): Buffer {
    const all = Buffer.concat(this.chunks);
    this.chunks = [all];
    return all;
  }
}

type Response = Buffer | typeof DROP | null;

/** Writes responses in the order their requests came, each as soon as those before it are out. */
class ResponseQueue {
  private readonly pending: Array<{ bytes: Response | undefined; failed?: Error }> = [];

  constructor(
    private readonly socket: Socket,
    private readonly onFailure: (error: Error) => void,
  ) {}

  add(response: Promise<Response>): void {
    const slot: { bytes: Response | undefined; failed?: Error } = { bytes: undefined };
    this.pending.push(slot);
    response.then(
      (bytes) => {
        slot.bytes = bytes;
        this.flush();
      },
      (error: Error) => {
        slot.failed = error;
        this.flush();
      },
    );
  }

  private flush(): void {
    while (this.pending.length > 0 && (this.pending[0]!.bytes !== undefined || this.pending[0]!.failed)) {
      const slot = this.pending.shift()!;
      if (slot.failed || slot.bytes === DROP) {
        // a handler's own failure: Kafka closes such a connection too; the client reconnects
        if (slot.failed) this.onFailure(slot.failed);
        this.socket.destroy();
        return;
      }
      if (slot.bytes && !this.socket.destroyed) this.socket.write(slot.bytes);
    }
  }
}
