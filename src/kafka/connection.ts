import type { Kafka, KafkaConfig } from 'kafkajs';
import { ZpsError, describeError } from '../pubsub/errors.js';
import type { Settings } from '../settings.js';
import { describeCredentials, type SaslSettings } from '../settings/sasl.js';
import { KafkaCluster } from './client/cluster.js';
import { ConnectionError, SaslAuthenticationError } from './client/errors.js';
import { REAUTHENTICATION_THRESHOLD_MS, type SaslMechanism } from './client/sasl.js';
import { scramMechanism } from './client/sasl-scram.js';
import { installRequestQueueFix } from './internals.js';
import { loadKafkajsModule } from './packed-kafkajs.js';
import { oauthBearerAuthenticator, oauthBearerMechanism, oauthBearerProvider } from './oauth.js';
import { tlsConnectionOptions } from './tls.js';

export type KafkaSettings = Pick<Settings, 'brokers' | 'sasl' | 'tls' | 'timeoutMs'> & { verbose?: boolean };

/** Connecting and ApiVersions get this long at most, and so does each SASL request (a broker that does not answer, the next is tried). */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * zps's own cluster for these settings, not yet connected: every request of the Kafka driver goes
 * through it (internals.ts). Its connection errors are kept for a deadline's message (noAnswer),
 * and told with --verbose.
 */
export function createCluster(settings: KafkaSettings): KafkaCluster {
  return new KafkaCluster({
    brokers: settings.brokers,
    timeoutMs: settings.timeoutMs,
    connection: {
      tls: settings.tls ? tlsConnectionOptions(settings.tls) : undefined,
      sasl: settings.sasl ? saslMechanism(settings.sasl, settings.brokers, settings.timeoutMs) : undefined,
      connectTimeoutMs: Math.min(settings.timeoutMs, CONNECT_TIMEOUT_MS),
    },
    onConnectError: (address, error) => {
      connectionErrors.set(settings, { at: Date.now(), message: error.message });
      if (settings.verbose) process.stderr.write(`zps: connecting to ${address}: ${error.message}\n`);
    },
  });
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

/** The kafkajs client of the admin and group members, created (and kafkajs loaded) on first use: local commands never pay for it. */
export type KafkaClient = () => Promise<Kafka>;

/** A kafkajs client whose retries fit inside the command's --timeout, silent unless verbose. */
export function createKafka(settings: KafkaSettings): KafkaClient {
  let client: Promise<Kafka> | undefined;
  return () => (client ??= loadKafkajs().then((kafkajs) => new kafkajs.Kafka(kafkaConfig(settings, kafkajs))));
}

/** kafkajs, loaded with its request queue's fix and zps's decompression registered. */
async function loadKafkajs(): Promise<typeof import('kafkajs')> {
  installRequestQueueFix();
  const [kafkajs, compression] = await Promise.all([loadKafkajsModule(), import('../wire/compression.js')]);
  registerDecompression(kafkajs, compression);
  return kafkajs;
}

/**
 * kafkajs reads gzip only: other producers' snappy, LZ4 and zstd batches are decompressed with
 * zps's codecs. zps never compresses, so their compress() is never asked for.
 */
function registerDecompression(kafkajs: typeof import('kafkajs'), compression: typeof import('../wire/compression.js')): void {
  const { CompressionCodecs, CompressionTypes } = kafkajs;
  for (const [type, codec] of [
    [CompressionTypes.Snappy, compression.Compression.snappy],
    [CompressionTypes.LZ4, compression.Compression.lz4],
    [CompressionTypes.ZSTD, compression.Compression.zstd],
  ] as const) {
    CompressionCodecs[type] = () => ({
      compress: async () => {
        throw new Error('zps does not compress');
      },
      decompress: async (buffer: Buffer) => compression.decompress(codec, buffer),
    });
  }
}

/**
 * The last connection error seen for a driver's settings (`connect ECONNREFUSED 127.0.0.1:9092`),
 * by its cluster or kafkajs's log: connecting is tried again until it gives up, so a deadline that
 * runs out first reports this as its cause instead of "no answer".
 */
const connectionErrors = new WeakMap<KafkaSettings, { at: number; message: string }>();

function kafkaConfig(settings: KafkaSettings, kafkajs: typeof import('kafkajs')): KafkaConfig {
  const { logLevel } = kafkajs;
  const config: KafkaConfig = {
    clientId: 'zps',
    brokers: settings.brokers,
    connectionTimeout: Math.min(settings.timeoutMs, 5_000),
    authenticationTimeout: Math.min(settings.timeoutMs, 5_000),
    reauthenticationThreshold: REAUTHENTICATION_THRESHOLD_MS,
    requestTimeout: Math.max(settings.timeoutMs, 1_000),
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1_000 },
    // errors always, for the connection errors a deadline reports (connectionErrors)
    logLevel: settings.verbose ? logLevel.WARN : logLevel.ERROR,
    logCreator:
      () =>
      ({ namespace, log }) => {
        if (namespace === 'Connection' && typeof log.broker === 'string') connectionErrors.set(settings, { at: Date.now(), message: String(log.message) });
        // --verbose: kafkajs's own warnings, one plain line each, on stderr
        if (settings.verbose) process.stderr.write(`zps: kafkajs: ${log.message}\n`);
      },
  };
  if (settings.tls) config.ssl = tlsConnectionOptions(settings.tls);
  config.sasl = saslConfig(settings, kafkajs);
  return config;
}

