/**
 * The factory's options and their resolution, apart from the implementations: the CLI loads only
 * the implementation its environment needs (loading both costs a cold start ~20 ms).
 */
import type { KafkaFactoryOptions } from './kafka/factory.js';
import type { LocalFactoryOptions } from './local/factory.js';
import type { BrokerLimits } from './memory/broker.js';
import { defaultOnError, type ErrorCallback, type RetryOptions } from './pubsub/retry.js';
import { resolveSettings, type Settings } from './pubsub/settings.js';
import type { PubSubFactory } from './pubsub/types.js';

export interface FactoryOptions {
  /** `local` (the default, or ZPS_ENV / ENV): the memory broker; anything else: Kafka. */
  environment?: string;
  kafkaBrokers?: string[];
  consumerGroup?: string;
  schemaRegistryUrl?: string;
  /** Local mode: keep the broker in this process instead of the shared daemon (unit tests). */
  inProcess?: boolean;
  /** Local mode: the daemon's socket (default: ZPS_SOCKET, then the per-user default). */
  socketPath?: string;
  /** Local mode: start the daemon when none answers (default: unless ZPS_NO_AUTOSTART=1). */
  autostart?: boolean;
  /** Connecting and starting give up after this long (default: ZPS_TIMEOUT, then 10 s). */
  timeoutMs?: number;
  /** Redelivery of messages whose handler threw. */
  retry?: RetryOptions;
  /** Gets the error of a message whose handler failed every attempt (default: logged to stderr). */
  onError?: ErrorCallback;
  sasl?: Settings['sasl'];
  tls?: Settings['tls'];
  /** Local mode: limits of a daemon this factory starts. */
  daemonLimits?: Partial<BrokerLimits>;
  /** Kafka mode: kafkajs warnings on stderr. */
  verbose?: boolean;
  /** Local mode: called when this factory is about to start the daemon. */
  onDaemonStarting?: () => (() => void) | void;
}

export type ResolvedFactoryOptions = { kind: 'kafka'; kafka: KafkaFactoryOptions } | { kind: 'local'; local: LocalFactoryOptions };

/** Picks the implementation from the environment name, as the seed's NewFactory does. */
export function resolveFactoryOptions(options: FactoryOptions): ResolvedFactoryOptions {
  const { settings } = resolveSettings(
    {
      environment: options.environment,
      brokers: options.kafkaBrokers,
      schemaRegistryUrl: options.schemaRegistryUrl,
      group: options.consumerGroup,
      socket: options.socketPath,
    },
    process.env,
    { environment: 'environment', brokers: 'kafkaBrokers', socket: 'socketPath' },
  );
  const retry = options.retry ?? {};
  const onError = options.onError ?? defaultOnError;
  if (settings.environment !== 'local') {
    return {
      kind: 'kafka',
      kafka: {
        environment: settings.environment,
        consumerGroup: settings.group,
        schemaRegistryUrl: settings.schemaRegistryUrl,
        settings: {
          brokers: settings.brokers,
          sasl: options.sasl ?? settings.sasl,
          tls: options.tls ?? settings.tls,
          timeoutMs: options.timeoutMs ?? settings.timeoutMs,
          verbose: options.verbose,
        },
        retry,
        onError,
      },
    };
  }
  return {
    kind: 'local',
    local: {
      environment: settings.environment,
      consumerGroup: settings.group,
      inProcess: options.inProcess ?? false,
      socket: settings.socket,
      autostart: options.autostart ?? process.env.ZPS_NO_AUTOSTART !== '1',
      timeoutMs: options.timeoutMs ?? settings.timeoutMs,
      retry,
      onError,
      daemonLimits: options.daemonLimits,
      onDaemonStarting: options.onDaemonStarting,
    },
  };
}

/** createFactory for callers that can wait: imports only the implementation it returns. */
export async function loadFactory(options: FactoryOptions): Promise<PubSubFactory> {
  const resolved = resolveFactoryOptions(options);
  if (resolved.kind === 'kafka') return new (await import('./kafka/factory.js')).KafkaFactory(resolved.kafka);
  return new (await import('./local/factory.js')).LocalFactory(resolved.local);
}
