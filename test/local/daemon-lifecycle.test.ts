import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { feeder, privateSocket, RunningZps, zps } from '../helpers/zps.js';
import { waitFor } from '../helpers/wait.js';

const daemons: Array<() => void> = [];
afterEach(() => {
  while (daemons.length) daemons.pop()!();
});
function fresh() {
  const d = privateSocket();
  daemons.push(d.cleanup);
  return d;
}

async function statusOf(socket: string) {
  const result = await zps(socket, ['daemon', 'status', '--json']);
  return { code: result.code, ...(JSON.parse(result.stdout || '{}') as Record<string, unknown>) };
}

/** Alive and not a zombie (a detached daemon's parent may not reap it here). */
function pidAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('zps daemon', () => {
  it('status exits 1 when none runs; start is idempotent; status shows it; stop stops it', async () => {
    const { socket } = fresh();
    const none = await zps(socket, ['daemon', 'status']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^zps: no zps daemon is running on .*broker\.sock\n/);
    expect(await statusOf(socket)).toMatchObject({ code: 1, running: false });

    expect(await zps(socket, ['daemon', 'start'])).toMatchObject({ code: 0, stdout: '' });
    const first = await statusOf(socket);
    expect(first).toMatchObject({ code: 0, running: true, socket, topics: 0, messages: 0 });
    expect(typeof first.pid).toBe('number');
    expect(first.version).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    expect(await zps(socket, ['daemon', 'start'])).toMatchObject({ code: 0 });
    expect((await statusOf(socket)).pid).toBe(first.pid);

    await zps(socket, ['publish', 'orders', 'a', 'b']);
    const text = await zps(socket, ['daemon', 'status']);
    expect(text.code).toBe(0);
    for (const field of ['pid', 'version', 'uptime', 'socket', 'topics', 'messages', 'memory'])
      expect(text.stdout).toMatch(new RegExp(`^${field}\\s+\\S`, 'm'));
    expect(text.stdout).toMatch(/^messages\s+2$/m);

    expect(await zps(socket, ['daemon', 'stop'])).toMatchObject({ code: 0 });
    await waitFor(() => !pidAlive(first.pid as number), 'the daemon to exit');
    expect((await zps(socket, ['daemon', 'status'])).code).toBe(1);
    expect(await zps(socket, ['daemon', 'stop'])).toMatchObject({ code: 0 }); // stopping nothing is fine
  });

  it('any local command starts the daemon on first use, unless ZPS_NO_AUTOSTART=1', async () => {
    const { socket } = fresh();
    const refused = await zps(socket, ['count', 't'], { env: { ZPS_NO_AUTOSTART: '1' } });
    expect(refused.code).toBe(1);
    expect(refused.stderr.split('\n')).toEqual([
      `zps: no local daemon is running on ${socket}`,
      'start one with "zps daemon start", or unset ZPS_NO_AUTOSTART',
      '',
    ]);
    expect(await zps(socket, ['count', 't'])).toMatchObject({ code: 0, stdout: '0\n', stderr: '' });
    expect((await statusOf(socket)).running).toBe(true);
  });

  it('10 simultaneous first commands start exactly one daemon and all succeed', async () => {
    const { socket } = fresh();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => zps(socket, ['publish', 'race', `m${i}`])));
    for (const result of results) expect(result).toMatchObject({ code: 0, stderr: '' });
    expect((await zps(socket, ['count', 'race'])).stdout).toBe('10\n');
    const log = readFileSync(`${socket}.log`, 'utf8');
    expect(log.match(/listening on/g)).toHaveLength(1);
  });

  it('recovers from kill -9: the next command starts a new daemon on the stale socket', async () => {
    const { socket } = fresh();
    await zps(socket, ['publish', 't', 'x']);
    const { pid } = await statusOf(socket);
    process.kill(pid as number, 'SIGKILL');
    await waitFor(() => !pidAlive(pid as number), 'the daemon to die');
    const after = await zps(socket, ['publish', 't', 'y']);
    expect(after).toMatchObject({ code: 0, stderr: '' });
    const status = await statusOf(socket);
    expect(status.pid).not.toBe(pid);
    expect((await zps(socket, ['count', 't'])).stdout).toBe('1\n'); // memory is gone with the old one
  });

  it('a publish whose daemon stops midway fails, saying its acknowledged messages went with it, instead of going on with a new daemon', async () => {
    const { socket } = fresh();
    const publisher = new RunningZps(socket, ['publish', 't']);
    publisher.child.stdin!.write('m1\nm2\n');
    await waitFor(async () => (await zps(socket, ['count', 't'])).stdout === '2\n', 'both acknowledged');
    expect((await zps(socket, ['daemon', 'stop'])).code).toBe(0);
    publisher.child.stdin!.end('m3\nm4\n');
    const result = await publisher.result;
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `zps: publish to t failed at line 3: the local daemon at ${socket} stopped: 2 messages it had acknowledged went with it\nnothing of this publish is kept: publish it again\n`,
    );
    expect((await zps(socket, ['count', 't'])).stdout).toBe('0\n'); // nothing went to the daemon started since

    // stopped under a flood, with batches in flight: the same
    const flooding = new RunningZps(socket, ['publish', 'flood']);
    const fed = feeder(flooding, { linesPerTick: 10_000, tickMs: 0 });
    await waitFor(async () => Number((await zps(socket, ['count', 'flood'])).stdout) > 0, 'some acknowledged', 30_000);
    expect((await zps(socket, ['daemon', 'stop'])).code).toBe(0);
    const flooded = await flooding.result;
    fed.stop();
    expect(flooded.code).toBe(1);
    expect(flooded.stderr).toMatch(
      /^zps: publish to flood failed at line \d+: the local daemon at .* stopped: \d+ messages it had acknowledged went with it\nnothing of this publish is kept: publish it again\n$/,
    );
  });

  it('never removes a file at the socket path that is not a socket (a mistyped --socket): exit 2 naming it', async () => {
    const { socket } = fresh();
    writeFileSync(socket, 'notes of mine\n');
    for (const args of [
      ['publish', 't', 'x'],
      ['daemon', 'start'],
    ]) {
      expect(await zps(socket, args)).toMatchObject({
        code: 2,
        stderr: `zps: ${socket} is not a socket: zps will not remove it; name another --socket (ZPS_SOCKET)\n`,
      });
    }
    expect(readFileSync(socket, 'utf8')).toBe('notes of mine\n');
  });

  it('creates the socket directory 0700 and the socket 0600', async () => {
    const { dir } = fresh();
    const socket = join(dir, 'nested', 'broker.sock');
    daemons.push(() => void zps(socket, ['daemon', 'stop']));
    expect((await zps(socket, ['daemon', 'start'])).code).toBe(0);
    expect(statSync(join(dir, 'nested')).mode & 0o777).toBe(0o700);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect(statSync(`${socket}.log`).mode & 0o777).toBe(0o600);
    await zps(socket, ['daemon', 'stop']);
  });

  it('refuses a socket directory that others can open, or that is a symlink', async () => {
    const base = mkdtempSync(join(tmpdir(), 'zps-perm-'));
    try {
      const open = join(base, 'open');
      mkdirSync(open);
      chmodSync(open, 0o755);
      const loose = await zps(join(open, 's.sock'), ['count', 't']);
      expect(loose.code).toBe(1);
      expect(loose.stderr).toMatch(/^zps: refusing socket directory .*open: others can access it \(mode 755\); it must be 700\n/);

      const real = join(base, 'real');
      mkdirSync(real, { mode: 0o700 });
      symlinkSync(real, join(base, 'link'));
      const linked = await zps(join(base, 'link', 's.sock'), ['count', 't']);
      expect(linked.code).toBe(1);
      expect(linked.stderr).toMatch(/^zps: refusing socket directory .*link: it is a symbolic link\n/);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('refuses a socket path too long for a Unix socket', async () => {
    const result = await zps(join(tmpdir(), 'x'.repeat(120), 's.sock'), ['count', 't']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^zps: socket path is too long/);
  });

  it('--max-memory refuses publishes past the cap with a clear error; the daemon keeps serving', async () => {
    const { socket } = fresh();
    expect((await zps(socket, ['daemon', 'start', '--max-memory', '4MiB'])).code).toBe(0);
    const total = 80_000;
    const lines = Array.from({ length: total }, (_, i) => `{"i":${i},"pad":"${'p'.repeat(40)}"}`).join('\n');
    const result = await zps(socket, ['publish', 'full'], { input: lines });
    expect(result.code).toBe(1);
    // said once: the batches in flight behind the refused one are covered by the report
    const [error, hint, ...rest] = result.stderr.split('\n');
    expect(error).toMatch(/^zps: publish to full failed at line \d+: broker memory is full: .* of 4 MiB used$/);
    expect(rest.filter(Boolean)).toEqual([]);
    // what the report says was published is what the broker holds: everything before the refused
    // batch, or (when a smaller batch in flight behind it still fitted) all but the lines it names
    const before = /^(\d+) messages published before the failure; line \d+ and what follows it were not published$/.exec(hint!);
    const missing = /^not published: lines (\d+-\d+(?:, \d+-\d+)*)(?: and from line (\d+) on)?; every other message was$/.exec(hint!);
    expect(before ?? missing, hint).toBeTruthy();
    const ranges = (missing?.[1].split(', ') ?? []).map((range) => range.split('-').map(Number) as [number, number]);
    if (missing?.[2]) ranges.push([Number(missing[2]), total]);
    const unpublished = ranges.reduce((sum, [first, last]) => sum + last - first + 1, 0);
    const published = before ? Number(before[1]) : total - unpublished;
    expect((await zps(socket, ['count', 'full'])).stdout).toBe(`${published}\n`);
    expect(published).toBeGreaterThan(0);
    expect(await zps(socket, ['reset', 'full'])).toMatchObject({ code: 0 });
    expect(await zps(socket, ['publish', 'full', 'fits-again'])).toMatchObject({ code: 0 });
  });

  it("a huge partition count is refused at once as Kafka's controller refuses it; the daemon and its messages stay", async () => {
    const { socket } = fresh();
    expect(await zps(socket, ['publish', 'kept', 'before'])).toMatchObject({ code: 0 });
    const { pid } = await statusOf(socket);
    const huge = await zps(socket, ['publish', 'boom', '--partitions', '5000000', 'x']);
    expect(huge.code).toBe(1);
    expect(huge.stderr).toBe(
      'zps: cannot create topic boom with 5000000 partitions: excessively large number of partitions per request (Kafka creates at most 9999 a topic)\n',
    );
    const oneTooMany = await zps(socket, ['publish', 'boom', '--partitions', '10000', 'x']);
    expect(oneTooMany.code).toBe(1);
    expect(oneTooMany.stderr).toMatch(/^zps: cannot create topic boom with 10000 partitions: unable to perform excessively large batch operation /);
    expect(await zps(socket, ['publish', 'boom', '--partitions', '9999', 'x'])).toMatchObject({ code: 0 });
    expect(await statusOf(socket)).toMatchObject({ pid, topics: 2, messages: 2 });
    expect((await zps(socket, ['consume', 'kept'])).stdout).toBe('before\n');
  });

  it('--max-memory counts topics and partitions: past it a new topic is refused, the daemon and its messages stay', async () => {
    const { socket } = fresh();
    expect((await zps(socket, ['daemon', 'start', '--max-memory', '10MiB'])).code).toBe(0);
    expect(await zps(socket, ['publish', 'kept', 'before'])).toMatchObject({ code: 0 });
    const { pid } = await statusOf(socket);
    // a topic and each of its partitions count 1 KiB: 10 MiB holds 5 topics of 2,000 partitions
    let created = 0;
    let refused: Awaited<ReturnType<typeof zps>> | undefined;
    while (!refused && created < 20) {
      const result = await zps(socket, ['publish', `wide-${created}`, '--partitions', '2000', 'x']);
      if (result.code === 0) created++;
      else refused = result;
    }
    expect(created).toBe(5);
    expect(refused?.code).toBe(1);
    expect(refused?.stderr.split('\n')[0]).toMatch(/^zps: broker memory is full: [\d.]+ MiB of 10 MiB used$/);
    const status = await statusOf(socket);
    expect(status).toMatchObject({ pid, topics: created + 1, messages: created + 1 });
    expect(status.storedBytes).toBeGreaterThan(created * 2000 * 1024);
    expect(status.storedBytes).toBeLessThanOrEqual(10 * 1024 ** 2);
    expect((await zps(socket, ['daemon', 'status'])).stdout).toMatch(/memory\s+[\d.]+ MiB used of 10 MiB allowed/);
    expect((await zps(socket, ['consume', 'kept'])).stdout).toBe('before\n');
    // what the cap keeps free is free again once the topics are gone (a reset empties them, as Kafka's, and keeps their partitions)
    expect(await zps(socket, ['topics', 'delete', 'wide-0', 'wide-1'])).toMatchObject({ code: 0 });
    expect(await zps(socket, ['publish', 'wide-again', '--partitions', '2000', 'x'])).toMatchObject({ code: 0 });
  });

  it('start against a running daemon with other limits or listener says so (exit 1) and changes nothing; with its own it is a no-op', async () => {
    const { socket } = fresh();
    expect(await zps(socket, ['daemon', 'start', '--retention-messages', '3', '--kafka', '127.0.0.1:0'])).toMatchObject({ code: 0 });
    const { pid, kafka, maxMemoryBytes } = await statusOf(socket);
    const hint = 'a running daemon keeps its own: stop it with "zps daemon stop" (its messages go with it), then start it with these';
    const refused = (settings: string) => ({
      code: 1,
      stdout: '',
      stderr: `zps: the zps daemon (pid ${pid}) on ${socket} is running with other settings: ${settings}\n${hint}\n`,
    });
    expect(await zps(socket, ['daemon', 'start', '--max-memory', '1MiB'])).toEqual({ ...refused('max memory 2 GiB (asked 1 MiB)'), signal: null });
    expect(await zps(socket, ['daemon', 'start', '--retention-messages', '5', '--retention-bytes', '64MiB'])).toEqual({
      ...refused('retention messages 3 (asked 5), retention bytes none (asked 64 MiB)'),
      signal: null,
    });
    expect(await zps(socket, ['daemon', 'start', '--kafka', '127.0.0.1:1'])).toEqual({
      ...refused(`Kafka listener ${kafka} (asked 127.0.0.1:1)`),
      signal: null,
    });
    // the same settings, or none, or any port on its host: idempotent
    expect(await zps(socket, ['daemon', 'start'])).toMatchObject({ code: 0, stderr: '' });
    expect(await zps(socket, ['daemon', 'start', '--retention-messages', '3', '--kafka', kafka as string, '--max-memory', '2GiB'])).toMatchObject({
      code: 0,
      stderr: '',
    });
    expect(await zps(socket, ['daemon', 'start', '--kafka', '127.0.0.1:0'])).toMatchObject({ code: 0, stderr: '' });
    // nothing changed: the same daemon, its cap and its retention
    expect(await statusOf(socket)).toMatchObject({ pid, kafka, maxMemoryBytes });
    await zps(socket, ['publish', 'r', '1', '2', '3', '4', '5']);
    expect((await zps(socket, ['consume', 'r'])).stdout).toBe('3\n4\n5\n');
  });

  it('--retention-messages keeps only the newest messages of each partition', async () => {
    const { socket } = fresh();
    await zps(socket, ['daemon', 'start', '--retention-messages', '3']);
    await zps(socket, ['publish', 'r', '1', '2', '3', '4', '5']);
    expect((await zps(socket, ['consume', 'r'])).stdout).toBe('3\n4\n5\n');
    expect((await zps(socket, ['consume', 'r', '--format', '%o '])).stdout).toBe('2 3 4 ');
  });

  it('run keeps it in the foreground until SIGTERM, then removes its socket', async () => {
    const { socket } = fresh();
    const foreground = new RunningZps(socket, ['daemon', 'run']);
    await waitFor(async () => (await statusOf(socket)).running, 'the daemon to answer');
    expect((await statusOf(socket)).pid).toBe(foreground.child.pid);
    foreground.child.kill('SIGTERM');
    const result = await foreground.result;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/listening on/);
    expect(() => statSync(socket)).toThrow();
  });
});
