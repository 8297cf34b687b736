/**
 * Consumers on a broker of the test's own that stalls (SIGSTOP, as in a long GC pause or a frozen
 * VM) or restarts: followers go on and print what comes after, and a group prints nothing twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script, shared with `npm run kafka:up`
import { spareBroker } from '../../scripts/test-servers.mjs';
import { feeder, RunningZps, zps } from '../helpers/zps.js';
import { unique, waitFor } from '../helpers/wait.js';

const NO_SOCKET = '/nonexistent/unused.sock';
let broker: { brokers: string; start(): Promise<void>; stop(): Promise<void>; pause(): void; resume(): void; destroy(): Promise<void> };
const env = () => ({ ZPS_ENV: 'test', ZPS_BROKERS: broker.brokers });
const publish = (topic: string, ...values: string[]) => zps(NO_SOCKET, ['publish', topic, ...values], { env: env(), timeoutMs: 60_000 });

/** Keeps the broker frozen for `ms`: the length of the fault, not a wait for something to happen. */
async function frozenFor(ms: number): Promise<void> {
  broker.pause();
  try {
    await new Promise((resolve) => setTimeout(resolve, ms));
  } finally {
    broker.resume();
  }
}

/**
 * Ctrl-C on a group member with the broker frozen: its commit and leave wait for the broker (until
 * the timeout, 10 s), which it must say, with the way out; a second Ctrl-C takes it. Its result.
 */
async function interruptedWhileFrozen(member: RunningZps, group: string) {
  broker.pause();
  try {
    member.child.kill('SIGINT');
    await waitFor(() => member.stderr.includes('\n'), 'the wait to be said', 10_000);
    expect(member.stderr).toBe(`zps: waiting for the broker to take the last commit of group ${group} and let the member leave; Ctrl-C quits now\n`);
    member.child.kill('SIGINT');
    return await member.result;
  } finally {
    broker.resume();
  }
}

beforeAll(async () => {
  broker = await spareBroker('stalls', 19392);
}, 180_000);
afterAll(async () => {
  broker?.resume();
  await broker?.destroy();
});

describe('a broker that stalls or restarts under a consumer', () => {
  it('consume -f of two topics without a group outlives a stall past its request timeout and a restart, and prints what comes after', async () => {
    const [t, other] = [unique('stall'), unique('stall-other')];
    await publish(other, 'other');
    await publish(t, 'before');
    // a 2 s timeout (ZPS_TIMEOUT: `-f` takes no --timeout flag): a fetch times out after its 1 s
    // long poll plus 2 s, so a 5 s stall outlasts it
    const follower = new RunningZps(NO_SOCKET, ['consume', t, other, '-f'], { ...env(), ZPS_TIMEOUT: '2s' });
    expect((await follower.waitForLines(2, 30_000)).sort()).toEqual(['before', 'other']);
    await frozenFor(5_000);
    // both topics read again (the outage over for both) before the next one
    await publish(t, 'after-stall');
    await publish(other, 'other-after-stall');
    expect((await follower.waitForLines(4, 30_000)).slice(2).sort()).toEqual(['after-stall', 'other-after-stall']);
    await broker.stop();
    await broker.start();
    await publish(t, 'after-restart');
    expect((await follower.waitForLines(5, 60_000))[4]).toBe('after-restart');
    follower.child.kill('SIGINT');
    const result = await follower.result;
    expect(result.code).toBe(0);
    // each outage said once, as it began, however many topics met it: the stall, then the restart
    const notes = result.stderr.split('\n').filter(Boolean);
    expect(notes).toEqual([
      expect.stringMatching(/^zps: cannot reach Kafka at 127\.0\.0\.1:19392: Fetch got no answer from .* within \d+ ms; trying again until it answers$/),
      expect.stringMatching(/^zps: cannot reach Kafka at 127\.0\.0\.1:19392: .*; trying again until it answers$/),
    ]);
  }, 120_000);

  it('Ctrl-C on consume -g while the broker is frozen: it says what its exit waits for, and a second Ctrl-C quits', async () => {
    const [t, group] = [unique('stall-quit'), unique('g')];
    await publish(t, 'a');
    const member = new RunningZps(NO_SOCKET, ['consume', t, '-g', group, '-f'], env());
    expect(await member.waitForLines(1, 30_000)).toEqual(['a']);
    expect(await interruptedWhileFrozen(member, group)).toMatchObject({ signal: 'SIGINT', stdout: 'a\n' });
  }, 60_000);

  it('Ctrl-C on consume -g while it joins and the broker freezes: its leave waits for the broker, which is said; a second Ctrl-C quits', async () => {
    const [t, group] = [unique('stall-joining'), unique('g')];
    await publish(t, 'a');
    const member = new RunningZps(NO_SOCKET, ['consume', t, '-g', group, '-f'], env());
    // the coordinator holds a new group's first join for 3 s (Kafka's group.initial.rebalance.delay.ms)
    await waitFor(
      async () => (/: PreparingRebalance, 1 member/.test((await zps(NO_SOCKET, ['groups', 'describe', group], { env: env() })).stdout) ? true : undefined),
      'zps to be joining',
      30_000,
    );
    expect(await interruptedWhileFrozen(member, group)).toMatchObject({ signal: 'SIGINT', stdout: '' });
  }, 60_000);

  it('consume -g -f through stalls past the session timeout, under a steady publish: every message printed once, the group commits what was printed', async () => {
    const t = unique('stall-group');
    const g = unique('g');
    expect(await zps(NO_SOCKET, ['publish', t, '--partitions', '3', '{"i":-1}'], { env: env() })).toMatchObject({ code: 0 });
    const publisher = new RunningZps(NO_SOCKET, ['publish', t, '--timeout', '90s'], env());
    const feed = feeder(publisher, { linesPerTick: 30, tickMs: 100 }); // 300 messages a second
    const consumer = new RunningZps(NO_SOCKET, ['consume', t, '-g', g, '-f', '-o', 'beginning'], env());
    // Past the member's 10 s session timeout (zps's group member's; the broker keeps its defaults):
    // waking up, the broker expires the member, whose commits fail while it prints what came in
    // meanwhile. Twice: a single stall does not always catch the member with prints not yet committed.
    for (const stall of [1, 2]) {
      await consumer.waitForLines(500 * stall, 60_000);
      await frozenFor(11_000);
    }
    const resumedAt = feed.fed();
    await waitFor(() => feed.fed() >= resumedAt + 600, 'more messages after the stalls', 30_000);
    feed.stop();
    const fed = await feed.done;
    expect(await publisher.result).toMatchObject({ code: 0 });
    const distinct = () => new Set(consumer.lines()).size;
    await waitFor(() => distinct() === fed + 1, 'every message printed', 60_000);
    consumer.child.kill('SIGINT');
    expect(await consumer.result).toMatchObject({ code: 0 });
    const counts = new Map<string, number>();
    for (const line of consumer.lines()) counts.set(line, (counts.get(line) ?? 0) + 1);
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]); // nothing printed twice
    expect((await zps(NO_SOCKET, ['count', t, '-g', g], { env: env() })).stdout).toBe('0\n');
  }, 120_000);
});
