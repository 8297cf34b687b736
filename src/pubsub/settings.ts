import { accessSync, constants } from 'node:fs';
import { describeError, usageError } from './errors.js';

/** Connection settings shared by the library and every command; see CONTRACT §1. */
export interface Settings {
  environment: string;
  brokers: string[];
  schemaRegistryUrl?: string;
  group?: string;
  socket?: string;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  tls?: { ca?: string };
  timeoutMs: number;
}

export interface ExplicitSettings {
  environment?: string;
  brokers?: string[];
  schemaRegistryUrl?: string;
  group?: string;
  socket?: string;
  saslMechanism?: string;
  saslUsername?: string;
  saslPassword?: string;
  tls?: boolean;
  tlsCa?: string;
  timeout?: string;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

/** Where a setting came from, to name it in errors: a flag, or an environment variable. */
export interface SettingNames {
  brokers?: string;
  socket?: string;
  tlsCa?: string;
  environment?: string;
}

export interface ResolvedSettings {
  settings: Settings;
  /** What --verbose tells about the resolution (an environment variable ignored, say). */
  notes: string[];
}

/**
 * An explicit value (flag or option) beats the first set environment variable, which beats the
 * default. Values that cannot work are usage errors naming where they came from (`flags` names
 * the flag of each explicit value); Kafka's settings are checked only for Kafka environments.
 */
export function resolveSettings(
  explicit: ExplicitSettings,
  env: NodeJS.ProcessEnv = process.env,
  flags: SettingNames = {},
): ResolvedSettings {
  const notes: string[] = [];
  /** The value and the name of where it came from. */
  const pick = (value: string | undefined, flag: string | undefined, ...names: string[]): [string | undefined, string] => {
    if (value !== undefined) return [value, flag ?? 'option'];
    const name = names.find((n) => env[n] !== undefined && env[n] !== '');
    return name === undefined ? [undefined, ''] : [env[name], name];
  };
  const [environment, environmentFrom] = pickEnvironment(explicit.environment, flags.environment, env, notes);
  if (environment === '') throw usageError(`${environmentFrom} is empty: name an environment (local, or any other name for Kafka)`);
  const [socket, socketFrom] = pick(explicit.socket, flags.socket, 'ZPS_SOCKET');
  if (socket !== undefined && socket.trim() === '') throw usageError(`${socketFrom} is empty: give the path of the daemon's socket`);
  const [timeout] = pick(explicit.timeout, undefined, 'ZPS_TIMEOUT');
  const settings: Settings = {
    environment,
    brokers: ['localhost:9092'],
    schemaRegistryUrl: pick(explicit.schemaRegistryUrl, undefined, 'ZPS_SCHEMA_REGISTRY', 'SCHEMA_REGISTRY_URL')[0],
    group: pick(explicit.group, undefined, 'ZPS_GROUP')[0],
    socket,
    timeoutMs: timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(timeout, 'timeout'),
  };
  const [mechanism] = pick(explicit.saslMechanism, undefined, 'ZPS_SASL_MECHANISM');
  if (mechanism !== undefined) {
    const lower = mechanism.toLowerCase();
    if (!(SASL_MECHANISMS as readonly string[]).includes(lower)) {
      throw usageError(`invalid SASL mechanism '${mechanism}': use ${SASL_MECHANISMS.join(', ')}`);
    }
    settings.sasl = {
      mechanism: lower as (typeof SASL_MECHANISMS)[number],
      username: pick(explicit.saslUsername, undefined, 'ZPS_SASL_USERNAME', 'KAFKA_USERNAME')[0] ?? '',
      password: pick(explicit.saslPassword, undefined, 'ZPS_SASL_PASSWORD', 'KAFKA_PASSWORD')[0] ?? '',
    };
  }
  if (environment === 'local') return { settings, notes };

  const [brokerList, brokersFrom] =
    explicit.brokers !== undefined ? [explicit.brokers.join(','), flags.brokers ?? 'option'] : pick(undefined, undefined, 'ZPS_BROKERS', 'KAFKA_BROKERS');
  if (brokerList !== undefined) settings.brokers = parseBrokers(brokerList, brokersFrom);
  const [tlsCa, tlsCaFrom] = pick(explicit.tlsCa, flags.tlsCa, 'ZPS_TLS_CA');
  if (tlsCa !== undefined) {
    try {
      accessSync(tlsCa, constants.R_OK);
    } catch (error) {
      throw usageError(`cannot read the CA certificate ${tlsCa} given by ${tlsCaFrom}: ${(error as NodeJS.ErrnoException).code ?? describeError(error)}`);
    }
  }
  if (explicit.tls || isTrue(env.ZPS_TLS) || tlsCa !== undefined) settings.tls = { ca: tlsCa };
  return { settings, notes };
}

/**
 * The environment name: the flag, else ZPS_ENV, else ENV, else local. ENV is also the POSIX
 * shell's startup-file variable (ENV=/root/.shrc): a value that looks like a path is not a name.
 */
function pickEnvironment(explicit: string | undefined, flag: string | undefined, env: NodeJS.ProcessEnv, notes: string[]): [string, string] {
  if (explicit !== undefined) return [explicit.trim(), flag ?? 'option'];
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
  const brokers = list.split(',').map((b) => b.trim()).filter(Boolean);
  if (brokers.length === 0) throw usageError(`${from} is empty: give the brokers as host:port, as localhost:9092`);
  for (const broker of brokers) {
    const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:/\[\]]+):(\d{1,5})$/.exec(broker);
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
