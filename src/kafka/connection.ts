import { createHash } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import { ZpsError, describeError } from '../pubsub/errors.js';
import type { Settings } from '../settings.js';
import { describeCredentials, type SaslSettings } from '../settings/sasl.js';
import { KafkaCluster } from './client/cluster.js';
import type { ConnectionPool, PooledConnections } from './client/connection-pool.js';
import { ConnectionError, SaslAuthenticationError } from './client/errors.js';
import type { SaslMechanism } from './client/sasl.js';
import { scramMechanism } from './client/sasl-scram.js';
import { oauthBearerMechanism, oauthBearerProvider } from './oauth.js';
import { tlsConnectionOptions } from './tls.js';

export type KafkaSettings = Pick<Settings, 'brokers' | 'sasl' | 'tls' | 'timeoutMs'> & { verbose?: boolean; connectionPool?: ConnectionPool };

/** Connecting and ApiVersions get this long at most, and so does each SASL request (a broker that does not answer, the next is tried). */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * zps's own cluster for these settings, not yet connected: every request of the Kafka driver goes
 * through it (internals.ts). Its connection errors are kept for a deadline's message (noAnswer),
 * and told with --verbose.
 */
export function createCluster(settings: KafkaSettings): KafkaCluster {
  const tls = settings.tls ? tlsConnectionOptions(settings.tls) : undefined;
  return new KafkaCluster({
    brokers: settings.brokers,
    timeoutMs: settings.timeoutMs,
    connection: {
      tls,
      sasl: settings.sasl ? saslMechanism(settings.sasl, settings.brokers, settings.timeoutMs) : undefined,
      connectTimeoutMs: Math.min(settings.timeoutMs, CONNECT_TIMEOUT_MS),
    },
    onConnectError: (address, error) => {
      connectionErrors.set(settings, { at: Date.now(), message: error.message });
      if (settings.verbose) process.stderr.write(`zps: connecting to ${address}: ${error.message}\n`);
    },
    pool: pooledConnections(settings, tls),
  });
}

/**
 * The pool's connections for these settings' TLS and credentials: the certificates and keys the
 * files hold, not only their names (a certificate replaced under the same name is another
 * identity). Not with OAUTHBEARER or MSK IAM: their connections are authenticated with the
 * command's own token, and re-authenticated by it.
 */
function pooledConnections(settings: KafkaSettings, tls: ConnectionOptions | undefined): PooledConnections | undefined {
  const { connectionPool, sasl } = settings;
  if (!connectionPool || sasl?.mechanism === 'oauthbearer' || sasl?.mechanism === 'aws-msk-iam') return undefined;
  const credentials = createHash('sha256').update(JSON.stringify({ tls: settings.tls ?? null, sasl: sasl ?? null }));
  for (const [name, parts] of Object.entries({ ca: tls?.ca, cert: tls?.cert, key: tls?.key, pfx: tls?.pfx })) {
    for (const part of [parts ?? []].flat()) credentials.update(`\0${name}:`).update(part as string | Buffer);
  }
  return connectionPool.for(credentials.digest('hex'));
}

/** The mechanism of these settings; OAUTHBEARER's and MSK IAM's tokens are cached across the connections that share it. */
function saslMechanism(sasl: SaslSettings, brokers: string[], timeoutMs: number): SaslMechanism {
  switch (sasl.mechanism) {
    case 'plain':
      return {
        name: 'PLAIN',
        authenticate: async (exchange) => void (await exchange(Buffer.from(`\0${sasl.username}\0${sasl.password}`, 'utf8'))),
      };
    case 'scram-sha-256':
    case 'scram-sha-512':
      return scramMechanism(sasl.mechanism === 'scram-sha-256' ? 'sha256' : 'sha512', sasl.username, sasl.password);
    case 'oauthbearer':
    case 'aws-msk-iam':
      return oauthBearerMechanism(oauthBearerProvider(sasl, brokers, timeoutMs), sasl.mechanism === 'oauthbearer' ? sasl.extensions : undefined);
  }
}

