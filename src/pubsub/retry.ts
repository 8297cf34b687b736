import { describeError } from './errors.js';
import type { MessageMeta } from './types.js';

export interface RetryOptions {
  /** Attempts per message, the first included. */
  maxAttempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * Where a consumer's errors go, as it cannot throw them to anyone: a message whose handler failed
 * every attempt (or whose value could not be decoded), with the message and its meta; or the
 * consumer's own trouble (it lost its broker and joins its group again), with neither.
 */
export type ErrorCallback = (error: unknown, message: unknown, meta: MessageMeta | undefined) => void;

/** Without an onError of the application's: one line on stderr. */
export const defaultOnError: ErrorCallback = (error, _message, meta) => {
  const why = describeError(error);
  process.stderr.write(meta ? `zps: handler failed for ${meta.topic}[${meta.partition}]@${meta.offset}, moving on: ${why}\n` : `zps: ${why}\n`);
};

/** Calls onError, which must not stop the consumer even when it throws. */
export function report(onError: ErrorCallback, error: unknown, message?: unknown, meta?: MessageMeta): void {
  try {
    onError(error, message, meta);
  } catch {
    // an onError that throws must not crash the consumer either
  }
}

/**
 * Runs a handler until it succeeds or runs out of attempts, with exponential backoff between tries;
 * then hands the last error to `giveUp` (which reports it). Never throws: a handler error must not
 * stop the consumer.
 * Resolves false when the consumer closed before the message was settled: it must not be committed,
 * so that the group's next member gets it again.
 */
export async function handleWithRetry(
  run: () => void | Promise<void>,
  giveUp: (error: unknown) => void,
  options: RetryOptions,
  isClosing: () => boolean,
): Promise<boolean> {
  const attempts = Math.max(1, options.maxAttempts ?? 5);
  let backoff = options.initialBackoffMs ?? 100;
  const maxBackoff = options.maxBackoffMs ?? 5_000;
  for (let attempt = 1; ; attempt++) {
    try {
      await run();
      return true;
    } catch (error) {
      if (isClosing()) return false;
      if (attempt >= attempts) {
        giveUp(error);
        return true;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, backoff));
    backoff = Math.min(backoff * 2, maxBackoff);
  }
}
