/**
 * One connection to one broker: TCP or TLS, ApiVersions asked once, SASL when configured, then
 * requests framed by frames.ts with correlation ids, many in flight, answered in the order sent
 * (Kafka answers a connection's requests in order). A request not answered within its timeout
 * closes the connection, as Kafka's Java client does: a broker that stalled gets a new one.
 * Re-authentication (KIP-368) happens before the session the broker granted ends: new requests
 * wait (in order) while those in flight finish and SASL runs again.
 */
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions as TlsOptions } from 'node:tls';
import { Reader, Writer } from '../../wire/kafka/bytes.js';
import { ConnectionError, RequestTimeoutError } from './errors.js';
import { FrameSplitter, frameRequest, REQUEST_HEADROOM } from './frames.js';
import {
  authenticateRequest,
  checkHandshake,
  handshakeRequest,
  REAUTHENTICATION_THRESHOLD_MS,
  readAuthenticate,
  SASL_AUTHENTICATE,
  SASL_HANDSHAKE,
  type SaslMechanism,
} from './sasl.js';

const API_VERSIONS = { key: 18, version: 2 } as const;

export interface ConnectionSettings {
  tls?: TlsOptions;
  sasl?: SaslMechanism;
  /** For connecting and ApiVersions together, and for each SASL request. */
  connectTimeoutMs: number;
}

/** What a request needs besides its body: how its header and its response's header are written. */
export interface RequestSpec {
  apiKey: number;
  apiVersion: number;
  /** A flexible version: request header v2. */
  flexible: boolean;
  /** The response header has tagged fields (v1): flexible versions but ApiVersions'. */
  flexibleResponse: boolean;
  /** Named in a timeout's error. */
  apiName: string;
  timeoutMs: number;
}

