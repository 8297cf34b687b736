/**
 * Every setting of zps, resolved once: an explicit value (a library option, or the CLI's flag)
 * beats the first set environment variable, which beats the default (README, Settings). The result is
 * one typed object with one name per setting, which the factory, the drivers and the commands read.
 */
import { type ListenAddress, parseListenAddress } from './daemon/kafka/address.js';
import { accessSync, constants } from 'node:fs';
import { defaultSocketPath } from './daemon/paths.js';
import type { BrokerLimits } from './memory/broker.js';
import { describeError, usageError } from './pubsub/errors.js';
import { defaultOnError, type ErrorCallback, type RetryOptions } from './pubsub/retry.js';

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** Kafka TLS: whom to trust, and the client's certificate for brokers that ask for one. File paths. */
export interface TlsOptions {
  /** The CA certificate(s) that signed the brokers' (PEM). */
  ca?: string;
  /** The client certificate (PEM), with its key. */
  cert?: string;
  /** The client certificate's private key (PEM), encrypted or not. */
  key?: string;
  /** The passphrase of an encrypted `key`. */
  keyPassword?: string;
  /** The client certificate and key in a PKCS#12 keystore, instead of `cert` and `key`. */
  keystore?: string;
  keystorePassword?: string;
  /** The CA certificate(s) to trust, as a PEM file (as `ca`). */
  truststore?: string;
  truststorePassword?: string;
  /** Whether the brokers' certificates must name the host connected to (default true). */
  checkHostname?: boolean;
}

/** What a library user (or the CLI, from its flags) may give; everything is optional. */
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
  /**
   * Gets the error of a message whose handler failed every attempt, and a consumer's own errors
   * (without message and meta); default: one line on stderr.
   */
  onError?: ErrorCallback;
  /** Kafka SASL (default: ZPS_SASL_MECHANISM with ZPS_SASL_USERNAME / ZPS_SASL_PASSWORD). */
  sasl?: { mechanism: string; username?: string; password?: string };
  /** Kafka TLS (default: ZPS_TLS, ZPS_TLS_CA, ZPS_TLS_CERT, ZPS_TLS_KEY, ZPS_TLS_KEY_PASSWORD). */
  tls?: boolean | TlsOptions;
  /** Local mode: limits of a daemon this factory starts. */
  daemonLimits?: Partial<BrokerLimits>;
  /** Local mode: a daemon this factory starts also answers Kafka clients here (default: ZPS_KAFKA_LISTEN), as 127.0.0.1:9092. */
  daemonKafkaListen?: string;
  /** Kafka mode: kafkajs warnings on stderr. */
  verbose?: boolean;
  /** Local mode: called when this factory is about to start the daemon. */
  onDaemonStarting?: () => (() => void) | undefined;
}

/** The resolved settings: every one decided, each under one name. */
export interface Settings {
  /** `local`, or the name of a Kafka environment. */
  environment: string;
  brokers: string[];
  schemaRegistryUrl?: string;
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
  tls?: TlsOptions;
  /** The consumer group of consumers created without one (and of `zps consume` with ZPS_GROUP). */
  group?: string;
  socket: string;
  inProcess: boolean;
  autostart: boolean;
  daemonLimits: Partial<BrokerLimits>;
  /** Where a daemon these settings start answers Kafka clients. */
  daemonKafka?: ListenAddress;
  timeoutMs: number;
  retry: RetryOptions;
  onError: ErrorCallback;
  verbose: boolean;
  onDaemonStarting?: () => (() => void) | undefined;
}

export interface ResolvedSettings {
  settings: Settings;
  /** What --verbose tells about the resolution (an environment variable ignored, say). */
  notes: string[];
}

/** How the caller names each option in errors: the CLI names its flags, the library its options. */
export interface OptionNames {
  environment: string;
  kafkaBrokers: string;
  socketPath: string;
  tlsCa: string;
  tlsCert: string;
  tlsKey: string;
}

const LIBRARY_NAMES: OptionNames = {
  environment: 'environment',
  kafkaBrokers: 'kafkaBrokers',
  socketPath: 'socketPath',
  tlsCa: 'tls.ca',
  tlsCert: 'tls.cert',
  tlsKey: 'tls.key',
};

