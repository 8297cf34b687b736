/**
 * The one error type of zps. An error says what failed (a one-line message), what kind of failure
 * it is (`code`), whether trying again may help (`retriable`), and, where the user can do something
 * about it, why (`reason`). It never names a command-line flag: the CLI maps codes to exit codes
 * and reasons to hints (src/cli/errors.ts).
 */

export type ErrorCode =
  /** The input cannot work: a bad topic name, option, offset or value. */
  | 'usage'
  /** A message over a size limit. */
  | 'too-large'
  /** A topic (or another named thing) does not exist. */
  | 'not-found'
  /** The broker, daemon or registry does not answer. */
  | 'unavailable'
  /** A wait ran out. */
  | 'timeout'
  /** Authentication or authorization failed. */
  | 'auth'
  /** The user stopped it (Ctrl-C). */
  | 'interrupted'
  /** Anything else: the operation was refused or failed. */
  | 'failed';

/** Why an error happened, where the user can act on it (the CLI turns each into a hint naming its flags). */
export type ErrorReason =
  | 'daemon-not-running'
  | 'daemon-stopped'
  | 'socket-path-too-long'
  | 'socket-dir-unsafe'
  | 'brokers-unreachable'
  | 'tls-untrusted'
  | 'tls-client-refused'
  | 'registry-unreachable'
  | 'registry-tls'
  | 'no-schema-registry'
  | 'schema-needs-kafka'
  | 'memory-full'
  | 'group-on-kafka-door';

export interface ZpsErrorOptions {
  code?: ErrorCode;
  /** True when trying the same operation again may succeed (broker busy, connection lost). */
  retriable?: boolean;
  reason?: ErrorReason;
  /** A second line telling the user what to do, in words any user of the library can follow. */
  hint?: string;
  cause?: unknown;
}

export class ZpsError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly reason?: ErrorReason;
  readonly hint?: string;

  constructor(message: string, options: ZpsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ZpsError';
    this.code = options.code ?? 'failed';
    this.retriable = options.retriable ?? false;
    this.reason = options.reason;
    this.hint = options.hint;
  }
}

export function usageError(message: string, reason?: ErrorReason): ZpsError {
  return new ZpsError(message, { code: 'usage', reason });
}

export function tooLargeError(message: string): ZpsError {
  return new ZpsError(message, { code: 'too-large' });
}

export function timeoutError(message: string): ZpsError {
  return new ZpsError(message, { code: 'timeout' });
}

/** The refusal to change a group with members, naming them as `zps groups describe` does. */
export function activeGroupError(
  groupName: string,
  action: string,
  members: ReadonlyArray<{ id: string; clientId: string; host: string }>,
  /** Said first on the hint's line (`nothing was deleted`). */
  before?: string,
): ZpsError {
  const named = members.map((m) => `${m.id} (${m.clientId}@${m.host})`).join(', ');
  const hint = 'stop its consumers first: a group is changed only while it has no member';
  return new ZpsError(`cannot ${action} group ${groupName}: it has active members: ${named}`, { hint: before ? `${before}; ${hint}` : hint });
}

export function isZpsError(error: unknown): error is ZpsError {
  return error instanceof ZpsError;
}

/** The message of any thrown value, for one-line reports. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * The service failed, not the input: a broker or schema registry that cannot be reached, trusted,
 * understood or that refuses the credentials. A record that met such an error is not to be skipped
 * or marked undecodable.
 */
export function isUnavailable(error: unknown): boolean {
  return error instanceof ZpsError && (error.retriable || error.code === 'unavailable' || error.code === 'auth');
}

/** Why a file could not be read, in words (`no such file`), else the system's first line. */
export function fileProblem(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file';
    case 'ENOTDIR':
      return 'a part of its path is not a directory';
    case 'EISDIR':
      return 'it is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return describeError(error).split('\n')[0]!;
  }
}

/** The code of any thrown value: a ZpsError's own, else 'failed'. */
export function codeOf(error: unknown): ErrorCode {
  return error instanceof ZpsError ? error.code : 'failed';
}
