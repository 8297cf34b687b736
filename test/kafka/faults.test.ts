import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script, shared with `npm run kafka:up`
import { spareBroker } from '../../scripts/test-servers.mjs';
import { RunningZps, zps } from '../helpers/zps.js';
import { waitFor } from '../helpers/wait.js';

describe('a broker stopped in the middle of a long publish', () => {
  it('makes the publish exit non-zero reporting what was acknowledged; after a restart none of it is missing', async () => {
    const broker = await spareBroker('faults', 19192);
    const env = { ZPS_ENV: 'test', ZPS_BROKERS: broker.brokers };
    try {
      const publisher = new RunningZps('/nonexistent/unused.sock', ['publish', 'long', '--json', '--timeout', '5s'], env);
      // Feed stdin steadily (never ahead of what the pipe takes) until the command ends.
      let next = 0;
      let ended = false;
      void publisher.result.then(() => (ended = true));
      const feed = async () => {
        while (!ended && next < 2_000_000) {
          const chunk = `${Array.from({ length: 500 }, () => `{"i":${next++}}`).join('\n')}\n`;
          if (!publisher.child.stdin!.write(chunk)) {
            await Promise.race([new Promise((resolve) => publisher.child.stdin!.once('drain', resolve)), publisher.result]);
          }
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      publisher.child.stdin!.on('error', () => {});
      const feeding = feed();
      await waitFor(() => publisher.lines().length >= 5_000, 'the publish to be well under way', 60_000);
      await broker.stop();
      const result = await publisher.result;
      await feeding;
      expect(result.code).not.toBe(0);
      const acked = result.stdout.split('\n').filter(Boolean).length;
      const [error, report] = result.stderr.split('\n');
      expect(error).toMatch(/^zps: publish to long failed at line \d+: /);
      expect(report).toMatch(new RegExp(`^${acked} messages published before the failure; line \\d+ and what follows it were not published`));

      // count --wait keeps trying while the broker is down: the condition is the count (issue 8.8)
      const counter = new RunningZps('/nonexistent/unused.sock', ['count', 'after-restart', '--expect', '1', '--wait', '180s'], env);
      await broker.start();
      expect(await zps('/nonexistent/unused.sock', ['publish', 'after-restart', 'x'], { env, timeoutMs: 60_000 })).toMatchObject({ code: 0 });
      expect(await counter.result).toMatchObject({ code: 0, stdout: '1\n', stderr: '' });
      const consumed = await zps('/nonexistent/unused.sock', ['consume', 'long', '--timeout', '30s'], { env, timeoutMs: 120_000 });
      expect(consumed.code).toBe(0);
      const seen = new Set(
        consumed.stdout
          .split('\n')
          .filter(Boolean)
          .map((line) => (JSON.parse(line) as { i: number }).i),
      );
      const missing = Array.from({ length: acked }, (_, i) => i).filter((i) => !seen.has(i));
      expect(missing).toEqual([]);
    } finally {
      await broker.destroy();
    }
  }, 240_000);
});
