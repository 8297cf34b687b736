import type { MemoryBroker } from './broker.js';

/**
 * Long polling on the broker, for the daemon's readers and its Kafka listener's Fetch: `attempt`
 * now, and again at each change to one of `topics`, until its result is `ready`, `waitMs` has
 * passed or `signal` aborted; then the last attempt's result (an attempt that throws ends the wait).
 */
export async function longPoll<T>(
  broker: MemoryBroker,
  topics: readonly string[],
  attempt: () => T,
  ready: (result: T) => boolean,
  waitMs: number,
  signal?: AbortSignal,
): Promise<T> {
  const deadline = Date.now() + waitMs;
  let result = attempt();
  while (!ready(result) && Date.now() < deadline && !signal?.aborted) {
    await nextChange(broker, topics, deadline - Date.now(), signal);
    result = attempt();
  }
  return result;
}

/** Resolves at the next change to any of the topics, after `ms`, or when aborted. */
function nextChange(broker: MemoryBroker, topics: readonly string[], ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const unwatch = topics.map((topic) => broker.watch(topic, done));
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
    function done() {
      clearTimeout(timer);
      for (const stop of unwatch) stop();
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
