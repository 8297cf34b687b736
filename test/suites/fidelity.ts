/**
 * Records come out exactly as they went in, whoever wrote them, and the defects found on a
 * broker with Kafka's default settings stay fixed. Each case runs in local mode and on Kafka, where
 * kcat (librdkafka) writes records the way other clients do.
 */
import { spawnSync } from 'node:child_process';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactory } from '../../dist/index.js';
import { privateSocket, RunningZps, zps, zpsRaw, type RunOptions } from '../helpers/zps.js';
import { unique, waitFor } from '../helpers/wait.js';

export interface Mode {
  name: 'local' | 'kafka';
  env: () => NodeJS.ProcessEnv;
}

export const LOCAL: Mode = { name: 'local', env: () => ({}) };
export const KAFKA: Mode = { name: 'kafka', env: () => ({ ZPS_ENV: 'test', ZPS_BROKERS: process.env.ZPS_TEST_BROKERS! }) };

/** A private daemon socket for the suite's tests (local mode uses it; Kafka mode's commands ignore it). */
function ownSocket(): () => string {
  let socket: string;
  let cleanup: () => void;
  beforeAll(() => ({ socket, cleanup } = privateSocket()));
  afterAll(() => cleanup());
  return () => socket;
}

const lines = (text: string) => text.split('\n').filter(Boolean);
const json = (text: string) => lines(text).map((line) => JSON.parse(line) as Record<string, unknown>);

