import type { MemoryBroker } from './broker.js';

/**
 * Long polling on the broker, for the daemon's readers and its Kafka listener's Fetch: `attempt`
 * now, and again at each change to one of `topics`, until its result is `ready`, `waitMs` has
 * passed or `signal` aborted; then the last attempt's result (an attempt that throws ends the wait).
 *
 * Each attempt runs synchronously where its cause fires (the change, the timer, the abort), never a
 * tick later: a group member's poll aborted by its client answers before the leave that follows it
 * in the same read of the socket makes the member unknown.
 */
export function longPoll<T>(
  broker: MemoryBroker,
  topics: readonly string[],
  attempt: () => T,
  ready: (result: T) => boolean,
  waitMs: number,
  signal?: AbortSignal,
): Promise<T> {
  const first = attempt();
  if (ready(first) || waitMs <= 0 || signal?.aborted) return Promise.resolve(first);
  return new Promise<T>((resolve, reject) => {
    let unwatch: Array<() => void> = [];
    const watch = () => {
      unwatch = topics.map((topic) => broker.watch(topic, () => retry(false)));
    };
    const stopWatching = () => {
      for (const stop of unwatch) stop();
      unwatch = [];
    };
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    const retry = (final: boolean) => {
      stopWatching();
      let result: T;
      try {
        result = attempt();
      } catch (error) {
        finish(() => reject(error));
        return;
      }
      if (final || ready(result)) finish(() => resolve(result));
      else watch();
    };
    const onAbort = () => retry(true);
    const timer = setTimeout(onAbort, waitMs);
    signal?.addEventListener('abort', onAbort);
    watch();
  });
}
