/**
 * Exit codes and hints: the one place that turns what an error means into what the `zps` command
 * does about it (README, Exit codes). The library's errors carry a code and a reason; only here do they
 * become an exit code and a line naming the flags that would help.
 */
import { ZpsError, type ErrorCode, type ErrorReason } from '../pubsub/errors.js';

export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  timedOut: 3,
  /** 128 + SIGINT, what a shell reports for a command Ctrl-C ended. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

const EXIT_CODES: Record<ErrorCode, ExitCode> = {
  usage: ExitCode.usage,
  'too-large': ExitCode.usage,
  'not-found': ExitCode.failed,
  unavailable: ExitCode.failed,
  timeout: ExitCode.timedOut,
  auth: ExitCode.failed,
  interrupted: ExitCode.interrupted,
  failed: ExitCode.failed,
};

const HINTS: Record<ErrorReason, string> = {
  'daemon-not-running': 'start one with "zps daemon start", or unset ZPS_NO_AUTOSTART',
  'daemon-stopped': 'a daemon keeps messages in memory until it stops: publish them again',
  'socket-path-too-long': 'choose a shorter --socket or ZPS_SOCKET',
  'socket-dir-unsafe': 'use a directory only you can access (chmod 700), or another --socket',
  'brokers-unreachable': 'check --brokers (ZPS_BROKERS) and that the brokers are up',
  'tls-untrusted': "give the CA that signed the brokers' certificates with --tls-ca (ZPS_TLS_CA), or check that it is that one",
  'tls-client-refused': 'give a client certificate signed by a CA the brokers trust, with --tls-cert and --tls-key (ZPS_TLS_CERT, ZPS_TLS_KEY)',
  'registry-unreachable': 'check --schema-registry (ZPS_SCHEMA_REGISTRY) and that the registry is up',
  'registry-tls':
    "check the registry URL's scheme (https or http), the CA its certificate is checked with (-X schema.registry.ssl.ca.location=<file>), and any client certificate it asks for (schema.registry.ssl.certificate.location)",
  'no-schema-registry': 'set --schema-registry or ZPS_SCHEMA_REGISTRY',
  'schema-needs-kafka': 'set --env and --schema-registry',
  'memory-full':
    'raise the daemon\'s --max-memory, lower its retention, or free space with "zps reset" (messages) or "zps topics delete" (their partitions too)',
  'group-on-kafka-door': "use another group name, or stop the group's Kafka clients first",
};

export function exitCodeOf(error: unknown): ExitCode {
  return error instanceof ZpsError ? EXIT_CODES[error.code] : ExitCode.failed;
}

/** The line after the error: the CLI's words for its reason, else the error's own hint. */
export function hintOf(error: ZpsError): string | undefined {
  return (error.reason && HINTS[error.reason]) ?? error.hint;
}
