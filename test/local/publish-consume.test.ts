import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, collect, interruptedPublish, privateSocket, interruptSlowlyRead, RunningZps, spawnZps, ZPS_BIN, zps, zpsRaw } from '../helpers/zps.js';
import { unique, waitFor } from '../helpers/wait.js';

let socket: string;
let cleanup: () => void;
beforeAll(() => ({ socket, cleanup } = privateSocket()));
afterAll(() => cleanup());

const run = (args: string[], input?: string) => zps(socket, args, { input });
/** stdout as bytes, for output that is not text. */
const zpsBytes = (args: string[]) => zpsRaw(socket, args);
const lines = (text: string) => text.split('\n').filter(Boolean);

describe('zps publish and consume', () => {
  it('round-trips values as their bytes: JSON printed on one line, text as it is', async () => {
    const t = unique('t');
    const published = await run(['publish', t, 'hello world', '{"a": 1, "b": [1, 2]}', '42', 'null', '"quoted"']);
    expect(published).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const consumed = await run(['consume', t]);
    expect(consumed).toMatchObject({ code: 0, stderr: '' });
    expect(consumed.stdout).toBe('hello world\n{"a":1,"b":[1,2]}\n42\nnull\n"quoted"\n');
    const json = lines((await run(['consume', t, '--json'])).stdout).map((l) => JSON.parse(l).value);
    expect(json).toEqual(['hello world', { a: 1, b: [1, 2] }, 42, null, 'quoted']);
  });

  it('publishes each non-empty stdin line in order, with - or no value', async () => {
    const t = unique('t');
    expect((await run(['publish', t], 'one\n\ntwo\n{"n":3}\n\n')).code).toBe(0);
    expect((await run(['publish', t, '-'], 'four\nfive')).code).toBe(0);
    expect((await run(['consume', t])).stdout).toBe('one\ntwo\n{"n":3}\nfour\nfive\n');
  });

  it('a line is the bytes between newlines: a CR is kept, as kcat keeps it, and only an empty line is skipped', async () => {
    const t = unique('crlf');
    expect(await run(['publish', t], 'a\r\n\r\n\nb')).toMatchObject({ code: 0, stderr: '' });
    expect((await zpsBytes(['consume', t, '--format', '%s|'])).toString()).toBe('a\r|\r|b|');
    const keyed = unique('crlf-keyed');
    expect((await run(['publish', keyed, '-K', ':', '-Z'], 'k1:v\r\nk2:\r\nk3:\n')).code).toBe(0);
    expect((await zpsBytes(['consume', keyed, '--format', '%k=%s(%S)|'])).toString()).toBe('k1=v\r(2)|k2=\r(1)|k3=(-1)|');
    const replayed = unique('crlf-json');
    expect(await run(['publish', replayed, '--from-json'], '{"key":"k","value":"x"}\r\n{"value":{"n": 1}}\r\n')).toMatchObject({ code: 0, stderr: '' });
    expect(lines((await run(['consume', replayed, '--json'])).stdout).map((l) => l.replace(/^.*"key":/, ''))).toEqual([
      '"k","type":null,"headers":{},"value":"x"}',
      'null,"type":null,"headers":{},"value":{"n": 1}}',
    ]);
  });

  it('publishes lines as their bytes: non-ASCII JSON stays JSON, a line that is not UTF-8 stays those bytes', async () => {
    const t = unique('t');
    const notUtf8 = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]);
    const input = Buffer.concat([Buffer.from('{"city": "Zürich"}\n'), notUtf8, Buffer.from('\n')]);
    expect(await zps(socket, ['publish', t], { input })).toMatchObject({ code: 0, stderr: '' });
    const values = lines((await run(['consume', t, '--json'])).stdout).map((l) => JSON.parse(l).value);
    expect(values).toEqual([{ city: 'Zürich' }, { base64: notUtf8.toString('base64') }]);
    const printed = await zpsBytes(['consume', t, '--format', '%s\n']);
    expect(printed.equals(Buffer.concat([Buffer.from('{"city":"Zürich"}\n'), notUtf8, Buffer.from('\n')]))).toBe(true);
  });

  it('--raw publishes the same bytes: values are never quoted or re-encoded', async () => {
    const t = unique('t');
    await run(['publish', t, '--raw', '42', '{"a":1}', 'text']);
    await run(['publish', t, '42', '{"a":1}', 'text']);
    expect((await run(['consume', t])).stdout).toBe('42\n{"a":1}\ntext\n'.repeat(2));
  });

  it('keys, key delimiter, type and headers travel with the message', async () => {
    const t = unique('t');
    expect((await run(['publish', t, '-k', 'user-1', '-t', 'greeting', '-H', 'trace=abc', '-H', 'source:cli', 'hi'])).code).toBe(0);
    expect((await run(['publish', t, '-K', ':'], 'user-2:{"x":1}\nno-delimiter\nuser-3:a:b\n')).code).toBe(0);
    const messages = lines((await run(['consume', t, '--json'])).stdout).map((l) => JSON.parse(l));
    expect(messages[0]).toMatchObject({
      topic: t,
      partition: 0,
      offset: 0,
      key: 'user-1',
      type: 'greeting',
      headers: { trace: 'abc', source: 'cli' },
      value: 'hi',
    });
    expect(typeof messages[0].timestamp).toBe('number');
    expect(messages.slice(1).map((m) => [m.key, m.value, m.type])).toEqual([
      ['user-2', { x: 1 }, null],
      [null, 'no-delimiter', null],
      ['user-3', 'a:b', null],
    ]);
  });

  it('publishes a file given as stdin (read a MiB at a time) from where the shell left it, every line whole', async () => {
    const t = unique('t');
    const dir = mkdtempSync(join(tmpdir(), 'zps-stdin-'));
    const file = join(dir, 'lines.ndjson');
    // 60,000 lines of 1 to 200 bytes (~6 MiB): lines cross every read's end
    const all = Array.from({ length: 60_000 }, (_, i) => `{"n":${i},"p":"${'é'.repeat(i % 100)}"}`);
    writeFileSync(file, `${all.join('\n')}\n`);
    const fd = openSync(file, 'r');
    try {
      // the shell reads the first line itself: zps must start where it stopped, not at the file's start
      const child = spawn('sh', ['-c', 'read -r first; exec "$0" "$1" publish "$2"', process.execPath, ZPS_BIN, t], {
        env: cleanEnv({ ZPS_SOCKET: socket }),
        stdio: [fd, 'pipe', 'pipe'],
      });
      expect(await collect(child)).toMatchObject({ code: 0, stderr: '' });
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
    expect(lines((await run(['consume', t])).stdout)).toEqual(all.slice(1));
  });

  it('a directory as stdin (zps publish t < dir) is exit 2, and makes no topic', async () => {
    const t = unique('t');
    const fd = openSync(tmpdir(), 'r');
    try {
      const child = spawn(process.execPath, [ZPS_BIN, 'publish', t], { env: cleanEnv({ ZPS_SOCKET: socket }), stdio: [fd, 'pipe', 'pipe'] });
      expect(await collect(child)).toMatchObject({ code: 2, stdout: '', stderr: 'zps: cannot read stdin: it is a directory\n' });
    } finally {
      closeSync(fd);
    }
    expect((await run(['topics'])).stdout).not.toContain(t);
  });

  it('publishes stdin lines as they come, without waiting for a batch to fill (tail -f | zps publish)', async () => {
    const t = unique('trickle');
    const publisher = new RunningZps(socket, ['publish', t]);
    publisher.child.stdin!.write('first\n');
    await waitFor(async () => (await run(['count', t])).stdout === '1\n', 'the first line published while stdin is open');
    publisher.child.stdin!.end('second\n');
    expect(await publisher.result).toMatchObject({ code: 0, stderr: '' });
    expect(lines((await run(['consume', t])).stdout)).toEqual(['first', 'second']);
  });

  it('--json on publish prints one acknowledgement per message', async () => {
    const t = unique('t');
    const result = await run(['publish', t, '--json', '-k', 'k'], 'a\nb\n');
    expect(lines(result.stdout).map((l) => JSON.parse(l))).toEqual([
      { topic: t, partition: 0, offset: 0, key: 'k' },
      { topic: t, partition: 0, offset: 1, key: 'k' },
    ]);
  });

  it('Ctrl-C stops reading, waits for the batches in flight, acks every stored message and says what was not published, exit 130', async () => {
    const t = unique('interrupted');
    const result = await interruptedPublish(socket, t);
    expect(result.code).toBe(130);
    const offsets = lines(result.stdout).map((line) => JSON.parse(line).offset as number);
    const published = offsets.length;
    expect(offsets).toEqual(Array.from({ length: published }, (_, i) => i));
    expect(result.stderr).toBe(
      `zps: publish to ${t} stopped at line ${published + 1}: interrupted\n` +
        `${published} messages published before the interrupt; line ${published + 1} and what follows it were not published\n`,
    );
    expect((await run(['count', t])).stdout).toBe(`${published}\n`);
    expect(lines((await run(['consume', t, '-o', '-1'])).stdout)).toEqual([`{"i":${published - 1}}`]);
  });

  it('creates a topic with --partitions and publishes to an explicit partition', async () => {
    const t = unique('t');
    const result = await run(['publish', t, '--partitions', '3', '-p', '2', '--json', 'x']);
    expect(JSON.parse(result.stdout)).toMatchObject({ partition: 2, offset: 0 });
    expect(JSON.parse((await run(['topics', '--json'])).stdout.split('\n').find((l) => l.includes(t))!)).toEqual({ topic: t, count: 1, partitions: 3 });
    const bad = await run(['publish', t, '-p', '3', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^zps: publish to .* failed at argument 1: partition 3 does not exist: topic .* has 3 partitions\n/);
  });

  it('stops at a message over 1 MiB mid-stream and reports what was published', async () => {
    const t = unique('t');
    const input = `first\nsecond\n${'x'.repeat(1024 * 1024 + 1)}\nfourth\n`;
    const result = await run(['publish', t], input);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(lines(result.stderr)).toEqual([
      `zps: publish to ${t} failed at line 3: message is 1048577 bytes, over the 1 MiB limit (1048576 bytes)`,
      '2 messages published before the failure; line 3 and what follows it were not published',
    ]);
    expect((await run(['count', t])).stdout).toBe('2\n');
  });

  it('refuses a huge line as soon as it passes 1 MiB, reading on to its end without keeping it', async () => {
    const t = unique('t');
    const publisher = spawnZps(socket, ['publish', t]);
    const done = collect(publisher);
    let peakRssKb = 0;
    const sample = setInterval(() => {
      try {
        const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${publisher.pid}/status`, 'utf8'));
        if (rss) peakRssKb = Math.max(peakRssKb, Number(rss[1]));
      } catch {
        // it exited
      }
    }, 20);
    // Should zps stop reading or exit early, the test says what it printed rather than time out.
    const stuck = setTimeout(() => publisher.kill('SIGKILL'), 20_000);
    let exited = false;
    const exit = done.then(() => void (exited = true));
    publisher.stdin!.on('error', () => {});
    publisher.stdin!.write('before\n');
    const chunk = Buffer.alloc(1024 * 1024, 0x78);
    for (let i = 0; i < 256 && !exited; i++) {
      if (!publisher.stdin!.write(chunk)) await Promise.race([new Promise((resolve) => publisher.stdin!.once('drain', resolve)), exit]);
    }
    publisher.stdin!.end('\nafter\n');
    const result = await done;
    clearTimeout(stuck);
    clearInterval(sample);
    expect({ code: result.code, stderr: lines(result.stderr) }).toEqual({
      code: 2,
      stderr: [
        `zps: publish to ${t} failed at line 2: line is ${256 * 1024 * 1024} bytes, over the 1048576 bytes a message may have`,
        '1 message published before the failure; line 2 and what follows it were not published',
      ],
    });
    expect(peakRssKb).toBeGreaterThan(0);
    expect(peakRssKb).toBeLessThan(160 * 1024); // the 256 MiB line was never held
    expect((await run(['consume', t])).stdout).toBe('before\n');
  });

  it('publishes nothing when a value argument is invalid', async () => {
    const t = unique('t');
    // One argument can hold at most 128 KiB on Linux: headers make the message too big.
    const headers = Array.from({ length: 9 }, (_, i) => ['-H', `h${i}=${'y'.repeat(120_000)}`]).flat();
    const result = await run(['publish', t, ...headers, 'ok', 'fine']);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual([
      `zps: publish to ${t} failed at argument 1: message is 1080020 bytes, over the 1 MiB limit (1048576 bytes)`,
      'nothing was published',
    ]);
    expect((await run(['count', t])).stdout).toBe('0\n');
  });

  it('reads from -o beginning, end, an offset, or the last N', async () => {
    const t = unique('t');
    await run(['publish', t, 'a', 'b', 'c', 'd']);
    expect((await run(['consume', t, '-o', 'beginning'])).stdout).toBe('a\nb\nc\nd\n');
    expect(await run(['consume', t, '-o', 'end'])).toMatchObject({ code: 0, stdout: '' });
    expect((await run(['consume', t, '-o', '2'])).stdout).toBe('c\nd\n');
    expect((await run(['consume', t, '-o', '-3'])).stdout).toBe('b\nc\nd\n');
    expect((await run(['consume', t, '-o', '-10'])).stdout).toBe('a\nb\nc\nd\n');
  });

  it('consuming a topic that does not exist is exit 1, naming it', async () => {
    const t = unique('none');
    expect(await run(['consume', t])).toMatchObject({
      code: 1,
      stdout: '',
      stderr: `zps: topic ${t} does not exist\na topic is created by its first publish; --follow waits for it\n`,
    });
  });

  it('--format prints the template as given, kcat-style, with no newline added', async () => {
    const t = unique('t');
    await run(['publish', t, '-k', 'k1', '-t', 'ty', '-H', 'h=v', '{"v":1}']);
    const result = await run(['consume', t, '--format', '%t|%p|%o|%k|%s|%y|%h|%%\\t.\\n']);
    expect(result.stdout).toBe(`${t}|0|0|k1|{"v":1}|ty|h=v|%\t.\n`);
    const ts = await run(['consume', t, '--format', '%T']);
    expect(Number(ts.stdout)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('-n exits after n messages, waiting for them to arrive', async () => {
    const t = unique('t');
    await run(['publish', t, 'a', 'b', 'c']);
    expect((await run(['consume', t, '-n', '2'])).stdout).toBe('a\nb\n');
    const waiting = new RunningZps(socket, ['consume', t, '-o', 'end', '-n', '2']);
    // It starts at the end as of subscribing: publish until it shows it is listening.
    let i = 0;
    const published = async () => {
      await run(['publish', t, `late-${i++}`]);
      return waiting.lines().length >= 1;
    };
    await waitFor(published, 'the consumer to listen');
    await run(['publish', t, 'last']);
    const result = await waiting.result;
    expect(result.code).toBe(0);
    const [first, second, ...rest] = lines(result.stdout);
    expect(first).toMatch(/^late-\d+$/);
    expect(second).toMatch(/^(late-\d+|last)$/);
    expect(rest).toEqual([]);
  });

  it('-n with --timeout exits 3 when fewer than n arrive in time', async () => {
    const t = unique('t');
    await run(['publish', t, 'only-one']);
    const result = await run(['consume', t, '-n', '2', '--timeout', '300ms']);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('only-one\n');
    expect(result.stderr).toBe(`zps: timed out waiting for messages on ${t}: received 1 of 2 within 300ms\n`);
  });

  it('--follow shows new messages as they come and Ctrl-C ends it with exit 0', async () => {
    const t = unique('t');
    await run(['publish', t, 'before']);
    const follower = new RunningZps(socket, ['consume', t, '-f']);
    await follower.waitForLines(1);
    await run(['publish', t, 'after-1', 'after-2']);
    expect(await follower.waitForLines(3)).toEqual(['before', 'after-1', 'after-2']);
    follower.child.kill('SIGINT');
    expect(await follower.result).toMatchObject({ code: 0, stderr: '' });
  });

  it('a closed pipe (| head -1) ends consume quietly with exit 0', async () => {
    const t = unique('t');
    await run(['publish', t], Array.from({ length: 50_000 }, (_, i) => `line-${i}`).join('\n'));
    const reader = new RunningZps(socket, ['consume', t]);
    await reader.waitForLines(1);
    reader.child.stdout!.destroy();
    const result = await reader.result;
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });

  it('with --group: starts at the committed offset, commits what it printed', async () => {
    const t = unique('t');
    const g = unique('g');
    await run(['publish', t, '1', '2', '3', '4', '5']);
    expect((await run(['consume', t, '-g', g, '-n', '2'])).stdout).toBe('1\n2\n');
    expect((await run(['count', t, '-g', g])).stdout).toBe('3\n');
    expect((await run(['consume', t, '-g', g])).stdout).toBe('3\n4\n5\n');
    expect((await run(['count', t, '--group', g])).stdout).toBe('0\n');
    expect(await run(['consume', t, '-g', g])).toMatchObject({ code: 0, stdout: '' });
    // without a group nothing is committed: another run prints everything again
    expect((await run(['consume', t])).stdout).toBe('1\n2\n3\n4\n5\n');
    // ZPS_GROUP is the environment form
    expect((await zps(socket, ['consume', t], { env: { ZPS_GROUP: g } })).stdout).toBe('');
  });

  it('Ctrl-C with a slow reader on the pipe: stops at once, commits exactly the lines the reader got', async () => {
    const t = unique('t');
    const g = unique('g');
    const total = 100_000;
    await run(['publish', t], Array.from({ length: total }, (_, i) => `m${i}`).join('\n'));
    const { code, stdout, stderr, printed, exitMs } = await interruptSlowlyRead(spawnZps(socket, ['consume', t, '-g', g, '-f', '--format', '%o %s\n']));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(exitMs).toBeLessThan(5_000); // at once, not after the reader took what was queued (minutes)
    expect(stdout.endsWith('\n')).toBe(true); // whole lines only
    expect(printed.at(-1)).toBe(`${printed.length - 1} m${printed.length - 1}`);
    expect((await run(['count', t, '-g', g])).stdout).toBe(`${total - printed.length}\n`);
  });

  it('a new group starts at --offset', async () => {
    const t = unique('t');
    await run(['publish', t, 'a', 'b', 'c']);
    expect((await run(['consume', t, '-g', unique('g'), '-o', '-1'])).stdout).toBe('c\n');
  });

  it('16 concurrent publishers lose nothing', async () => {
    const t = unique('t');
    const per = 300;
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, p) => run(['publish', t], Array.from({ length: per }, (_, i) => `{"p":${p},"i":${i}}`).join('\n'))),
    );
    for (const result of results) expect(result).toMatchObject({ code: 0, stderr: '' });
    expect((await run(['count', t])).stdout).toBe(`${16 * per}\n`);
    const seen = lines((await run(['consume', t])).stdout).map((l) => JSON.parse(l) as { p: number; i: number });
    expect(new Set(seen.map((m) => `${m.p}/${m.i}`)).size).toBe(16 * per);
    for (let p = 0; p < 16; p++) {
      const mine = seen.filter((m) => m.p === p).map((m) => m.i);
      expect(mine).toEqual(Array.from({ length: per }, (_, i) => i)); // each publisher's order kept
    }
  });
});
