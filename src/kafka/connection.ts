import { readFileSync } from 'node:fs';
import type { Consumer, ConsumerConfig, Kafka, KafkaConfig } from 'kafkajs';
import { ZpsError, describeError } from '../pubsub/errors.js';
import type { Settings } from '../pubsub/settings.js';

export type KafkaSettings = Pick<Settings, 'brokers' | 'sasl' | 'tls' | 'timeoutMs'> & { verbose?: boolean };

/** The kafkajs client, created (and kafkajs loaded) on first use: local commands never pay for it. */
export type KafkaClient = () => Promise<Kafka>;

/** A kafkajs client whose retries fit inside the command's --timeout, silent unless verbose. */
export function createKafka(settings: KafkaSettings): KafkaClient {
  let client: Promise<Kafka> | undefined;
  return () => (client ??= import('kafkajs').then(({ default: kafkajs }) => new kafkajs.Kafka(kafkaConfig(settings, kafkajs.logLevel))));
}

function kafkaConfig(settings: KafkaSettings, logLevel: typeof import('kafkajs').logLevel): KafkaConfig {
  const config: KafkaConfig = {
    clientId: 'zps',
    brokers: settings.brokers,
    connectionTimeout: Math.min(settings.timeoutMs, 5_000),
    authenticationTimeout: Math.min(settings.timeoutMs, 5_000),
    requestTimeout: Math.max(settings.timeoutMs, 1_000),
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1_000 },
    logLevel: settings.verbose ? logLevel.WARN : logLevel.NOTHING,
    // --verbose: kafkajs's own warnings, one plain line each, on stderr
    logCreator: () => ({ log }) => process.stderr.write(`zps: kafkajs: ${log.message}\n`),
  };
  if (settings.tls) config.ssl = settings.tls.ca ? { ca: [readFileSync(settings.tls.ca, 'utf8')] } : true;
  if (settings.sasl) {
    config.sasl = {
      mechanism: settings.sasl.mechanism,
      username: settings.sasl.username,
      password: settings.sasl.password,
    } as KafkaConfig['sasl'];
  }
  return config;
}

/**
 * A kafkajs group member with zps's settings: a short session so a vanished member is replaced
 * quickly, and a short fetch wait so stop() (each new subscription, close) is quick while data
 * still arrives at once.
 */
export async function groupMember(kafka: KafkaClient, groupId: string, options: Partial<ConsumerConfig> = {}): Promise<Consumer> {
  return (await kafka()).consumer({
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 500,
    retry: { retries: 10 },
    ...options,
  });
}

/** One-line errors naming the brokers; never the password, which kafkajs messages do not carry. */
export function kafkaError(error: unknown, settings: KafkaSettings, what?: string): ZpsError {
  if (error instanceof ZpsError) return error;
  const name = (error as { name?: string }).name ?? '';
  const brokers = settings.brokers.join(',');
  const message = describeError(error);
  if (name === 'KafkaJSSASLAuthenticationError' || /SASL|authentication/i.test(message)) {
    return new ZpsError(`authentication failed at ${brokers}${settings.sasl ? ` for user ${settings.sasl.username}` : ''}: ${message}`, {
      cause: error,
    });
  }
  if (
    /KafkaJSConnectionError|KafkaJSNumberOfRetriesExceeded|KafkaJSBrokerNotFound|KafkaJSRequestTimeoutError|KafkaJSConnectionClosedError/.test(name) ||
    /ECONNREFUSED|Connection (timeout|error)|connect ETIMEDOUT/i.test(message)
  ) {
    return new ZpsError(`cannot reach Kafka at ${brokers}: ${message}`, {
      retriable: true,
      cause: error,
      hint: 'check --brokers (ZPS_BROKERS) and that the brokers are up',
    });
  }
  return new ZpsError(`${what || `Kafka at ${brokers}`}: ${message}`, { retriable: Boolean((error as { retriable?: boolean }).retriable), cause: error });
}

/**
 * Runs `work` (described by `what` in errors; '' when the caller says it) within the command's timeout, trying again while kafkajs calls the error retriable
 * (a topic just created is not yet known to every broker component), and maps errors to one line.
 */
export async function withDeadline<T>(settings: KafkaSettings, what: string, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + settings.timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ZpsError(`${what ? `${what}: ` : ''}no answer from Kafka at ${settings.brokers.join(',')} within ${settings.timeoutMs} ms`, {
            retriable: true,
          }),
        ),
      settings.timeoutMs,
    );
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
    throw kafkaError(error, settings, what);
  } finally {
    clearTimeout(timer);
  }
}
