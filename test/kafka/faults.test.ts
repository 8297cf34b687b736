/**
 * Faults on a broker of the test's own (the shared one stays up for the others): a broker that
 * restarts or stops in the middle of a publish, a topic recreated while it is followed, records
 * deleted under a reader. Nothing acknowledged is lost, nothing is stored twice, no report lies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import { createTools } from '../../dist/index.js';
// @ts-expect-error: a plain .mjs script, shared with `npm run kafka:up`
import { spareBroker } from '../../scripts/test-servers.mjs';
import { feeder, RunningZps, zps } from '../helpers/zps.js';
import { unique, waitFor } from '../helpers/wait.js';

const NO_SOCKET = '/nonexistent/unused.sock';
let broker: { brokers: string; start(): Promise<void>; stop(): Promise<void>; destroy(): Promise<void> };
const env = () => ({ ZPS_ENV: 'test', ZPS_BROKERS: broker.brokers });

beforeAll(async () => {
  broker = await spareBroker('faults', 19192);
}, 180_000);
afterAll(() => broker?.destroy());

/** Every `i` in the topic, with how many times it is there. */
async function stored(topic: string): Promise<Map<number, number>> {
  const consumed = await zps(NO_SOCKET, ['consume', topic, '--timeout', '30s'], { env: env(), timeoutMs: 120_000 });
  expect(consumed.code).toBe(0);
  const counts = new Map<number, number>();
  for (const line of consumed.stdout.split('\n').filter(Boolean)) {
    const { i } = JSON.parse(line) as { i: number };
    counts.set(i, (counts.get(i) ?? 0) + 1);
  }
  return counts;
}

const acknowledged = (stdout: string) => stdout.split('\n').filter(Boolean).length;

describe('faults on a broker of the test own', () => {
  it('a broker restarted in the middle of a publish: the publish goes on, every message stored exactly once', async () => {
    const topic = unique('restart');
    const publisher = new RunningZps(NO_SOCKET, ['publish', topic, '--json', '--timeout', '90s'], env());
    const feed = feeder(publisher, { linesPerTick: 200, tickMs: 5 });
    await waitFor(() => acknowledged(publisher.stdout) >= 5_000, 'the publish to be well under way', 60_000);
    await broker.stop();
    await broker.start();
    const restartedAt = feed.fed();
    await waitFor(() => feed.fed() >= restartedAt + 5_000, 'more lines after the restart', 60_000);
    feed.stop();
    const fed = await feed.done;
    const result = await publisher.result;
    const acked = acknowledged(result.stdout);
    const counts = await stored(topic);
    expect([...counts.values()].filter((n) => n > 1)).toEqual([]); // never stored twice
    if (result.code === 0) expect(acked).toBe(fed);
    else expect(result.stderr).toMatch(new RegExp(`\\n${acked} messages published before the failure`));
    const missing = Array.from({ length: acked }, (_, i) => i).filter((i) => !counts.has(i));
    expect(missing).toEqual([]);
  }, 240_000);

  it('a broker stopped in the middle of a publish: exit non-zero reporting what was acknowledged; after a restart none of it is missing', async () => {
    const topic = unique('stop');
    const publisher = new RunningZps(NO_SOCKET, ['publish', topic, '--json', '--timeout', '5s'], env());
    const feed = feeder(publisher, { linesPerTick: 500, tickMs: 0 });
    await waitFor(() => acknowledged(publisher.stdout) >= 5_000, 'the publish to be well under way', 60_000);
    await broker.stop();
    const result = await publisher.result;
    await feed.done;
    expect(result.code).not.toBe(0);
    const acked = acknowledged(result.stdout);
    const [error, report] = result.stderr.split('\n');
    expect(error).toMatch(new RegExp(`^zps: publish to ${topic} failed at line \\d+: `));
    expect(report).toMatch(new RegExp(`^${acked} messages published before the failure; line \\d+ and what follows it were not published`));

    // count --wait keeps trying while the broker is down: the condition is the count
    const counter = new RunningZps(NO_SOCKET, ['count', 'after-restart', '--expect', '1', '--wait', '180s'], env());
    await broker.start();
    expect(await zps(NO_SOCKET, ['publish', 'after-restart', 'x'], { env: env(), timeoutMs: 60_000 })).toMatchObject({ code: 0 });
    expect(await counter.result).toMatchObject({ code: 0, stdout: '1\n', stderr: '' });
    const counts = await stored(topic);
    expect([...counts.values()].filter((n) => n > 1)).toEqual([]);
    expect(Array.from({ length: acked }, (_, i) => i).filter((i) => !counts.has(i))).toEqual([]);
  }, 240_000);

  it('a topic deleted and created again while followed: the follower reads the new one from its start', async () => {
    const topic = unique('recreated');
    await zps(NO_SOCKET, ['publish', topic], { env: env(), input: 'old-1\nold-2\nold-3\n' });
    const follower = new RunningZps(NO_SOCKET, ['consume', topic, '-f'], env());
    await follower.waitForLines(3, 30_000);
    const admin = new kafkajs.Kafka({ brokers: [broker.brokers], logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] });
    await waitFor(async () => !(await admin.listTopics()).includes(topic), 'the topic to be gone', 30_000);
    await admin.disconnect();
    // zps's own create: kafkajs's waitForLeaders takes a metadata answer of the fresh topic for an error
    expect(await zps(NO_SOCKET, ['topics', 'create', topic], { env: env() })).toMatchObject({ code: 0 });
    await zps(NO_SOCKET, ['publish', topic, 'new-1'], { env: env() });
    expect((await follower.waitForLines(4, 30_000)).slice(3)).toEqual(['new-1']);
    follower.child.kill('SIGINT');
    expect(await follower.result).toMatchObject({ code: 0 });
  }, 120_000);

  it("a partition's records deleted under a reader: it goes on from the new start", async () => {
    const topic = unique('deleted');
    const tools = createTools({ environment: 'test', kafkaBrokers: [broker.brokers] });
    try {
      await zps(NO_SOCKET, ['publish', topic], { env: env(), input: Array.from({ length: 20 }, (_, i) => `m${i}`).join('\n') });
      const reader = await tools.openReader({ topic, start: { kind: 'beginning' }, follow: true });
      await tools.getAdmin().reset([topic]); // every record deleted before the reader read one
      await zps(NO_SOCKET, ['publish', topic, 'after'], { env: env() });
      const batch = await reader.next();
      expect(batch?.map((r) => [r.offset, r.value?.toString()])).toEqual([[20, 'after']]);
      await reader.close();
    } finally {
      await tools.close();
    }
  }, 120_000);
});