/**
 * kafkajs's SASL settings, which its connections (admin, group members) take from the
 * client: MSK IAM goes as OAUTHBEARER with AWS's signed token, as AWS documents for non-Java clients.
 */
function saslConfig({ sasl, brokers, timeoutMs }: KafkaSettings, kafkajs: typeof import('kafkajs')): KafkaConfig['sasl'] {
  if (sasl === undefined) return undefined;
  if (sasl.mechanism === 'oauthbearer' || sasl.mechanism === 'aws-msk-iam') {
    const provider = oauthBearerProvider(sasl, brokers, timeoutMs);
    // kafkajs's own class (its typings omit the message), which kafkajs does not retry
    const SaslError = kafkajs.KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
    const refused = (message: string) => new SaslError(message);
    const extensions = sasl.mechanism === 'oauthbearer' ? sasl.extensions : undefined;
    return { mechanism: 'oauthbearer', authenticationProvider: oauthBearerAuthenticator(provider, refused, extensions) };
  }
  return { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as KafkaConfig['sasl'];
}

/** Kafka's error codes (kafkajs's `type`) in zps's words; the broker's own wording stays under --verbose. */
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
 * error message carries. The connections' own wording is the cause, shown with --verbose. kafkajs's
 * error names are those of the admin and group members, which still run on kafkajs.
 */
export function kafkaError(error: unknown, settings: KafkaSettings, what?: string, topic?: string): ZpsError {
  const own = ownError(error);
  if (own) return own;
  const name = (error as { name?: string }).name ?? '';
  const brokers = settings.brokers.join(',');
  const message = describeError(error);
  const prefix = what ? `${what}: ` : '';
  if (error instanceof SaslAuthenticationError || name === 'KafkaJSSASLAuthenticationError' || /SASL|authentication/i.test(message)) {
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
  if (
    /^Kafka(?:Connection|RequestTimeout)Error$|KafkaJSConnectionError|KafkaJSNumberOfRetriesExceeded|KafkaJSBrokerNotFound|KafkaJSRequestTimeoutError|KafkaJSConnectionClosedError/.test(
      name,
    ) ||
    /ECONNREFUSED|Connection (timeout|error)|connect ETIMEDOUT/i.test(message)
  ) {
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

/** zps's own error inside kafkajs's wrapping (a token that could not be fetched when connecting, say). */
function ownError(error: unknown, depth = 0): ZpsError | undefined {
  if (error instanceof ZpsError) return error;
  if (error === null || typeof error !== 'object' || depth > 5) return undefined;
  const e = error as { originalError?: unknown; cause?: unknown };
  return ownError(e.originalError, depth + 1) ?? ownError(e.cause, depth + 1);
}

/** The Kafka error code behind a kafkajs error, however deep it is wrapped (retries, aggregates). */
function protocolType(error: unknown, depth = 0): string | undefined {
  if (error === null || typeof error !== 'object' || depth > 5) return undefined;
  const e = error as { type?: string; originalError?: unknown; cause?: unknown; errors?: unknown[] };
  if (typeof e.type === 'string' && e.type !== 'UNKNOWN') return e.type;
  for (const inner of [e.originalError, e.cause, ...(Array.isArray(e.errors) ? e.errors : [])]) {
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