/** kcat, as another client of the test broker: fails the test when it fails. */
function kcat(args: string[], input?: string | Buffer): Buffer {
  const result = spawnSync('kcat', ['-b', process.env.ZPS_TEST_BROKERS!, ...args], { input, timeout: 30_000 });
  if (result.error) throw new Error(`kcat could not run (install Debian's kcat): ${result.error.message}`);
  if (result.status !== 0) throw new Error(`kcat ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** kcat through bash, for arguments that must carry bytes that are not UTF-8. */
function kcatShell(args: string, input: Buffer): void {
  const result = spawnSync('bash', ['-c', `kcat -b ${process.env.ZPS_TEST_BROKERS} ${args}`], { input, timeout: 30_000 });
  if (result.status !== 0) throw new Error(`kcat ${args} failed: ${result.stderr}`);
}

/** The cases that hold in both modes: records come out as they went in. */
export function describeFidelity(mode: Mode): void {
  describe(`records as bytes, ${mode.name} mode`, () => {
    const socketOf = ownSocket();
    const run = (args: string[], options: RunOptions = {}) => zps(socketOf(), args, { timeoutMs: 60_000, ...options, env: { ...mode.env(), ...options.env } });
    const bytes = (args: string[], options: RunOptions = {}) => zpsRaw(socketOf(), args, { ...options, env: { ...mode.env(), ...options.env } });

    it('8.1: publishes more than 1 MiB of 2 KB lines in batches that fit max.message.bytes', async () => {
      const t = unique('big');
      const input = Array.from({ length: 1500 }, (_, i) => JSON.stringify({ id: i, pad: 'p'.repeat(1970) })).join('\n');
      expect(await run(['publish', t], { input })).toMatchObject({ code: 0, stderr: '' });
      expect((await run(['count', t])).stdout).toBe('1500\n');
      const last = lines((await run(['consume', t, '-o', '-1'])).stdout);
      expect(last.map((l) => JSON.parse(l).id)).toEqual([1499]);
    });

    it('8.1: a message too big for a record batch is exit 2, and nothing of it is sent', async () => {
      const t = unique('too-big');
      // 1 MiB of value is within zps's limit, but with its batch header over Kafka's default max.message.bytes
      const input = `small\n${'x'.repeat(1024 * 1024)}\nafter\n`;
      const result = await run(['publish', t], { input });
      expect(result.code).toBe(2);
      expect(lines(result.stderr)).toEqual([
        `zps: publish to ${t} failed at line 2: message is 1048576 bytes, 1048650 as a record batch: over the max.message.bytes of ${t} (1048588 bytes)`,
        '1 message published before the failure; line 2 and what follows it were not published',
      ]);
      expect((await run(['consume', t])).stdout).toBe('small\n');
    });

    it('8.2: a header with a null value is shown as null, never a hang', async () => {
      const t = unique('null-header');
      if (mode.name === 'kafka') kcat(['-P', '-t', t, '-H', 'b', '-H', 'a=1'], 'y\n');
      else
        await publishWithLibrary(t, [
          {
            key: null,
            value: 'y',
            headers: [
              ['b', null],
              ['a', '1'],
            ],
          },
        ]);
      const result = await run(['consume', t, '--json'], { timeoutMs: 30_000 });
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(json(result.stdout)).toEqual([expect.objectContaining({ headers: { b: null, a: '1' }, value: 'y' })]);
      expect((await run(['consume', t, '--format', '%h'])).stdout).toBe('b,a=1');
    });

    it('8.3: consume -g -f prints each message once when a second member joins', async () => {
      const t = unique('rebalance');
      const g = unique('g');
      await run(['publish', t, '--partitions', '2'], { input: Array.from({ length: 21 }, (_, i) => `${i}`).join('\n') });
      const first = new RunningZps(socketOf(), ['consume', t, '-g', g, '-f'], mode.env());
      await first.waitForLines(21, 60_000);
      const second = new RunningZps(socketOf(), ['consume', t, '-g', g, '-f'], mode.env());
      // Publish to each partition in turn until the second member prints: by then it owns one.
      let next = 21;
      await waitFor(
        async () => {
          await run(['publish', t, '-p', String(next % 2), `${next++}`]);
          return second.lines().length > 0;
        },
        'the second member to print',
        60_000,
      );
      const late = Array.from({ length: 20 }, () => `${next++}`);
      await run(['publish', t], { input: late.join('\n') });
      await waitFor(() => first.lines().length + second.lines().length >= next, `${next} lines in all`, 60_000);
      for (const member of [first, second]) member.child.kill('SIGINT');
      const printed = [...(await first.result).stdout.split('\n'), ...(await second.result).stdout.split('\n')].filter(Boolean);
      expect(printed.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: next }, (_, i) => i));
    }, 120_000);

    it('8.4: a tombstone is told apart from an empty value, and publish -Z sends one', async () => {
      const t = unique('tombstone');
      if (mode.name === 'kafka') kcat(['-P', '-t', t, '-K', ':', '-Z'], 'gone:\n');
      else expect((await run(['publish', t, '-K', ':', '-Z'], { input: 'gone:\n' })).code).toBe(0);
      expect((await run(['publish', t, '-K', ':', '-Z'], { input: 'also-gone:\n' })).code).toBe(0);
      expect((await run(['publish', t, '-k', 'empty', ''])).code).toBe(0);
      const records = json((await run(['consume', t, '--json'])).stdout);
      expect(records.map((r) => [r.key, r.value, r.tombstone])).toEqual([
        ['gone', null, true],
        ['also-gone', null, true],
        ['empty', '', undefined],
      ]);
      expect((await run(['consume', t, '--format', '%k:%S,'])).stdout).toBe('gone:-1,also-gone:-1,empty:0,');
      expect((await run(['consume', t])).stdout).toBe('\n\n\n');
    });

    it('8.4: keys and header values that are not UTF-8 stay bytes: base64 in --json, raw in --format', async () => {
      const t = unique('binary');
      const key = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
      const header = Buffer.from([0xc3, 0x28]);
      if (mode.name === 'kafka') {
        // kcat -K splits at the delimiter: a key of raw bytes; the header value's raw bytes come through bash
        const hex = [...header].map((b) => `\\x${b.toString(16)}`).join('');
        kcatShell(`-P -t ${t} -K '|' -H "h=$(printf '${hex}')"`, Buffer.concat([key, Buffer.from('|v\n')]));
      } else await publishWithLibrary(t, [{ key, value: 'v', headers: [['h', header]] }]);
      const [record] = json((await run(['consume', t, '--json'])).stdout);
      expect(record!.headers).toEqual({ h: { base64: header.toString('base64') } });
      expect(record!.key).toEqual({ base64: key.toString('base64') });
      expect((await bytes(['consume', t, '--format', '%h'])).equals(Buffer.concat([Buffer.from('h='), header]))).toBe(true);
      expect((await bytes(['consume', t, '--format', '%k'])).equals(key)).toBe(true);
    });

    it('8.4: repeated header names are all kept, in order, both ways; a name may be empty, as Kafka allows', async () => {
      const t = unique('repeated');
      expect((await run(['publish', t, '-H', 'a=1', '-H', 'a=2', '-H', 'b=3', '-H', '=e', 'v'])).code).toBe(0);
      const [record] = json((await run(['consume', t, '--json'])).stdout);
      expect(record!.headers).toEqual({ a: ['1', '2'], b: '3', '': 'e' });
      expect((await run(['consume', t, '--format', '%h'])).stdout).toBe('a=1,a=2,b=3,=e');
      if (mode.name === 'kafka') {
        expect(kcat(['-C', '-t', t, '-e', '-q', '-f', '%h']).toString()).toBe('a=1,a=2,b=3,=e');
        kcat(['-P', '-t', t, '-H', 'x=1', '-H', 'x=2'], 'w\n');
        const [, fromKcat] = json((await run(['consume', t, '--json'])).stdout);
        expect(fromKcat!.headers).toEqual({ x: ['1', '2'] });
      }
    });

    it('8.4: big integers keep every digit, in plain and --json output', async () => {
      const t = unique('bigint');
      const value = '{"n": 12345678901234567890, "f": 1.000000000000000000001, "s": "a  b"}';
      expect((await run(['publish', t, value])).code).toBe(0);
      const compact = '{"n":12345678901234567890,"f":1.000000000000000000001,"s":"a  b"}';
      expect((await run(['consume', t])).stdout).toBe(`${compact}\n`);
      expect((await run(['consume', t, '--json'])).stdout).toContain(`"value":${value}}`); // as stored: it is on one line
      expect((await run(['consume', t, '--format', '%s'])).stdout).toBe(compact);
    });

    it('8.5: text goes on the wire as its bytes, never quoted', async () => {
      const t = unique('text');
      expect((await run(['publish', t, 'hello'])).code).toBe(0);
      expect((await run(['publish', t, '--raw', 'hello'])).code).toBe(0);
      expect((await run(['consume', t, '--format', '%S:%s\\n'])).stdout).toBe('5:hello\n5:hello\n');
      if (mode.name === 'kafka') expect(kcat(['-C', '-t', t, '-e', '-q', '-f', '%s\\n']).toString()).toBe('hello\nhello\n');
    });

    it('8.6: a missing topic is exit 1; with --follow the consume waits for it', async () => {
      const t = unique('missing');
      const result = await run(['consume', t]);
      expect(result.code).toBe(1);
      expect(lines(result.stderr)[0]).toMatch(new RegExp(`^zps: topic ${t} does not exist`));
      const follower = new RunningZps(socketOf(), ['consume', t, '-f'], mode.env());
      await waitFor(() => follower.child.pid !== undefined, 'the follower to start');
      expect((await run(['publish', t, 'created'])).code).toBe(0);
      expect(await follower.waitForLines(1, 30_000)).toEqual(['created']);
      follower.child.kill('SIGINT');
      expect(await follower.result).toMatchObject({ code: 0, stderr: '' });
      // the topic was not created by anyone asking for it
      expect((await run(['count', t])).stdout).toBe('1\n');
      // Ctrl-C while still waiting for a topic ends quietly, exit 0
      const waiting = new RunningZps(socketOf(), ['consume', unique('never'), '-f'], mode.env());
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // let it get to waiting: any time will do
      waiting.child.kill('SIGINT');
      expect(await waiting.result).toMatchObject({ code: 0, stdout: '', stderr: '' });
    });

    it('8.6: a followed topic deleted and created again, past where the follower was, is read from its new start', async () => {
      const t = unique('recreated');
      expect((await run(['publish', t, 'old-1', 'old-2', 'old-3'])).code).toBe(0);
      const follower = new RunningZps(socketOf(), ['consume', t, '-f'], mode.env());
      await follower.waitForLines(3, 30_000);
      expect((await run(['topics', 'delete', t, '--yes'])).code).toBe(0);
      // more records than the follower had read: reading on from its old offset would skip the first three
      expect((await run(['publish', t, 'new-1', 'new-2', 'new-3', 'new-4', 'new-5'])).code).toBe(0);
      expect((await follower.waitForLines(8, 30_000)).slice(3)).toEqual(['new-1', 'new-2', 'new-3', 'new-4', 'new-5']);
      follower.child.kill('SIGINT');
      expect(await follower.result).toMatchObject({ code: 0, stderr: '' });
    });

    it('8.8: count --wait ends within its duration plus a second', async () => {
      const t = unique('wait');
      const started = Date.now();
      const result = await run(['count', t, '--expect', '1', '--wait', '2s']);
      expect(result.code).toBe(3);
      expect(Date.now() - started).toBeLessThan(3_000 + 1_000); // + the process's own start
    });

    it('8.11: --wait without --expect, and an unknown --format directive, are exit 2', async () => {
      expect(await run(['count', 't', '--wait', '1s'])).toMatchObject({
        code: 2,
        stderr: 'zps: --wait goes with --expect: it waits until the count equals it\n',
      });
      const t = unique('fmt');
      await run(['publish', t, 'x']);
      const result = await run(['consume', t, '--format', '%z']);
      expect(result).toMatchObject({ code: 2, stdout: '' });
      expect(result.stderr).toMatch(/^zps: invalid --format: unknown directive '%z'/);
    });

    it('8.11: --partitions for an existing topic with another count is said, not silently ignored', async () => {
      const t = unique('parts');
      await run(['publish', t, 'a']);
      const result = await run(['publish', t, '--partitions', '3', 'b']);
      expect(result).toMatchObject({ code: 0, stderr: `zps: topic ${t} already exists with 1 partition: --partitions 3 is ignored\n` });
    });

    it('8.12: ZPS_GROUP does not turn count into a lag report; -g does', async () => {
      const t = unique('group-env');
      const g = unique('g');
      await run(['publish', t, '1', '2', '3']);
      await run(['consume', t, '-g', g, '-n', '1']);
      expect((await run(['count', t], { env: { ZPS_GROUP: g } })).stdout).toBe('3\n');
      expect((await run(['count', t, '-g', g])).stdout).toBe('2\n');
    });

    async function publishWithLibrary(
      topic: string,
      records: Array<{ key: Buffer | null; value: unknown; headers: Array<[string, string | Buffer | null]> }>,
    ): Promise<void> {
      const factory = createFactory({ environment: 'local', socketPath: socketOf() });
      try {
        const publisher = await factory.getPublisherFactory().create(topic);
        for (const { key, value, headers } of records) await publisher.publish(key, value, { headers });
      } finally {
        await factory.close();
      }
    }
  });
}

/** Kafka only: records kcat wrote, topic limits, brokers that do not answer, settings. */
export function describeOtherClients(): void {
  describe('records other Kafka clients wrote', () => {
    const socketOf = ownSocket();
    const env = () => ({ ZPS_ENV: 'test', ZPS_BROKERS: process.env.ZPS_TEST_BROKERS! });
    const kz = (args: string[], options: RunOptions = {}) => zps(socketOf(), args, { timeoutMs: 60_000, ...options, env: { ...env(), ...options.env } });

    it.each(['gzip', 'snappy', 'lz4', 'zstd'])('8.4: reads batches kcat compressed with %s', async (codec) => {
      const t = unique(`compressed-${codec}`);
      const input = Array.from({ length: 300 }, (_, i) => JSON.stringify({ i, pad: 'abc'.repeat(20) })).join('\n');
      kcat(['-P', '-t', t, '-z', codec], `${input}\n`);
      const result = await kz(['consume', t]);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toBe(`${input}\n`);
    });

    it('10.2: records of aborted transactions and the transaction markers are left out', async () => {
      const t = unique('transactions');
      const kafka = new kafkajs.Kafka({ brokers: [process.env.ZPS_TEST_BROKERS!], logLevel: kafkajs.logLevel.NOTHING });
      const producer = kafka.producer({ transactionalId: t, idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      try {
        for (const [value, outcome] of [
          ['kept-1', 'commit'],
          ['dropped', 'abort'],
          ['kept-2', 'commit'],
        ] as const) {
          const transaction = await producer.transaction();
          await transaction.send({ topic: t, messages: [{ value }] });
          await (outcome === 'commit' ? transaction.commit() : transaction.abort());
        }
      } finally {
        await producer.disconnect();
      }
      expect(await kz(['consume', t])).toMatchObject({ code: 0, stdout: 'kept-1\nkept-2\n', stderr: '' });
      expect(await kz(['consume', t, '-g', unique('g'), '-o', 'beginning'])).toMatchObject({ code: 0, stdout: 'kept-1\nkept-2\n' });
    });

    it('8.1: a topic with a smaller max.message.bytes refuses a message over it, exit 2, before it is sent', async () => {
      const t = unique('small-limit');
      const admin = new kafkajs.Kafka({ brokers: [process.env.ZPS_TEST_BROKERS!], logLevel: kafkajs.logLevel.NOTHING }).admin();
      await admin.connect();
      const none = unique('no-limit-left');
      await admin.createTopics({
        topics: [
          { topic: t, configEntries: [{ name: 'max.message.bytes', value: '10000' }] },
          { topic: none, configEntries: [{ name: 'max.message.bytes', value: '0' }] },
        ],
        waitForLeaders: true,
      });
      await admin.disconnect();
      // 0 is a limit too, as in local mode: nothing fits
      expect(await kz(['publish', none, 'x'])).toMatchObject({ code: 2, stderr: expect.stringContaining(`over the max.message.bytes of ${none} (0 bytes)`) });
      const input = `${'a'.repeat(4000)}\n${'b'.repeat(4000)}\n${'c'.repeat(4000)}\n${'d'.repeat(20_000)}\n`;
      const result = await kz(['publish', t], { input });
      expect(result.code).toBe(2);
      expect(lines(result.stderr)).toEqual([
        `zps: publish to ${t} failed at line 4: message is 20000 bytes, 20072 as a record batch: over the max.message.bytes of ${t} (10000 bytes)`,
        '3 messages published before the failure; line 4 and what follows it were not published',
      ]);
      expect((await kz(['count', t])).stdout).toBe('3\n');
    });

    it('8.8: count --wait against an unreachable broker waits out its duration, then exit 3 saying why', async () => {
      const started = Date.now();
      const result = await kz(['count', 't', '--expect', '1', '--wait', '2s', '-b', '127.0.0.1:1']);
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(result.code).toBe(3);
      expect(lines(result.stderr)[0]).toMatch(/^zps: could not count t within 2s: cannot reach Kafka at 127\.0\.0\.1:1/);
    });

    it('8.11: brokers, the socket and the CA file are checked, exit 2 naming the flag', async () => {
      expect(await kz(['count', 't', '-b', 'garbage'])).toMatchObject({
        code: 2,
        stderr: "zps: invalid broker 'garbage' in --brokers: use host:port, as localhost:9092\n",
      });
      expect(await kz(['count', 't', '-b', ''])).toMatchObject({
        code: 2,
        stderr: 'zps: --brokers is empty: give the brokers as host:port, as localhost:9092\n',
      });
      expect(await kz(['count', 't'], { env: { ZPS_BROKERS: 'host:99999' } })).toMatchObject({
        code: 2,
        stderr: "zps: invalid broker 'host:99999' in ZPS_BROKERS: use host:port, as localhost:9092\n",
      });
      expect(await kz(['count', 't', '--tls-ca', '/missing/ca.pem'])).toMatchObject({
        code: 2,
        stderr: 'zps: cannot read the CA certificate /missing/ca.pem given by --tls-ca: no such file\n',
      });
      expect(await kz(['count', 't', '-e', 'local', '--socket', ''])).toMatchObject({
        code: 2,
        stderr: "zps: --socket is empty: give the path of the daemon's socket\n",
      });
      // an empty group id: refused before anything is committed under it (Kafka commits it, then refuses the join)
      expect(await kz(['consume', 't', '-g', '', '-n', '1'])).toMatchObject({ code: 2, stderr: 'zps: --group is empty: name the consumer group\n' });
      expect(await kz(['count', 't'], { env: { ZPS_GROUP: ' ' } })).toMatchObject({ code: 2, stderr: 'zps: ZPS_GROUP is empty: name the consumer group\n' });
      expect(await kz(['groups', 'reset', '', '--topic', 't', '--to-earliest', '--execute'])).toMatchObject({
        code: 2,
        stderr: 'zps: the group id is empty: name the consumer group\n',
      });
    });

    it("8.12: an ENV that looks like a path (the shell's startup file) is not an environment name", async () => {
      const local = privateSocket();
      try {
        const env = { ZPS_ENV: '', ENV: '/root/.shrc', ZPS_SOCKET: local.socket };
        expect(await zps(local.socket, ['count', 'x'], { env })).toMatchObject({ code: 0, stdout: '0\n', stderr: '' });
        const verbose = await zps(local.socket, ['count', 'x', '--verbose'], { env });
        expect(verbose.stderr).toContain("zps: ignoring ENV=/root/.shrc: it looks like a path (the shell's startup file), not an environment name");
        // a name still works
        expect((await zps(local.socket, ['count', 'x', '--timeout', '2s'], { env: { ENV: 'prod', ZPS_BROKERS: '127.0.0.1:1' } })).stderr).toMatch(
          /cannot reach Kafka at 127\.0\.0\.1:1/,
        );
      } finally {
        local.cleanup();
      }
    });
  });
}
