/** Exit codes of the `zps` command; library errors carry one too so the CLI maps them once. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  timedOut: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** What kind of failure an error is, whatever its wording. */
export type ErrorCode = 'usage' | 'not-found' | 'unavailable' | 'timeout' | 'auth' | 'too-large' | 'failed';

export interface ZpsErrorOptions {
  code?: ErrorCode;
  exitCode?: ExitCode;
  /** True when trying the same operation again may succeed (broker busy, connection lost). */
  retriable?: boolean;
  /** A second line telling the user what to do about it. */
  hint?: string;
  cause?: unknown;
}

/** The one error type of zps: a one-line message, an exit code and whether a retry may help. */
export class ZpsError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;
  readonly retriable: boolean;
  readonly hint?: string;

  constructor(message: string, options: ZpsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ZpsError';
    this.code = options.code ?? (options.exitCode === ExitCode.usage ? 'usage' : options.exitCode === ExitCode.timedOut ? 'timeout' : 'failed');
    this.exitCode = options.exitCode ?? (this.code === 'usage' || this.code === 'too-large' ? ExitCode.usage : this.code === 'timeout' ? ExitCode.timedOut : ExitCode.failed);
    this.retriable = options.retriable ?? false;
    this.hint = options.hint;
  }
}

export function usageError(message: string, hint?: string): ZpsError {
  return new ZpsError(message, { exitCode: ExitCode.usage, hint });
}

export function timeoutError(message: string, hint?: string): ZpsError {
  return new ZpsError(message, { exitCode: ExitCode.timedOut, hint });
}

export function isZpsError(error: unknown): error is ZpsError {
  return error instanceof ZpsError;
}

/** The message of any thrown value, for one-line reports. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