/**
 * The last connection error seen for a driver's settings (`connect ECONNREFUSED 127.0.0.1:9092`),
 * by its cluster: connecting is tried again until it gives up, so a deadline that
 * runs out first reports this as its cause instead of "no answer".
 */
const connectionErrors = new WeakMap<KafkaSettings, { at: number; message: string }>();

/** Kafka's error codes (an error's `type`: brokerError's) in zps's words; the broker's own wording stays under --verbose. */
const PROTOCOL_ERRORS: Record<string, (topic: string | undefined) => string> = {
  UNKNOWN_TOPIC_OR_PARTITION: (topic) => (topic === undefined ? 'the topic does not exist' : `topic ${topic} does not exist`),
  TOPIC_AUTHORIZATION_FAILED: (topic) => `not allowed to use ${topic === undefined ? 'the topic' : `topic ${topic}`}`,
  GROUP_AUTHORIZATION_FAILED: () => 'not allowed to use the consumer group',
  MESSAGE_TOO_LARGE: (topic = 'the topic') => `a record batch is over the max.message.bytes of ${topic}`,
  RECORD_LIST_TOO_LARGE: (topic = 'the topic') => `a record batch is over the max.message.bytes of ${topic}`,
  NOT_ENOUGH_REPLICAS: (topic = 'the topic') => `not enough in-sync replicas of ${topic} to acknowledge`,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: (topic = 'the topic') => `not enough in-sync replicas of ${topic} acknowledged`,
  INVALID_REPLICATION_FACTOR: (topic = 'the topic') => `cannot create ${topic}: its replication factor is more than the brokers`,
  POLICY_VIOLATION: (topic = 'the topic') => `the brokers' policy refuses this for ${topic}`,
};

/** Node's words for a connection that failed (`Connection error: connect ECONNREFUSED h:p`), in a person's. */
function connectFailure(message: string): string {
  return message
    .replace(/^(?:Connection error: )?connect ECONNREFUSED (\S+)$/, 'connection refused by $1')
    .replace(/^(?:Connection error: )?getaddrinfo ENOTFOUND (\S+)$/, 'unknown host $1');
}

/** A TLS alert by which brokers refuse the client's certificate, or its absence. */
const CLIENT_CERTIFICATE_REFUSED = /alert (bad certificate|certificate (?:unknown|required|revoked|expired|unsupported)|unknown ca|access denied)/i;

const TLS_ERROR = /SELF_SIGNED|self[- ]signed|certificate|UNABLE_TO_VERIFY|CERT_|unable to (get|verify)/i;

/**
 * One-line errors naming the brokers (and the topic, when known); never the password, which no
 * error message carries. The connections' own wording is the cause, shown with --verbose.
 */
export function kafkaError(error: unknown, settings: KafkaSettings, what?: string, topic?: string): ZpsError {
  const own = ownError(error);
  if (own) return own;
  const name = (error as { name?: string }).name ?? '';
  const brokers = settings.brokers.join(',');
  const message = describeError(error);
  const prefix = what ? `${what}: ` : '';
  if (error instanceof SaslAuthenticationError || /SASL|authentication/i.test(message)) {
    return new ZpsError(`authentication failed at ${brokers}${settings.sasl ? ` ${describeCredentials(settings.sasl)}` : ''}: ${message}`, {
      code: 'auth',
      cause: error,
    });
  }
  const refused = CLIENT_CERTIFICATE_REFUSED.exec(message);
  if (refused) {
    const certificate = settings.tls?.cert ?? settings.tls?.keystore;
    const why =
      certificate === undefined ? 'the brokers require a client certificate and none was given' : `the brokers refused the client certificate ${certificate}`;
    return new ZpsError(`${prefix}TLS with ${brokers} failed: ${why} (${refused[0]})`, { code: 'auth', reason: 'tls-client-refused', cause: error });
  }
  if (TLS_ERROR.test(message) || TLS_ERROR.test(String((error as { code?: string }).code))) {
    return new ZpsError(`${prefix}TLS with ${brokers} failed: ${message}`, { code: 'auth', reason: 'tls-untrusted', cause: error });
  }
  if (/^Kafka(?:Connection|RequestTimeout)Error$/.test(name) || /ECONNREFUSED|Connection (timeout|error)|connect ETIMEDOUT/i.test(message)) {
    const cause = protocolType(error);
    if (cause && PROTOCOL_ERRORS[cause]) return protocolError(cause, error, brokers, prefix, topic);
    return new ZpsError(`cannot reach Kafka at ${brokers}: ${connectFailure(message)}`, {
      code: 'unavailable',
      retriable: true,
      reason: 'brokers-unreachable',
      cause: error,
    });
  }
  const type = protocolType(error);
  if (type && PROTOCOL_ERRORS[type]) return protocolError(type, error, brokers, prefix, topic);
  return new ZpsError(`${prefix || `Kafka at ${brokers}: `}${message}`, { retriable: Boolean((error as { retriable?: boolean }).retriable), cause: error });
}