interface InFlight {
  correlationId: number;
  flexibleResponse: boolean;
  resolve(payload: Buffer): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class BrokerConnection {
  /** Each API's versions the broker speaks, by key. */
  versions: Record<number, { minVersion: number; maxVersion: number }> = {};
  private readonly inFlight: InFlight[] = [];
  private readonly frames = new FrameSplitter();
  private nextCorrelationId = 0;
  /** Why the connection closed; undefined while open. */
  private closedBy: (Error & { retriable: boolean }) | undefined;
  /** Requests waiting for re-authentication to end, in the order they were made. */
  private held: Array<() => void> | undefined;
  private reauthenticateAt = Number.POSITIVE_INFINITY;
  private drained: (() => void) | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly address: string,
    private readonly settings: ConnectionSettings,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.frames.push(chunk, (frame) => this.answer(frame));
      } catch (error) {
        this.close(new ConnectionError(`${address} sent what is not a Kafka response: ${(error as Error).message}`, true, error));
      }
    });
    socket.on('error', (error) => this.close(socketError(error, Boolean(settings.tls))));
    socket.on('close', () => this.close(new ConnectionError(`the connection to ${address} closed`, true)));
  }

  /**
   * A connection to `host:port`, ready for requests: connected and ApiVersions known within the
   * connect timeout, then SASL done. `signal` gives up at once (its client closed meanwhile).
   */
  static async open(host: string, port: number, settings: ConnectionSettings, signal?: AbortSignal): Promise<BrokerConnection> {
    const address = `${host}:${port}`;
    const socket = settings.tls ? connectTls({ host, port, ...(isIP(host) ? {} : { servername: host }), ...settings.tls }) : connectTcp({ host, port });
    const connection = new BrokerConnection(socket, address, settings);
    const closedMeanwhile = () => connection.close(new ConnectionError('the Kafka client was closed', false));
    if (signal?.aborted) closedMeanwhile();
    signal?.addEventListener('abort', closedMeanwhile, { once: true });
    try {
      return await connection.ready(settings);
    } finally {
      signal?.removeEventListener('abort', closedMeanwhile);
    }
  }

  /** Connected and ApiVersions known within the connect timeout, then SASL done. */
  private async ready(settings: ConnectionSettings): Promise<BrokerConnection> {
    const { address } = this;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new ConnectionError(`connection to ${address} timed out after ${settings.connectTimeoutMs} ms`, true);
        this.close(error);
        reject(error);
      }, settings.connectTimeoutMs);
    });
    try {
      await Promise.race([this.start(), timedOut]);
    } catch (error) {
      this.close(error instanceof ConnectionError ? error : new ConnectionError(`connecting to ${address} failed`, false, error));
      throw error;
    } finally {
      clearTimeout(timer);
    }
    if (settings.sasl) {
      // not within the connect timeout: a token command or endpoint has a timeout of its own
      await this.authenticate(settings.sasl).catch((error: unknown) => {
        this.close(new ConnectionError(`authenticating with ${address} failed`, false, error));
        throw error;
      });
    }
    return this;
  }

  get isOpen(): boolean {
    return this.closedBy === undefined;
  }

  /** Open, with nothing in flight or held (what a pool keeps for another client). */
  get isIdle(): boolean {
    return this.closedBy === undefined && this.inFlight.length === 0 && this.held === undefined;
  }

  /** Sends a request whose body `body` wrote (with REQUEST_HEADROOM in front); resolves with the response's body. */
  send(spec: RequestSpec, body: Writer): Promise<Buffer> {
    if (this.closedBy) return Promise.reject(this.closedBy);
    if (this.held === undefined && Date.now() >= this.reauthenticateAt) this.reauthenticate();
    if (this.held !== undefined) {
      const held = this.held;
      return new Promise<void>((resolve) => held.push(resolve)).then(() => this.write(spec, body));
    }
    return this.write(spec, body);
  }

  /**
   * Asks ApiVersions again, ahead of what is sent next, and closes the connection (failing what is
   * in flight, retriable) unless the broker answers within `timeoutMs`: for a connection kept idle,
   * which the network may have dropped without a word (nothing reaches either side then, and the
   * next request would wait its whole timeout).
   */
  probe(timeoutMs: number): void {
    const silent = setTimeout(
      () => this.close(new ConnectionError(`${this.address} did not answer on a connection kept from an earlier command within ${timeoutMs} ms`, true)),
      timeoutMs,
    );
    const answered = () => clearTimeout(silent);
    // as any request: behind a re-authentication that is due (KIP-368), which an expired session needs first
    this.send(this.spec(API_VERSIONS, 'ApiVersions', false), new Writer(0, REQUEST_HEADROOM)).then(answered, answered);
  }

  /** Closes the connection, failing what is in flight with `error`. */
  close(error: Error & { retriable: boolean } = new ConnectionError(`the connection to ${this.address} was closed`, true)): void {
    if (this.closedBy) return;
    this.closedBy = error;
    this.socket.destroy();
    for (const request of this.inFlight.splice(0)) {
      clearTimeout(request.timer);
      request.reject(error);
    }
    this.drained?.();
    for (const release of this.held?.splice(0) ?? []) release(); // each then fails, closed
  }

  /**
   * ApiVersions written at once, before the socket connects (it holds what is written until then):
   * the broker answers while this process runs the rest of its start, as it would not after 'connect'.
   */
  private async start(): Promise<void> {
    const answer = new Reader(await this.write(this.spec(API_VERSIONS, 'ApiVersions', false), new Writer(0, REQUEST_HEADROOM)));
    this.versions = readApiVersions(answer, this.address);
  }

  private spec(api: { key: number; version: number }, apiName: string, flexible: boolean): RequestSpec {
    return { apiKey: api.key, apiVersion: api.version, flexible, flexibleResponse: flexible, apiName, timeoutMs: this.settings.connectTimeoutMs };
  }

  /**
   * SaslHandshake, then the mechanism's messages, each sent once the one before is answered: over
   * TLS, Kafka reads a SASL request that came behind another only at its next poll, 300 ms on (a
   * handshake pipelined behind ApiVersions made SASL_SSL connections 0.3-0.9 s slower).
   */
  private async authenticate(mechanism: SaslMechanism): Promise<void> {
    checkHandshake(await this.write(this.spec(SASL_HANDSHAKE, 'SaslHandshake', false), handshakeRequest(mechanism.name)), mechanism.name);
    let sessionLifetimeMs = 0;
    await mechanism.authenticate(async (bytes) => {
      const answer = readAuthenticate(await this.write(this.spec(SASL_AUTHENTICATE, 'SaslAuthenticate', false), authenticateRequest(bytes)), mechanism.name);
      sessionLifetimeMs = answer.sessionLifetimeMs;
      return answer.bytes;
    });
    this.reauthenticateAt =
      sessionLifetimeMs > 0 ? Date.now() + Math.max(sessionLifetimeMs - REAUTHENTICATION_THRESHOLD_MS, sessionLifetimeMs * 0.85) : Number.POSITIVE_INFINITY;
  }

  /** Holds new requests, waits for those in flight, authenticates again, then lets the held ones go in order; a failure closes the connection. */
  private reauthenticate(): void {
    const held: Array<() => void> = [];
    this.held = held;
    void (async () => {
      if (this.inFlight.length > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      this.drained = undefined;
      if (this.closedBy) return;
      await this.authenticate(this.settings.sasl!);
    })()
      .catch((error: unknown) => this.close(new ConnectionError(`authenticating again with ${this.address} failed: ${(error as Error).message}`, true, error)))
      .finally(() => {
        this.held = undefined;
        for (const release of held) release();
      });
  }

  private write(spec: RequestSpec, body: Writer): Promise<Buffer> {
    if (this.closedBy) return Promise.reject(this.closedBy);
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) | 0;
    const frame = frameRequest(body.finish(), body.headroom, spec.apiKey, spec.apiVersion, correlationId, spec.flexible);
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.close(new RequestTimeoutError(`${spec.apiName} got no answer from ${this.address} within ${spec.timeoutMs} ms`));
      }, spec.timeoutMs);
      this.inFlight.push({ correlationId, flexibleResponse: spec.flexibleResponse, resolve, reject, timer });
      this.socket.write(frame);
    });
  }

  private answer(frame: Buffer): void {
    const request = this.inFlight.shift();
    const reader = new Reader(frame);
    const correlationId = reader.int32();
    if (!request || request.correlationId !== correlationId) {
      if (request) this.inFlight.unshift(request);
      this.close(new ConnectionError(`${this.address} answered correlation id ${correlationId}, not ${request?.correlationId ?? 'none'}`, true));
      return;
    }
    clearTimeout(request.timer);
    if (request.flexibleResponse) skipTaggedFields(reader);
    request.resolve(frame.subarray(reader.at));
    if (this.inFlight.length === 0) this.drained?.();
  }
}

function skipTaggedFields(reader: Reader): void {
  const count = reader.uvarint();
  for (let i = 0; i < count; i++) {
    reader.uvarint();
    reader.skip(reader.uvarint());
  }
}

/** ApiVersions v2's answer: error code, [api key, min, max], throttle time. */
function readApiVersions(reader: Reader, address: string): Record<number, { minVersion: number; maxVersion: number }> {
  const errorCode = reader.int16();
  if (errorCode !== 0) throw new ConnectionError(`${address} answered ApiVersions with Kafka error ${errorCode}`, false);
  const versions: Record<number, { minVersion: number; maxVersion: number }> = {};
  for (let count = reader.int32(); count > 0; count--) {
    const key = reader.int16();
    versions[key] = { minVersion: reader.int16(), maxVersion: reader.int16() };
  }
  return versions;
}

/** A TLS failure is not tried again (the same certificate fails the same way); a refused or lost connection is. */
const TLS_FAILURE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO|certificate|alert/;

function socketError(error: Error & { code?: string }, tls: boolean): ConnectionError {
  const failedTls = tls && (TLS_FAILURE.test(error.code ?? '') || TLS_FAILURE.test(error.message));
  return new ConnectionError(error.message, !failedTls, error);
}
