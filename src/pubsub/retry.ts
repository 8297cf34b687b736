import type { MessageMeta } from './types.js';

export interface RetryOptions {
  /** Attempts per message, the first included. */
  maxAttempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export type ErrorCallback = (error: unknown, message: unknown, meta: MessageMeta) => void;

export const defaultOnError: ErrorCallback = (error, _message, meta) => {
  const why = error instanceof Error ? error.message : String(error);
  process.stderr.write(`zps: handler failed for ${meta.topic}[${meta.partition}]@${meta.offset}, moving on: ${why}\n`);
};

/**
 * Runs a handler until it succeeds or runs out of attempts, with exponential backoff between tries;
 * then hands the last error to onError. Never throws: a handler error must not stop the consumer.
 * Resolves false when the consumer closed before the message was settled: it must not be committed,
 * so that the group's next member gets it again.
 */
export async function handleWithRetry(
  run: () => void | Promise<void>,
  report: (error: unknown) => void,
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
        try {
          report(error);
        } catch {
          // an onError that throws must not crash the consumer either
        }
        return true;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, backoff));
    backoff = Math.min(backoff * 2, maxBackoff);
  }
}
