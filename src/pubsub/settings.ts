import { usageError } from './errors.js';

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

/** An explicit value (flag or option) beats the first set environment variable, which beats the default. */
export function resolveSettings(explicit: ExplicitSettings, env: NodeJS.ProcessEnv = process.env): Settings {
  const pick = (value: string | undefined, ...names: string[]) =>
    value ?? names.map((name) => env[name]).find((v) => v !== undefined && v !== '');
  const brokers = explicit.brokers ?? splitList(pick(undefined, 'ZPS_BROKERS', 'KAFKA_BROKERS'));
  const mechanism = pick(explicit.saslMechanism, 'ZPS_SASL_MECHANISM')?.toLowerCase();
  const timeout = pick(explicit.timeout, 'ZPS_TIMEOUT');
  const settings: Settings = {
    environment: pick(explicit.environment, 'ZPS_ENV', 'ENV') ?? 'local',
    brokers: brokers && brokers.length > 0 ? brokers : ['localhost:9092'],
    schemaRegistryUrl: pick(explicit.schemaRegistryUrl, 'ZPS_SCHEMA_REGISTRY', 'SCHEMA_REGISTRY_URL'),
    group: pick(explicit.group, 'ZPS_GROUP'),
    socket: pick(explicit.socket, 'ZPS_SOCKET'),
    timeoutMs: timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(timeout, 'timeout'),
  };
  if (mechanism !== undefined) {
    if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism)) {
      throw usageError(`invalid SASL mechanism '${mechanism}': use ${SASL_MECHANISMS.join(', ')}`);
    }
    settings.sasl = {
      mechanism: mechanism as (typeof SASL_MECHANISMS)[number],
      username: pick(explicit.saslUsername, 'ZPS_SASL_USERNAME', 'KAFKA_USERNAME') ?? '',
      password: pick(explicit.saslPassword, 'ZPS_SASL_PASSWORD', 'KAFKA_PASSWORD') ?? '',
    };
  }
  const tlsCa = pick(explicit.tlsCa, 'ZPS_TLS_CA');
  if (explicit.tls || isTrue(env.ZPS_TLS) || tlsCa !== undefined) settings.tls = { ca: tlsCa };
  return settings;
}

function splitList(value: string | undefined): string[] | undefined {
  return value?.split(',').map((s) => s.trim()).filter(Boolean);
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