export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Resolves the options against the environment. Values that cannot work are usage errors naming
 * where they came from; Kafka's settings are checked only for Kafka environments.
 */
export function resolveSettings(options: FactoryOptions = {}, env: NodeJS.ProcessEnv = process.env, names: OptionNames = LIBRARY_NAMES): ResolvedSettings {
  const notes: string[] = [];
  /** The first of these environment variables that is set (and not empty), with its name. */
  const fromEnv = (...variables: string[]): [string, string] | undefined => {
    const name = variables.find((n) => env[n] !== undefined && env[n] !== '');
    return name === undefined ? undefined : [env[name]!, name];
  };
  const [environment, environmentFrom] = pickEnvironment(options.environment, names.environment, env, notes);
  if (environment === '') throw usageError(`${environmentFrom} is empty: name an environment (local, or any other name for Kafka)`);
  const [socket, socketFrom] = options.socketPath !== undefined ? [options.socketPath, names.socketPath] : (fromEnv('ZPS_SOCKET') ?? [undefined, '']);
  if (socket !== undefined && socket.trim() === '') throw usageError(`${socketFrom} is empty: give the path of the daemon's socket`);
  const timeout = fromEnv('ZPS_TIMEOUT');
  const settings: Settings = {
    environment,
    brokers: ['localhost:9092'],
    schemaRegistryUrl: options.schemaRegistryUrl ?? fromEnv('ZPS_SCHEMA_REGISTRY', 'SCHEMA_REGISTRY_URL')?.[0],
    group: options.consumerGroup ?? fromEnv('ZPS_GROUP')?.[0],
    socket: socket ?? defaultSocketPath(env),
    inProcess: options.inProcess ?? false,
    autostart: options.autostart ?? env.ZPS_NO_AUTOSTART !== '1',
    daemonLimits: options.daemonLimits ?? {},
    daemonKafka: environment === 'local' ? kafkaListen(options.daemonKafkaListen, env) : undefined,
    timeoutMs: options.timeoutMs ?? (timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(timeout[0], 'timeout')),
    retry: options.retry ?? {},
    onError: options.onError ?? defaultOnError,
    verbose: options.verbose ?? false,
    onDaemonStarting: options.onDaemonStarting,
  };
  const mechanism = options.sasl?.mechanism ?? fromEnv('ZPS_SASL_MECHANISM')?.[0];
  if (mechanism !== undefined) {
    const lower = mechanism.toLowerCase();
    if (!(SASL_MECHANISMS as readonly string[]).includes(lower)) {
      throw usageError(`invalid SASL mechanism '${mechanism}': use ${SASL_MECHANISMS.join(', ')}`);
    }
    settings.sasl = {
      mechanism: lower as SaslMechanism,
      username: options.sasl?.username ?? fromEnv('ZPS_SASL_USERNAME', 'KAFKA_USERNAME')?.[0] ?? '',
      password: options.sasl?.password ?? fromEnv('ZPS_SASL_PASSWORD', 'KAFKA_PASSWORD')?.[0] ?? '',
    };
  }
  if (environment === 'local') return { settings, notes };

  const brokers =
    options.kafkaBrokers !== undefined ? ([options.kafkaBrokers.join(','), names.kafkaBrokers] as const) : fromEnv('ZPS_BROKERS', 'KAFKA_BROKERS');
  if (brokers !== undefined) settings.brokers = parseBrokers(brokers[0], brokers[1]);
  settings.tls = resolveTls(options.tls, env, names, fromEnv);
  return { settings, notes };
}

/**
 * Kafka TLS: on when asked for, or when any of its files is given. Each file must be readable
 * (a usage error naming it and where it came from); keys are decrypted when connecting.
 */
