/**
 * The inspection kcat, kaf and rpk users reach for, the same in both modes: partitions,
 * time, several topics, filters. Run by test/local/inspection.test.ts and test/kafka/inspection.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateSocket, RunningZps, zps, type RunOptions } from '../helpers/zps.js';
import { unique, waitFor } from '../helpers/wait.js';
import type { Mode } from './fidelity.js';

const lines = (text: string) => text.split('\n').filter(Boolean);

export function describeInspection(mode: Mode): void {
  describe(`inspection, ${mode.name} mode`, () => {
    let socket: string;
    let cleanup: () => void;
    beforeAll(() => ({ socket, cleanup } = privateSocket()));
    afterAll(() => cleanup());
    const run = (args: string[], options: RunOptions = {}) => zps(socket, args, { timeoutMs: 60_000, ...options, env: { ...mode.env(), ...options.env } });
    /** Three partitions; keys k0..k5 land where murmur2 puts them. */
    const keyed = async (t: string) => {
      const input = Array.from({ length: 6 }, (_, i) => `k${i}:v${i}`).join('\n');
      expect(await run(['publish', t, '--partitions', '3', '-K', ':'], { input })).toMatchObject({ code: 0 });
      return lines((await run(['consume', t, '--format', '%p %k\n'])).stdout).map((line) => line.split(' ') as [string, string]);
    };

    it('-p reads only the partitions named, repeatable or comma-separated; one that does not exist is exit 2', async () => {
      const t = unique('partitions');
      const placed = await keyed(t);
      const keysIn = (partitions: string[]) =>
        placed
          .filter(([p]) => partitions.includes(p))
          .map(([, k]) => k)
          .sort();
      const read = async (args: string[]) => lines((await run(['consume', t, ...args, '--format', '%k\n'])).stdout).sort();
      expect(await read(['-p', '1'])).toEqual(keysIn(['1']));
      expect(await read(['-p', '0,2'])).toEqual(keysIn(['0', '2']));
      expect(await read(['-p', '2', '-p', '0'])).toEqual(keysIn(['0', '2']));
      expect(await run(['consume', t, '-p', '3'])).toMatchObject({ code: 2, stderr: `zps: partition 3 does not exist: topic ${t} has 3 partitions\n` });
      expect((await run(['consume', t, '-p', '0', '-g', unique('g')])).code).toBe(2);
    });

    it('-o @<time> starts at the first message at or after it; --until stops after it, exit 0', async () => {
      const t = unique('time');
      await run(['publish', t, 'before-1', 'before-2']);
      const cut = await waitFor(() => Date.now(), 'a clock');
      await waitFor(() => Date.now() > cut + 5, 'the clock to pass the cut');
      await run(['publish', t, 'after-1', 'after-2']);
      expect(await run(['consume', t, '-o', `@${cut}`])).toMatchObject({ code: 0, stdout: 'after-1\nafter-2\n' });
      expect(await run(['consume', t, '--until', String(cut)])).toMatchObject({ code: 0, stdout: 'before-1\nbefore-2\n' });
      const iso = new Date(cut).toISOString();
      expect((await run(['consume', t, '-o', `@${iso}`])).stdout).toBe('after-1\nafter-2\n');
      expect((await run(['consume', t, '-o', '@-1h'])).stdout).toBe('before-1\nbefore-2\nafter-1\nafter-2\n');
      expect((await run(['consume', t, '-o', '@2099-01-01'])).stdout).toBe('');
      // following, a time that has passed ends the read once it is caught up
      expect(await run(['consume', t, '-f', '--until', String(cut)])).toMatchObject({ code: 0, stdout: 'before-1\nbefore-2\n' });
      expect(await run(['consume', t, '-o', '@yesterday'])).toMatchObject({ code: 2 });
    });

    it('reads several topics together, by name or --regex; following, a matching topic created later is read too', async () => {
      const prefix = unique('multi');
      await run(['publish', `${prefix}-a`, 'a1', 'a2']);
      await run(['publish', `${prefix}-b`, 'b1']);
      const both = await run(['consume', `${prefix}-a`, `${prefix}-b`, '--format', '%t %s\n']);
      expect(lines(both.stdout).sort()).toEqual([`${prefix}-a a1`, `${prefix}-a a2`, `${prefix}-b b1`]);
      const json = lines((await run(['consume', '--regex', `^${prefix}-`, '--json'])).stdout).map((line) => JSON.parse(line).topic);
      expect(json.sort()).toEqual([`${prefix}-a`, `${prefix}-a`, `${prefix}-b`]);
      expect(await run(['consume', '--regex', `^${prefix}-none`])).toMatchObject({ code: 1, stderr: `zps: no topic matches /^${prefix}-none/\n` });
      expect((await run(['consume', `${prefix}-a`, `${prefix}-missing`])).code).toBe(1);

      const follower = new RunningZps(socket, ['consume', '--regex', `^${prefix}-`, '-f', '--format', '%t %s\n'], mode.env());
      await follower.waitForLines(3, 30_000);
      await run(['publish', `${prefix}-c`, 'c1']);
      await run(['publish', `${prefix}-a`, 'a3']);
      const seen = await follower.waitForLines(5, 30_000);
      expect(seen.slice(3).sort()).toEqual([`${prefix}-a a3`, `${prefix}-c c1`]);
      follower.child.kill('SIGINT');
      expect(await follower.result).toMatchObject({ code: 0 });

      expect((await run(['count', '--regex', `^${prefix}-`])).stdout).toBe(`${prefix}-a\t3\n${prefix}-b\t1\n${prefix}-c\t1\n`);

      // --wait waits for matching topics to be created too: no match yet is a wait, not a failure
      const later = unique('later');
      expect(await run(['count', '--regex', `^${later}`, '--expect', '2', '--wait', '1s'])).toMatchObject({
        code: 3,
        stderr: `zps: could not count topics matching /^${later}/ within 1s: no topic matches /^${later}/\n`,
      });
      const waiting = run(['count', '--regex', `^${later}`, '--expect', '2', '--wait', '30s']);
      await run(['publish', `${later}-x`, 'a', 'b']);
      expect(await waiting).toMatchObject({ code: 0, stdout: `${later}-x\t2\n` });
    });

    it('filters by key, headers, type and value; -n counts printed messages', async () => {
      const t = unique('filters');
      expect((await run(['publish', t, '-k', 'k1', '-t', 'order', '-H', 'region=eu', '-H', 'flag=on', '{"id": 1, "total": 5}'])).code).toBe(0);
      await run(['publish', t, '-k', 'k2', '-t', 'order', '-H', 'region=us', '{"id":2}']);
      await run(['publish', t, '-k', 'k1', '-t', 'refund', 'plain text 3']);
      const values = async (args: string[]) => lines((await run(['consume', t, ...args])).stdout);
      expect(await values(['--key', 'k1'])).toEqual(['{"id":1,"total":5}', 'plain text 3']);
      expect(await values(['--type', 'order'])).toEqual(['{"id":1,"total":5}', '{"id":2}']);
      expect(await values(['--header', 'region=us'])).toEqual(['{"id":2}']);
      expect(await values(['--header', 'region', '--header', 'flag'])).toEqual(['{"id":1,"total":5}']);
      expect(await values(['--grep', '"id":1,'])).toEqual(['{"id":1,"total":5}']); // the value as printed: JSON on one line
      expect(await values(['--grep', '^plain', '--key', 'k1'])).toEqual(['plain text 3']);
      expect(await values(['--key', 'k1', '-n', '2'])).toEqual(['{"id":1,"total":5}', 'plain text 3']);
      expect(await values(['--key', 'nobody'])).toEqual([]);
      expect((await run(['consume', t, '--grep', '('])).code).toBe(2);
    });

    it('publish --from-json replays consume --json exactly: keys, binary bytes, repeated headers, type, tombstones, big numbers, partitions', async () => {
      const source = unique('replay-src');
      const copy = unique('replay-dst');
      const binary = Buffer.from([0xff, 0x00, 0xfe]).toString('base64');
      const lines_ = [
        JSON.stringify({ key: 'k1', type: 'order', headers: { a: ['1', '2'], b: 'x', n: null }, value: { id: 1 }, partition: 1 }).replace(
          '{"id":1}',
          '{"big":12345678901234567890,"f":1.50}',
        ),
        JSON.stringify({ key: { base64: binary }, headers: { bin: { base64: binary } }, value: { base64: binary }, partition: 0 }),
        JSON.stringify({ key: 'gone', value: null, tombstone: true, partition: 1 }),
        JSON.stringify({ key: null, value: 'plain text', partition: 0 }),
        JSON.stringify({ key: 'n', value: null, partition: 0 }),
      ];
      expect(await run(['publish', source, '--from-json', '--keep-partitions', '--partitions', '2'], { input: lines_.join('\n') })).toMatchObject({
        code: 0,
        stderr: '',
      });
      const original = (await run(['consume', source, '--json', '-p', '0,1'])).stdout;
      expect(await run(['publish', copy, '--from-json', '--keep-partitions', '--partitions', '2'], { input: original })).toMatchObject({ code: 0 });
      const copied = (await run(['consume', copy, '--json', '-p', '0,1'])).stdout;
      const comparable = (text: string) =>
        lines(text).map((line) => line.replace(/"topic":"[^"]*","partition":(\d),"offset":(\d),"timestamp":\d+,/, 'p$1o$2 '));
      expect(comparable(copied)).toEqual(comparable(original));
      expect(original).toContain('"value":{"big":12345678901234567890,"f":1.50}');
      expect(original).toContain(`"key":{"base64":"${binary}"}`);
      expect(original).toContain('"headers":{"a":["1","2"],"b":"x","n":null}');
      expect(original).toContain('"value":null,"tombstone":true');
      expect((await run(['consume', copy, '-p', '0', '--format', '%S\n'])).stdout).toBe('3\n10\n4\n'); // value sizes: the binary bytes, the text, JSON null
    });

    if (mode.name === 'kafka')
      it('consume --json | publish --from-json copies a Kafka topic into local mode, and back', async () => {
        const t = unique('copy');
        await run(['publish', t, '-K', ':', '-t', 'event', '-H', 'h=1'], { input: 'a:{"n":1}\nb:two\n' });
        const local = { ZPS_ENV: 'local' };
        const fromKafka = (await run(['consume', t, '--json'])).stdout;
        expect(await run(['publish', t, '--from-json'], { input: fromKafka, env: local })).toMatchObject({ code: 0 });
        const inLocal = (await run(['consume', t, '--json'], { env: local })).stdout;
        const withoutTime = (text: string) => text.replace(/"timestamp":\d+,/g, '');
        expect(withoutTime(inLocal)).toBe(withoutTime(fromKafka));
        const back = unique('copy-back');
        expect(await run(['publish', back, '--from-json'], { input: inLocal })).toMatchObject({ code: 0 });
        expect(withoutTime((await run(['consume', back, '--json'])).stdout)).toBe(withoutTime(fromKafka).replaceAll(`"topic":"${t}"`, `"topic":"${back}"`));
      });

    it('publish --from-json: a bad line is exit 2 naming it, what came before it is published and said', async () => {
      const t = unique('replay-bad');
      const input = '{"value":1}\n{"value":2}\n{"key":"k"}\n{"value":4}\n';
      const result = await run(['publish', t, '--from-json'], { input });
      expect(result.code).toBe(2);
      expect(lines(result.stderr)).toEqual([
        `zps: publish to ${t} failed at line 3: no "value": --from-json reads the lines of consume --json`,
        '2 messages published before the failure; line 3 and what follows it were not published',
      ]);
      expect((await run(['consume', t])).stdout).toBe('1\n2\n');
      expect((await run(['publish', t, '--from-json', '-k', 'x'], { input })).code).toBe(2);
      expect((await run(['publish', t, '--from-json', '--keep-partitions'], { input: '{"value":1,"partition":5}' })).stderr).toMatch(
        /partition 5 does not exist/,
      );
    });

    it("publish --from-json keeps a value's JSON as it stands in the line, whitespace and all; bad base64 is exit 2 naming the line", async () => {
      const source = unique('spaced-src');
      const copy = unique('spaced-dst');
      expect(await run(['publish', source, '{"a": 1}', '[1,\t2]', '{\n  "b": 2\n}'])).toMatchObject({ code: 0 }); // as another client writes JSON
      const original = (await run(['consume', source, '--json'])).stdout;
      expect(lines(original).map((line) => line.replace(/^.*"value":/, ''))).toEqual(['{"a": 1}}', '[1,\t2]}', '{"b":2}}']); // compacted only to fit one line
      expect(await run(['publish', copy, '--from-json'], { input: original })).toMatchObject({ code: 0, stderr: '' });
      expect((await run(['consume', copy, '--format', '%S '])).stdout).toBe('8 6 7 ');
      const withoutTopic = (text: string) => text.replace(/"topic":"[^"]*",/g, '').replace(/"timestamp":\d+,/g, '');
      expect(withoutTopic((await run(['consume', copy, '--json'])).stdout)).toBe(withoutTopic(original));
      expect(await run(['publish', copy, '--from-json'], { input: '{"value": {"b" :  2 } }\n' })).toMatchObject({ code: 0 });
      expect((await run(['consume', copy, '-o', '-1', '--format', '%S'])).stdout).toBe('11'); // {"b" :  2 }

      const bad = async (input: string) => {
        const result = await run(['publish', unique('bad-base64'), '--from-json'], { input });
        return { code: result.code, stderr: lines(result.stderr).map((line) => line.replace(/publish to \S+/, 'publish to t')) };
      };
      expect(await bad('{"value":"ok"}\n{"value":{"base64":"!!!"}}\n')).toEqual({
        code: 2,
        stderr: [
          'zps: publish to t failed at line 2: the value is not valid base64: "!!!"',
          '1 message published before the failure; line 2 and what follows it were not published',
        ],
      });
      expect(await bad('{"key":{"base64":"a"},"value":1}')).toEqual({
        code: 2,
        stderr: ['zps: publish to t failed at line 1: the key is not valid base64: "a"', 'nothing was published'],
      });
      expect((await bad('{"headers":{"h":{"base64":"@@@@"}},"value":1}')).stderr[0]).toBe(
        'zps: publish to t failed at line 1: the header h is not valid base64: "@@@@"',
      );
    });

    it('topics describe: partitions with first and next offset and count (Kafka: leader, replicas, isr and settings; local: the settings set)', async () => {
      const t = unique('describe');
      await run(['publish', t, '--partitions', '2', '-p', '1', 'a', 'b', 'c']);
      const described = JSON.parse((await run(['topics', 'describe', t, '--json'])).stdout);
      expect(described.topic).toBe(t);
      expect(described.partitions.map((p: Record<string, number>) => [p.partition, p.first, p.next, p.count])).toEqual([
        [0, 0, 0, 0],
        [1, 0, 3, 3],
      ]);
      const text = lines((await run(['topics', 'describe', t])).stdout);
      expect(text[0]).toBe(`topic ${t}: 2 partitions, 3 messages`);
      expect(text[1]).toMatch(/^partition\s+first\s+next\s+count/);
      if (mode.name === 'kafka') {
        // one broker (the test broker, or the daemon's listener): it leads, holds and is in sync
        const { leader } = described.partitions[0];
        expect(described.partitions[0]).toMatchObject({ leader: expect.any(Number), replicas: [leader], isr: [leader] });
        expect(described.configs).toMatchObject({ 'cleanup.policy': 'delete', 'max.message.bytes': '1048588' });
        expect(text).toContain('cleanup.policy=delete');
      } else expect(described.configs).toEqual({}); // local mode: the settings set on the topic, none here
      expect(await run(['topics', 'describe', unique('missing')])).toMatchObject({ code: 1 });
    });

    it('groups lists each group with state, members, topics and lag; groups describe shows partitions and members', async () => {
      const t = unique('groups');
      const g = unique('g');
      await run(['publish', t, '--partitions', '2', '-K', ':'], { input: 'a:1\nb:2\nc:3\nd:4\n' });
      const follower = new RunningZps(socket, ['consume', t, '-g', g, '-f'], mode.env());
      await follower.waitForLines(4, 30_000);
      const live = await waitFor(
        async () => {
          const described = JSON.parse((await run(['groups', 'describe', g, '--json'])).stdout || 'null');
          return described?.state === 'Stable' && described.members.length === 1 && described.partitions.every((p: { lag: number }) => p.lag === 0)
            ? described
            : undefined;
        },
        'the group stable with its member and nothing left to commit',
        30_000,
      );
      expect(live.members[0].partitions).toEqual([{ topic: t, partitions: [0, 1] }]);
      const listed = lines((await run(['groups'])).stdout).find((line) => line.startsWith(`${g}\t`));
      expect(listed).toBe(`${g}\tStable\t1\t${t}\t0`);
      follower.child.kill('SIGINT');
      const ended = await follower.result;
      expect(ended, ended.stderr).toMatchObject({ code: 0 });
      await run(['publish', t, '-K', ':', 'e:5']);
      const left = await waitFor(
        async () => {
          const described = JSON.parse((await run(['groups', 'describe', g, '--json'])).stdout || 'null');
          return described?.state === 'Empty' ? described : undefined;
        },
        'the group empty once its member left',
        30_000,
      );
      expect(left.members).toEqual([]);
      expect(left.partitions.reduce((sum: number, p: { lag: number }) => sum + p.lag, 0)).toBe(1);
      expect(JSON.parse(lines((await run(['groups', '--json'])).stdout).find((line) => line.includes(`"${g}"`))!)).toEqual({
        group: g,
        state: 'Empty',
        members: 0,
        topics: [t],
        lag: 1,
      });
      const text = lines((await run(['groups', 'describe', g])).stdout);
      expect(text[0]).toBe(`group ${g}: Empty, 0 members, lag 1`);
      expect(await run(['groups', 'describe', unique('nobody')])).toMatchObject({ code: 1 });
    });

    it('with a group, a filter commits what it examined, and -n stops at the last message printed', async () => {
      const t = unique('filter-group');
      const g = unique('g');
      await run(['publish', t, '-K', ':'], { input: 'a:1\nb:2\na:3\nb:4\na:5\n' });
      expect((await run(['consume', t, '-g', g, '--key', 'a', '-n', '2'])).stdout).toBe('1\n3\n');
      expect((await run(['count', t, '-g', g])).stdout).toBe('2\n'); // 4 and 5 not examined
      expect((await run(['consume', t, '-g', g])).stdout).toBe('4\n5\n');
    });
  });
}
