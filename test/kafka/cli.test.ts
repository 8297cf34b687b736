import { execFileSync, spawn } from 'node:child_process';
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  cleanEnv,
  collect,
  interruptedPublish,
  privateSocket,
  interruptSlowlyRead,
  RunningZps,
  spawnZps,
  ZPS_BIN,
  zps,
  type RunOptions,
} from '../helpers/zps.js';
import { unique, waitFor } from '../helpers/wait.js';

/** zps against the test broker, as a CI job would run it: environment from variables. */
const kafkaEnv = () => ({ ZPS_ENV: 'test', ZPS_BROKERS: process.env.ZPS_TEST_BROKERS! });
const kz = (args: string[], options: RunOptions = {}) =>
  zps('/nonexistent/unused.sock', args, { ...options, env: { ...kafkaEnv(), ...options.env }, timeoutMs: 60_000 });
const lines = (text: string) => text.split('\n').filter(Boolean);

describe('zps on Kafka: publish and consume', () => {
  it('round-trips values, keys, types and headers, with --json on both sides', async () => {
    const t = unique('k');
    const published = await kz(['publish', t, '--json', '-k', 'user-1', '-t', 'greeting', '-H', 'trace=abc', 'hello', '{"a": [1, 2]}']);
    expect(published.code).toBe(0);
    expect(lines(published.stdout).map((l) => JSON.parse(l))).toEqual([
      { topic: t, partition: 0, offset: 0, key: 'user-1' },
      { topic: t, partition: 0, offset: 1, key: 'user-1' },
    ]);
    expect(await kz(['consume', t])).toMatchObject({ code: 0, stdout: 'hello\n{"a":[1,2]}\n', stderr: '' });
    const [first] = lines((await kz(['consume', t, '--json'])).stdout).map((l) => JSON.parse(l));
    expect(first).toMatchObject({ topic: t, partition: 0, offset: 0, key: 'user-1', type: 'greeting', headers: { trace: 'abc' }, value: 'hello' });
  });

  it('publishes stdin lines in order, with a key delimiter', async () => {
    const t = unique('k');
    const input = Array.from({ length: 20_000 }, (_, i) => `key-${i % 5}:{"i":${i}}`).join('\n');
    // in batches of up to 8,000, not one request per line (more if stdin pauses; --verbose may also show kafkajs's warnings)
    const published = await kz(['publish', t, '-K', ':', '--verbose'], { input });
    expect(published.code).toBe(0);
    const batches = Number(new RegExp(`^zps: published 20000 messages to ${t} in (\\d+) batches\n$`, 'm').exec(published.stderr)?.[1]);
    expect(batches).toBeGreaterThanOrEqual(3);
    expect(batches).toBeLessThan(20);
    expect((await kz(['count', t])).stdout).toBe('20000\n');
    const values = lines((await kz(['consume', t])).stdout).map((l) => JSON.parse(l).i as number);
    expect(values).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
  });

  it('Ctrl-C mid-publish waits for the batches in flight: an ack line for every stored message, the report, exit 130', async () => {
    const t = unique('k');
    const result = await interruptedPublish('/nonexistent/unused.sock', t, kafkaEnv());
    expect(result.code).toBe(130);
    const offsets = lines(result.stdout).map((line) => JSON.parse(line).offset as number);
    const published = offsets.length;
    expect(offsets).toEqual(Array.from({ length: published }, (_, i) => i));
    expect(lines(result.stderr)).toEqual([
      `zps: publish to ${t} stopped at line ${published + 1}: interrupted`,
      `${published} messages published before the interrupt; line ${published + 1} and what follows it were not published`,
    ]);
    expect((await kz(['count', t])).stdout).toBe(`${published}\n`);
  });

  it("creates a topic with --partitions, keys go where Kafka's partitioner puts them, -p is checked", async () => {
    const t = unique('k');
    const result = await kz(['publish', t, '--partitions', '3', '--json', '-K', '=', '-p', '2'], { input: 'a=1\n' });
    expect(JSON.parse(result.stdout)).toMatchObject({ partition: 2, offset: 0 });
    const keyed = await kz(['publish', t, '--json', '-k', 'foobar', 'x']);
    expect(JSON.parse(keyed.stdout).partition).toBe((-790332482 & 0x7fffffff) % 3);
    const bad = await kz(['publish', t, '-p', '7', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/partition 7 does not exist: topic .* has 3 partitions/);
    expect((await kz(['topics', '--json'])).stdout).toContain(`{"topic":"${t}","count":2,"partitions":3}`);
  });

  it('reads from -o beginning, end, an offset, or the last N, then exits', async () => {
    const t = unique('k');
    await kz(['publish', t, 'a', 'b', 'c', 'd']);
    expect((await kz(['consume', t, '-o', 'beginning'])).stdout).toBe('a\nb\nc\nd\n');
    expect(await kz(['consume', t, '-o', 'end'])).toMatchObject({ code: 0, stdout: '' });
    expect((await kz(['consume', t, '-o', '2'])).stdout).toBe('c\nd\n');
    expect((await kz(['consume', t, '-o', '-3', '--format', '%o:%s '])).stdout).toBe('1:b 2:c 3:d ');
  });

  it('-n waits for messages, exits 3 on --timeout; --follow ends with Ctrl-C, exit 0', async () => {
    const t = unique('k');
    await kz(['publish', t, 'one']);
    const short = await kz(['consume', t, '-n', '2', '--timeout', '8s']);
    expect(short).toMatchObject({ code: 3, stdout: 'one\n' });
    expect(short.stderr).toMatch(/^zps: timed out waiting for messages on .*: received 1 of 2 within 8s\n$/);
    const follower = new RunningZps('/nonexistent/unused.sock', ['consume', t, '-f'], kafkaEnv());
    await follower.waitForLines(1, 30_000);
    await kz(['publish', t, 'two']);
    expect(await follower.waitForLines(2, 30_000)).toEqual(['one', 'two']);
    follower.child.kill('SIGINT');
    expect(await follower.result).toMatchObject({ code: 0, stderr: '' });
  });

  it('a closed pipe ends consume quietly with exit 0', async () => {
    const t = unique('k');
    await kz(['publish', t], { input: Array.from({ length: 20_000 }, (_, i) => `m${i}`).join('\n') });
    const reader = new RunningZps('/nonexistent/unused.sock', ['consume', t], kafkaEnv());
    await reader.waitForLines(1, 30_000);
    reader.child.stdout!.destroy();
    expect(await reader.result).toMatchObject({ code: 0, stderr: '' });
  });

  it('with --group commits exactly what it printed; without, commits nothing and leaves no group behind', async () => {
    const before = await throwawayGroups();
    const t = unique('k');
    const g = unique('g');
    await kz(['publish', t, '1', '2', '3', '4', '5']);
    expect((await kz(['consume', t, '-g', g, '-n', '2'])).stdout).toBe('1\n2\n');
    expect((await kz(['count', t, '-g', g])).stdout).toBe('3\n');
    expect((await kz(['consume', t, '-g', g])).stdout).toBe('3\n4\n5\n');
    expect((await kz(['count', t, '-g', g, '--expect', '0'])).code).toBe(0);
    expect((await kz(['consume', t])).stdout).toBe('1\n2\n3\n4\n5\n');
    // Other test files' consumes may hold throwaway groups of their own for a moment: a leak stays.
    await waitFor(async () => (await throwawayGroups()).filter((id) => !before.includes(id)).length === 0, 'no throwaway group left', 30_000);
  });
});

/** The groups `zps consume` without --group made and did not delete. */
async function throwawayGroups(): Promise<string[]> {
  const admin = new kafkajs.Kafka({ brokers: [process.env.ZPS_TEST_BROKERS!], logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  const { groups } = await admin.listGroups();
  await admin.disconnect();
  return groups.map((x) => x.groupId).filter((id) => id.startsWith('zps-consume-'));
}

/** The group's committed offset of partition 0, as Kafka's OffsetFetch answers it (-1: none). */
async function committedOffset(group: string, topic: string): Promise<string | undefined> {
  const admin = new kafkajs.Kafka({ brokers: [process.env.ZPS_TEST_BROKERS!], logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return offsets?.partitions.find((p) => p.partition === 0)?.offset;
  } finally {
    await admin.disconnect();
  }
}

describe('zps on Kafka: leaving a group cleanly', () => {
  it('Ctrl-C and a closed pipe commit what was printed and leave the group', async () => {
    const t = unique('k');
    const g = unique('g');
    await kz(['publish', t], { input: Array.from({ length: 5 }, (_, i) => `m${i}`).join('\n') });
    const follower = new RunningZps('/nonexistent/unused.sock', ['consume', t, '-g', g, '-f'], kafkaEnv());
    await follower.waitForLines(5, 30_000);
    follower.child.kill('SIGINT');
    expect(await follower.result).toMatchObject({ code: 0, stderr: '' });
    expect((await kz(['count', t, '-g', g])).stdout).toBe('0\n');

    // 3 MB: far more than the pipe holds, so the reader below stops zps long before its end
    await kz(['publish', t], { input: Array.from({ length: 30_000 }, (_, i) => `n${i} ${'x'.repeat(90)}`).join('\n') });
    const piped = new RunningZps('/nonexistent/unused.sock', ['consume', t, '-g', g], kafkaEnv());
    await new Promise<void>((resolve) => piped.child.stdout!.once('data', () => resolve(void piped.child.stdout!.pause())));
    piped.child.stdout!.destroy();
    expect(await piped.result).toMatchObject({ code: 0, stderr: '' });
    // what reached the pipe was committed, the rest was not; the group is empty again at once
    const lag = Number((await kz(['count', t, '-g', g])).stdout);
    expect(lag).toBeGreaterThan(0);
    expect(lag).toBeLessThan(30_000);
    const next = await kz(['consume', t, '-g', g, '-n', '1', '--timeout', '20s']);
    expect(next.code).toBe(0);
    expect(Number(/^n(\d+) /.exec(next.stdout)?.[1])).toBe(30_000 - lag);
  });

  it('Ctrl-C with a slow reader on the pipe: stops at once, commits exactly the lines the reader got', async () => {
    const t = unique('k');
    const g = unique('g');
    const total = 100_000;
    await kz(['publish', t], { input: Array.from({ length: total }, (_, i) => `m${i}`).join('\n') });
    const { code, stdout, stderr, printed, exitMs } = await interruptSlowlyRead(
      spawnZps('/nonexistent/unused.sock', ['consume', t, '-g', g, '-f', '--format', '%o %s\n'], kafkaEnv()),
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(exitMs).toBeLessThan(5_000); // at once, not after the reader took what was queued (minutes)
    expect(stdout.endsWith('\n')).toBe(true); // whole lines only
    expect(printed.at(-1)).toBe(`${printed.length - 1} m${printed.length - 1}`);
    expect((await kz(['count', t, '-g', g])).stdout).toBe(`${total - printed.length}\n`);
  });
  it('a member whose stdout stalls through a rebalance: the rest of its batch goes to the next owner, nothing printed by both, nothing lost', async () => {
    const t = unique('k');
    const g = unique('g');
    const total = 40_000;
    // two partitions of ~150 KB each: the first member's first batch (512 KiB at most) holds both
    await kz(['publish', t, '--partitions', '2'], { input: Array.from({ length: total }, (_, i) => `m${i}`).join('\n') });
    // its stdout is a pipe nobody reads yet: it stalls in its batch's first partition, the rest unprinted
    const fifoDir = mkdtempSync(join(tmpdir(), 'zps-fifo-'));
    const fifo = join(fifoDir, 'stdout');
    execFileSync('mkfifo', [fifo]);
    const writeEnd = openSync(fifo, 'r+'); // opens without a reader; the child gets the only writer left
    const stalled = spawn(process.execPath, [ZPS_BIN, 'consume', t, '-g', g, '-f'], { env: cleanEnv(kafkaEnv()), stdio: ['ignore', writeEnd, 'pipe'] });
    closeSync(writeEnd);
    const stalledExit = collect(stalled);
    await waitFor(async () => (/: Stable, 1 member/.test((await kz(['groups', 'describe', g])).stdout) ? true : undefined), 'the first member', 60_000);
    // a second member joins: the rebalance waits 3 s for the first, then each gets a partition,
    // one of which the first had not finished printing
    const second = new RunningZps('/nonexistent/unused.sock', ['consume', t, '-g', g, '-f'], kafkaEnv());
    await waitFor(async () => (/: Stable, 2 members/.test((await kz(['groups', 'describe', g])).stdout) ? true : undefined), 'the rebalance', 60_000);
    let stalledOut = '';
    createReadStream(fifo, 'utf8').on('data', (chunk) => (stalledOut += chunk));
    const printed = () => [...lines(stalledOut), ...second.lines()];
    await waitFor(() => (new Set(printed()).size === total ? true : undefined), 'every message printed', 60_000);
    await waitFor(async () => ((await kz(['count', t, '-g', g])).stdout === '0\n' ? true : undefined), 'every print committed', 30_000);
    stalled.kill('SIGINT');
    second.child.kill('SIGINT');
    expect(await stalledExit).toMatchObject({ code: 0, stderr: '' });
    expect(await second.result).toMatchObject({ code: 0, stderr: '' });
    rmSync(fifoDir, { recursive: true });
    expect(printed().length).toBe(total); // each once
  }, 120_000);
});

describe('zps on Kafka: count, topics, reset', () => {
  it('counts, expects, waits', async () => {
    const t = unique('k');
    await kz(['publish', t, 'a', 'b']);
    expect((await kz(['count', t, 'no-such-topic-here'])).stdout).toBe(`${t}\t2\nno-such-topic-here\t0\n`);
    expect(await kz(['count', t, '--expect', '3'])).toMatchObject({ code: 1, stderr: `zps: expected 3 messages in ${t}, found 2\n` });
    const waiting = kz(['count', t, '--expect', '3', '--wait', '20s']);
    await kz(['publish', t, 'c']);
    expect(await waiting).toMatchObject({ code: 0, stdout: '3\n' });
    expect((await kz(['count', t, '--expect', '9', '--wait', '500ms'])).code).toBe(3);
  });

  it('a topic that does not exist counts 0, and lags 0 with -g, as in local mode', async () => {
    const missing = unique('nosuch');
    expect(await kz(['count', missing, '-g', unique('g')])).toMatchObject({ code: 0, stdout: '0\n', stderr: '' });
    expect(await kz(['count', missing])).toMatchObject({ code: 0, stdout: '0\n', stderr: '' });
  });

  it('lists internal topics only with --all', async () => {
    const t = unique('k');
    await kz(['publish', t, 'a']);
    await kz(['consume', t, '-g', unique('g')]); // makes sure __consumer_offsets exists
    const plain = (await kz(['topics'])).stdout;
    expect(plain).toContain(`${t}\t1\n`);
    expect(plain).not.toMatch(/^_/m);
    expect((await kz(['topics', '--all'])).stdout).toMatch(/^__consumer_offsets\t/m);
  });

  it('reset deletes the records of named topics only, after --yes', async () => {
    const [t, other] = [unique('k'), unique('k')];
    await kz(['publish', t, 'a', 'b']);
    await kz(['publish', other, 'x']);
    expect(await kz(['reset', t])).toMatchObject({ code: 2, stderr: 'zps: refusing to reset without confirmation\npass --yes to confirm from a script\n' });
    expect((await kz(['reset'])).code).toBe(2);
    expect(await kz(['reset', t, '--yes'])).toMatchObject({ code: 0, stdout: '' });
    expect((await kz(['count', t, other])).stdout).toBe(`${t}\t0\n${other}\t1\n`);
    await kz(['publish', t, 'c']);
    expect((await kz(['consume', t, '--format', '%o:%s'])).stdout).toBe('2:c'); // the topic stays, offsets go on
  });

  it('reset of a topic that does not exist is exit 1 naming it, and resets nothing', async () => {
    const [t, missing] = [unique('k'), unique('nosuch')];
    await kz(['publish', t, 'a']);
    const brokers = process.env.ZPS_TEST_BROKERS!;
    expect(await kz(['reset', missing, '--yes'])).toMatchObject({
      code: 1,
      stdout: '',
      stderr: `zps: cannot reset: topic ${missing} does not exist on ${brokers}\n`,
    });
    expect((await kz(['reset', t, missing, '--yes'])).code).toBe(1);
    expect((await kz(['count', t])).stdout).toBe('1\n');
  });

  it("a group's records deleted by reset: the group moves to the log start (auto.offset.reset), consume -g ends, no offset below 0 is committed", async () => {
    const t = unique('k');
    const g = unique('g');
    await kz(['publish', t, 'a', 'b', 'c']);
    expect((await kz(['consume', t, '-g', g, '-n', '1'])).stdout).toBe('a\n');
    await kz(['reset', t, '--yes']);
    expect(await zps('/nonexistent/unused.sock', ['consume', t, '-g', g], { env: kafkaEnv(), timeoutMs: 15_000 })).toMatchObject({ code: 0, stdout: '' });
    expect(await committedOffset(g, t)).toBe('3');
  });

  it('8 concurrent publishers lose nothing', async () => {
    const t = unique('k');
    await kz(['publish', t, '--partitions', '2', 'seed']);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, p) => kz(['publish', t], { input: Array.from({ length: 250 }, (_, i) => `{"p":${p},"i":${i}}`).join('\n') })),
    );
    for (const result of results) expect(result).toMatchObject({ code: 0, stderr: '' });
    expect((await kz(['count', t])).stdout).toBe(`${8 * 250 + 1}\n`);
  });
});

describe('zps on Kafka: settings', () => {
  it('takes the brokers from --brokers, --bootstrap-server, ZPS_BROKERS or KAFKA_BROKERS, a flag first', async () => {
    const t = unique('k');
    await kz(['publish', t, 'x']);
    const good = process.env.ZPS_TEST_BROKERS!;
    const none = { ZPS_BROKERS: '' };
    expect((await kz(['count', t, '-b', good], { env: none })).stdout).toBe('1\n');
    expect((await kz(['count', t, '--bootstrap-server', good], { env: none })).stdout).toBe('1\n');
    expect((await kz(['count', t], { env: { ZPS_BROKERS: '', KAFKA_BROKERS: good } })).stdout).toBe('1\n');
    expect((await kz(['count', t, '--brokers', good], { env: { ZPS_BROKERS: '127.0.0.1:1' } })).stdout).toBe('1\n');
    const local = privateSocket(); // -e beats ZPS_ENV: this count asks a local daemon, where the topic is unknown
    expect((await kz(['count', t, '-e', 'local', '--socket', local.socket])).stdout).toBe('0\n');
    local.cleanup();
  });
});

describe('zps on Kafka: failures', () => {
  it('an unreachable broker fails every command within --timeout, exit 1, naming the brokers', async () => {
    const env = { ZPS_BROKERS: '127.0.0.1:1' };
    for (const args of [['publish', 't', 'x'], ['consume', 't'], ['count', 't'], ['topics'], ['reset', 't', '--yes'], ['consume', 't', '-n', '1']]) {
      const started = Date.now();
      const result = await kz([...args, '--timeout', '2s'], { env });
      expect(Date.now() - started).toBeLessThan(8_000);
      expect(result.code).toBe(1);
      const [first, ...rest] = lines(result.stderr);
      // the cause, not "no answer within 2000 ms"
      expect(first).toMatch(/^zps: .*127\.0\.0\.1:1.*: connection refused by 127\.0\.0\.1:1$/);
      expect(rest.length).toBeLessThanOrEqual(1);
    }
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'])('SASL %s: the right password works', async (mechanism) => {
    const t = unique('sasl');
    const env = {
      ZPS_BROKERS: process.env.ZPS_TEST_SASL_BROKERS!,
      KAFKA_USERNAME: process.env.ZPS_TEST_SASL_USER!,
      KAFKA_PASSWORD: process.env.ZPS_TEST_SASL_PASSWORD!,
    };
    expect(await kz(['publish', t, '--sasl-mechanism', mechanism, 'secret-message'], { env })).toMatchObject({ code: 0, stderr: '' });
    expect(await kz(['consume', t], { env: { ...env, ZPS_SASL_MECHANISM: mechanism } })).toMatchObject({ code: 0, stdout: 'secret-message\n' });
  });

  it('a wrong password is a one-line auth error, exit 1, that never shows the password', async () => {
    const password = 'wrong-Pa55word-xyz';
    const env = {
      ZPS_BROKERS: process.env.ZPS_TEST_SASL_BROKERS!,
      ZPS_SASL_MECHANISM: 'scram-sha-256',
      ZPS_SASL_USERNAME: process.env.ZPS_TEST_SASL_USER!,
      ZPS_SASL_PASSWORD: password,
    };
    const quiet = await kz(['count', 't', '--timeout', '5s'], { env });
    expect(quiet.code).toBe(1);
    expect(quiet.stderr.split('\n')[0]).toMatch(/^zps: authentication failed at .* for user zps: /);
    expect(quiet.stderr.split('\n').filter(Boolean).length).toBeLessThanOrEqual(2);
    // --verbose may add kafkajs's warnings and a stack trace; the password never shows
    const verbose = await kz(['publish', 't', 'x', '--verbose', '--timeout', '5s'], { env });
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(/^zps: .*authentication failed at .* for user zps: /m);
    expect(quiet.stdout + quiet.stderr + verbose.stdout + verbose.stderr).not.toContain(password);
  });

  it('TLS: --tls with --tls-ca (or ZPS_TLS_CA) connects; without the CA the certificate is refused', async () => {
    const t = unique('tls');
    const env = { ZPS_BROKERS: process.env.ZPS_TEST_TLS_BROKERS! };
    expect(await kz(['publish', t, '--tls', '--tls-ca', process.env.ZPS_TEST_TLS_CA!, 'over-tls'], { env })).toMatchObject({ code: 0, stderr: '' });
    expect(await kz(['consume', t], { env: { ...env, ZPS_TLS: '1', ZPS_TLS_CA: process.env.ZPS_TEST_TLS_CA! } })).toMatchObject({
      code: 0,
      stdout: 'over-tls\n',
    });
    const untrusted = await kz(['count', t, '--tls', '--timeout', '5s'], { env });
    expect(untrusted.code).toBe(1);
    const [error, hint] = untrusted.stderr.split('\n');
    expect(error).toMatch(/^zps: .*127\.0\.0\.1:19095.*(certificate|self.signed)/i);
    expect(hint).toMatch(/--tls-ca/); // the hint names the CA flag, not --brokers
  });
});

describe('a waiting consume sees new messages quickly', () => {
  it('picks up a message published while it waits', async () => {
    const t = unique('k');
    const waiting = new RunningZps('/nonexistent/unused.sock', ['consume', t, '-o', 'end', '-n', '1'], kafkaEnv());
    let i = 0;
    const published = async () => {
      await kz(['publish', t, `m${i++}`]);
      return waiting.lines().length >= 1;
    };
    await waitFor(published, 'the consumer to see a message', 30_000);
    expect((await waiting.result).code).toBe(0);
  });
});