function resolveTls(
  option: FactoryOptions['tls'],
  env: NodeJS.ProcessEnv,
  names: OptionNames,
  fromEnv: (...variables: string[]) => [string, string] | undefined,
): TlsOptions | undefined {
  const given = typeof option === 'object' ? option : {};
  const tls: TlsOptions = { ...given };
  const files: [keyof TlsOptions, string, string, string | undefined][] = [
    ['ca', 'CA certificate', names.tlsCa, 'ZPS_TLS_CA'],
    ['cert', 'client certificate', names.tlsCert, 'ZPS_TLS_CERT'],
    ['key', 'client key', names.tlsKey, 'ZPS_TLS_KEY'],
    ['keystore', 'keystore', 'tls.keystore', undefined],
    ['truststore', 'truststore', 'tls.truststore', undefined],
  ];
  for (const [field, what, optionName, variable] of files) {
    const [file, from] = given[field] !== undefined ? [given[field] as string, optionName] : ((variable && fromEnv(variable)) ?? [undefined, '']);
    if (file === undefined) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch (error) {
      throw usageError(`cannot read the ${what} ${file} given by ${from}: ${(error as NodeJS.ErrnoException).code ?? describeError(error)}`);
    }
    (tls as Record<string, unknown>)[field] = file;
  }
  if (tls.cert !== undefined && tls.key === undefined)
    throw usageError(`the client certificate ${tls.cert} needs its key: give it with ${names.tlsKey} (ZPS_TLS_KEY)`);
  if (tls.key !== undefined && tls.cert === undefined)
    throw usageError(`the client key ${tls.key} needs its certificate: give it with ${names.tlsCert} (ZPS_TLS_CERT)`);
  tls.keyPassword ??= fromEnv('ZPS_TLS_KEY_PASSWORD')?.[0];
  const anyFile = files.some(([field]) => tls[field] !== undefined);
  if (!(option === true || typeof option === 'object' || isTrue(env.ZPS_TLS) || anyFile)) return undefined;
  return Object.fromEntries(Object.entries(tls).filter(([, value]) => value !== undefined)) as TlsOptions;
}

/**
 * The environment name: the option, else ZPS_ENV, else ENV, else local. ENV is also the POSIX
 * shell's startup-file variable (ENV=/root/.shrc): a value that looks like a path is not a name.
 */
function pickEnvironment(explicit: string | undefined, name: string, env: NodeJS.ProcessEnv, notes: string[]): [string, string] {
  if (explicit !== undefined) return [explicit.trim(), name];
  if (env.ZPS_ENV) return [env.ZPS_ENV.trim(), 'ZPS_ENV'];
  const fallback = env.ENV;
  if (fallback && looksLikePath(fallback)) {
    notes.push(`ignoring ENV=${fallback}: it looks like a path (the shell's startup file), not an environment name`);
  } else if (fallback) return [fallback.trim(), 'ENV'];
  return ['local', 'default'];
}

function looksLikePath(value: string): boolean {
  return value.includes('/') || value.startsWith('~') || value.startsWith('.');
}

/** `host:port,host:port` (IPv6 hosts in brackets); anything else is a usage error naming `from`. */
export function parseBrokers(list: string, from: string): string[] {
  const brokers = list
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) throw usageError(`${from} is empty: give the brokers as host:port, as localhost:9092`);
  for (const broker of brokers) {
    const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):(\d{1,5})$/.exec(broker);
    if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) {
      throw usageError(`invalid broker '${broker}' in ${from}: use host:port, as localhost:9092`);
    }
  }
  return brokers;
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value);
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** `250ms`, `10s`, `1.5m`, `2h` → milliseconds. */
export function parseDuration(text: string, what = 'duration'): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw usageError(`invalid ${what} '${text}': use a number with a unit, as 250ms, 10s or 2m`);
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
}

/** The Kafka listener of a daemon that local mode starts: the option, else ZPS_KAFKA_LISTEN. */
function kafkaListen(option: string | undefined, env: NodeJS.ProcessEnv): ListenAddress | undefined {
  if (option !== undefined) return parseListenAddress(option, 'daemonKafkaListen');
  const value = env.ZPS_KAFKA_LISTEN;
  return value === undefined || value === '' ? undefined : parseListenAddress(value, 'ZPS_KAFKA_LISTEN');
}