function protocolError(type: string, error: unknown, brokers: string, prefix: string, topic: string | undefined): ZpsError {
  const code = type === 'UNKNOWN_TOPIC_OR_PARTITION' ? 'not-found' : type.endsWith('AUTHORIZATION_FAILED') ? 'auth' : 'failed';
  return new ZpsError(`${prefix}${PROTOCOL_ERRORS[type]!(topic)} on ${brokers}`, { code, cause: error });
}

/** zps's own error behind another's cause (a token that could not be fetched when connecting, say). */
function ownError(error: unknown, depth = 0): ZpsError | undefined {
  if (error instanceof ZpsError) return error;
  if (error === null || typeof error !== 'object' || depth > 5) return undefined;
  return ownError((error as { cause?: unknown }).cause, depth + 1);
}

/** The Kafka error code behind an error, however deep it is wrapped (causes, aggregates). */
function protocolType(error: unknown, depth = 0): string | undefined {
  if (error === null || typeof error !== 'object' || depth > 5) return undefined;
  const e = error as { type?: string; cause?: unknown; errors?: unknown[] };
  if (typeof e.type === 'string' && e.type !== 'UNKNOWN') return e.type;
  for (const inner of [e.cause, ...(Array.isArray(e.errors) ? e.errors : [])]) {
    const type = protocolType(inner, depth + 1);
    if (type) return type;
  }
  return undefined;
}

/** A deadline that ran out: the connection error seen since `since` when there is one (connection refused, say), else no answer. */
function noAnswer(settings: KafkaSettings, what: string, since: number): ZpsError {
  const seen = connectionErrors.get(settings);
  if (seen && seen.at >= since) return kafkaError(new ConnectionError(seen.message, true), settings, what);
  return new ZpsError(`${what ? `${what}: ` : ''}no answer from Kafka at ${settings.brokers.join(',')} within ${settings.timeoutMs} ms`, {
    code: 'unavailable',
    retriable: true,
  });
}

/**
 * Runs `work` (described by `what` in errors; '' when the caller says it) within the command's timeout, trying again while the error is retriable
 * (a topic just created is not yet known to every broker component), and maps errors to one line.
 */
export async function withDeadline<T>(settings: KafkaSettings, what: string, work: () => Promise<T>, topic?: string): Promise<T> {
  const started = Date.now();
  const deadline = started + settings.timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(noAnswer(settings, what, started)), settings.timeoutMs);
  });
  try {
    for (let backoff = 50; ; backoff = Math.min(backoff * 2, 1_000)) {
      try {
        return await Promise.race([work(), expired]);
      } catch (error) {
        const transient = (error as { retriable?: boolean; name?: string }).retriable === true && !(error instanceof ZpsError);
        if (!transient || Date.now() + backoff >= deadline) throw error;
      }
      await Promise.race([new Promise((resolve) => setTimeout(resolve, backoff)), expired]);
    }
  } catch (error) {
    throw kafkaError(error, settings, what, topic);
  } finally {
    clearTimeout(timer);
  }
}
