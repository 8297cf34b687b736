/**
 * The commands run in-process, on a test Io and an in-process broker: flag parsing, output and exit
 * codes checked in milliseconds. The spawned end-to-end tests (test/e2e) check the same as a shell
 * script would.
 */
import { describe, expect, it } from 'vitest';
import { toolsFor } from '../../src/factory.js';
import { testIo } from '../helpers/test-io.js';
import { runZps } from '../../src/cli/run.js';
import { unique } from '../helpers/wait.js';

/** Runs `zps args...` in this process; local mode on the in-process broker. */
async function zps(args: string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}) {
  const io = testIo(options);
  const code = await runZps(['node', 'zps', ...args], io, (settings) => toolsFor({ ...settings, inProcess: true }));
  const { stdout, stderr } = io.output();
  return { code, stdout: stdout.toString(), stderr, bytes: stdout };
}

describe('commands, in-process', () => {
  it('publish then consume: values as their bytes, JSON on one line', async () => {
    const t = unique('t');
    expect(await zps(['publish', t, 'hello', '{"a": 1}'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(await zps(['consume', t])).toMatchObject({ code: 0, stdout: 'hello\n{"a":1}\n', stderr: '' });
  });

  it('stdin lines with a key delimiter, --json acks and records', async () => {
    const t = unique('t');
    const published = await zps(['publish', t, '-K', ':', '--json'], { input: 'k1:v1\nk2:v2\n' });
    expect(published.stdout).toBe(`{"topic":"${t}","partition":0,"offset":0,"key":"k1"}\n{"topic":"${t}","partition":0,"offset":1,"key":"k2"}\n`);
    const records = (await zps(['consume', t, '--json'])).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(records.map((r) => [r.key, r.value])).toEqual([
      ['k1', 'v1'],
      ['k2', 'v2'],
    ]);
  });

  it('tombstones with -Z, told apart by --format %S', async () => {
    const t = unique('t');
    await zps(['publish', t, '-K', ':', '-Z'], { input: 'gone:\nhere:x\n' });
    expect((await zps(['consume', t, '--format', '%k=%S '])).stdout).toBe('gone=-1 here=1 ');
  });

  it('count, --expect and the exit codes', async () => {
    const t = unique('t');
    await zps(['publish', t, 'a', 'b']);
    expect(await zps(['count', t])).toMatchObject({ code: 0, stdout: '2\n' });
    expect(await zps(['count', t, '--expect', '3'])).toMatchObject({ code: 1, stderr: `zps: expected 3 messages in ${t}, found 2\n` });
    expect(await zps(['count', t, '--expect', '3', '--wait', '50ms'])).toMatchObject({ code: 3 });
    expect(await zps(['count', t, '--wait', '1s'])).toMatchObject({ code: 2 });
  });

  it("finds the command past the program's flags and their values, which may be a command's name", async () => {
    const t = unique('t');
    await zps(['publish', t, 'a', 'b']);
    // only the command the line names is built: -g's value and -X's are not it
    expect(await zps(['-g', 'publish', '-X', 'client.id=consume', '--json', 'count', t])).toMatchObject({
      code: 0,
      stdout: `{"topic":"${t}","group":"publish","count":2,"lag":2}\n`,
    });
    expect(await zps(['--timeout=5s', '--no-color', 'count', t])).toMatchObject({ code: 0, stdout: '2\n' });
    // help and a mistyped command still see every command
    expect((await zps(['help'])).stdout).toMatch(/publish[\s\S]*consume[\s\S]*context/);
    expect(await zps(['--json', 'coutn', t])).toMatchObject({ code: 2, stderr: expect.stringContaining('did you mean count?') });
  });

  it('bad usage is one line and exit 2', async () => {
    for (const args of [['publish', 'bad/topic', 'x'], ['consume', 't', '-o', 'middle'], ['frobnicate'], ['consume', 't', '--format', '%z']]) {
      const result = await zps(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.split('\n').filter(Boolean).length).toBeLessThanOrEqual(2);
    }
  });

  it('a missing topic is exit 1; topics and reset', async () => {
    const t = unique('t');
    expect(await zps(['consume', t])).toMatchObject({
      code: 1,
      stderr: `zps: topic ${t} does not exist\na topic is created by its first publish; --follow waits for it\n`,
    });
    await zps(['publish', t, 'x']);
    expect((await zps(['topics'])).stdout).toContain(`${t}\t1\n`);
    expect(await zps(['reset', t])).toMatchObject({ code: 0 });
    expect((await zps(['count', t])).stdout).toBe('0\n');
  });

  it('topics create, alter, delete: settings, growth, exit codes', async () => {
    const t = unique('t');
    expect(await zps(['topics', 'create', t, '-p', '2', '-c', 'retention.bytes=5000'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(await zps(['topics', 'create', t])).toMatchObject({ code: 1 });
    expect(await zps(['topics', 'create', unique('t'), '--replication-factor', '3'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('local mode keeps one copy of each partition'),
    });
    expect(await zps(['topics', 'create', unique('t'), '-p', 'many'])).toMatchObject({
      code: 2,
      stderr: "zps: invalid --partitions 'many': use a whole number from 1\n",
    });
    expect(await zps(['topics', 'create', unique('t'), '-c', 'retention.ms'])).toMatchObject({
      code: 2,
      stderr: "zps: invalid --config 'retention.ms': use name=value, as retention.ms=60000\n",
    });
    expect(await zps(['topics', 'alter', t, '--partitions', '3', '--set', 'max.message.bytes=3000', '--unset', 'retention.bytes'])).toMatchObject({ code: 0 });
    // Kafka takes the removal of a setting it has not as done: said, exit 0
    expect(await zps(['topics', 'alter', t, '--unset', 'retention.msx'])).toMatchObject({
      code: 0,
      stderr: "zps: retention.msx is no topic setting of Kafka's: nothing was unset (did you mean retention.ms?)\n",
    });
    expect(await zps(['topics', 'alter', t, '--set', 'retention.ms=1', '--unset', 'retention.ms'])).toMatchObject({
      code: 2,
      stderr: 'zps: setting retention.ms is named twice: set or unset it once\n',
    });
    expect((await zps(['topics', 'describe', t])).stdout).toMatch(new RegExp(`^topic ${t}: 3 partitions, 0 messages\n(.*\n){4}max.message.bytes=3000\n$`));
    expect(await zps(['publish', t, 'x'.repeat(4000)])).toMatchObject({ code: 2 });
    expect(await zps(['topics', 'delete', t, '--json'])).toMatchObject({ code: 0, stdout: `{"topic":"${t}","deleted":true}\n` });
    expect(await zps(['topics', 'delete', t])).toMatchObject({
      code: 1,
      stderr: `zps: cannot delete: topic ${t} does not exist\npass --if-exists to accept a missing topic\n`,
    });
  });

  it('consume -f ends at an interrupt, exit 0', async () => {
    const t = unique('t');
    await zps(['publish', t, 'first']);
    const io = testIo();
    const running = runZps(['node', 'zps', 'consume', t, '-f'], io, (settings) => toolsFor({ ...settings, inProcess: true }));
    while (!io.output().stdout.toString().includes('first')) await new Promise((resolve) => setTimeout(resolve, 5));
    io.interrupt();
    expect(await running).toBe(0);
  });
});
