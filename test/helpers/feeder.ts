import type { RunningZps } from './zps.js';

/** Feeds `{"i":n}` lines to a publish, paced, until told to stop; resolves how many it fed. */
export function feeder(publisher: RunningZps, pace: { linesPerTick: number; tickMs: number }) {
  let next = 0;
  let stopped = false;
  void publisher.result.then(() => (stopped = true));
  publisher.child.stdin!.on('error', () => {});
  const done = (async () => {
    while (!stopped) {
      const chunk = `${Array.from({ length: pace.linesPerTick }, () => `{"i":${next++}}`).join('\n')}\n`;
      if (!publisher.child.stdin!.write(chunk)) {
        await Promise.race([new Promise((resolve) => publisher.child.stdin!.once('drain', resolve)), publisher.result]);
      }
      await new Promise((resolve) => setTimeout(resolve, pace.tickMs));
    }
    publisher.child.stdin!.end();
    return next;
  })();
  return { fed: () => next, stop: () => (stopped = true), done };
}
