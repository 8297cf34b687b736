/**
 * One-shot commands the local daemon runs for the client (bin/run-in-daemon.cjs, src/cli/one-shot.ts):
 * they must print, exit and stop exactly as when the client runs them itself (ZPS_NO_DAEMON_RUN=1),
 * and the daemon must decline whatever would run differently in it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, cpSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, collect, privateSocket, RunningZps, spawnZps, ZPS_BIN, zps, type RunOptions } from '../helpers/zps.js';
import { unique, waitFor } from '../helpers/wait.js';

const { socket, cleanup } = privateSocket();
beforeAll(async () => expect((await zps(socket, ['daemon', 'start'])).code).toBe(0));
afterAll(cleanup);

const HERE = { ZPS_NO_DAEMON_RUN: '1' };

async function commandsRun(): Promise<number> {
  return JSON.parse((await zps(socket, ['daemon', 'status', '--json'])).stdout).commandsRun as number;
}

/** Runs `args` by the daemon, then in the client: both must end alike; resolves the daemon's run and whether the daemon ran it. */
async function bothWays(args: string[], options: RunOptions = {}) {
  const before = await commandsRun();
  const byDaemon = await zps(socket, args, options);
  const ranByDaemon = (await commandsRun()) - before === 1;
  const here = await zps(socket, args, { ...options, env: { ...options.env, ...HERE } });
  expect(byDaemon).toEqual(here);
  return { ...byDaemon, ranByDaemon };
}

describe('one-shot commands run by the local daemon', () => {
  it('count, publish with values and consume -n print and exit as when run in the client', async () => {
    const [t, other] = [unique('oneshot'), unique('oneshot')];
    const before = await commandsRun();
    const publish = ['--json', '-k', 'k1', '-H', 'h=1', 'a', 'b'];
    const published = await zps(socket, ['publish', t, ...publish]);
    expect(await commandsRun()).toBe(before + 1);
    const publishedHere = await zps(socket, ['publish', other, ...publish], { env: HERE });
    expect({ ...published, stdout: published.stdout.replaceAll(t, 'T') }).toEqual({ ...publishedHere, stdout: publishedHere.stdout.replaceAll(other, 'T') });
    expect(published.stdout).toContain(`{"topic":"${t}","partition":0,"offset":1,"key":"k1"}`);
    expect(await bothWays(['count', t, 'missing-topic'])).toMatchObject({ code: 0, stdout: `${t}\t2\nmissing-topic\t0\n`, ranByDaemon: true });
    expect(await bothWays(['count', t, '--expect', '9'])).toMatchObject({ code: 1, stderr: `zps: expected 9 messages in ${t}, found 2\n`, ranByDaemon: true });
    expect(await bothWays(['consume', t, '-n', '2', '--format', '%o %k %h %s\\n'])).toMatchObject({
      code: 0,
      stdout: '0 k1 h=1 a\n1 k1 h=1 b\n',
      ranByDaemon: true,
    });
    expect(await bothWays(['consume', t, '-n', '1', '--json', '-o', '-1'])).toMatchObject({ code: 0, ranByDaemon: true });
    const late = await bothWays(['consume', t, '-n', '9', '--timeout', '300ms']);
    expect(late).toMatchObject({ code: 3, ranByDaemon: true });
    expect(late.stderr).toContain('received 2 of 9');
  });

  it('declines what would run differently in it: stdin, --follow, a group, a wait, usage errors, another home, patterns; the client runs them', async () => {
    const t = unique('declined');
    await zps(socket, ['publish', t, 'a']);
    const before = await commandsRun();
    expect(await zps(socket, ['publish', t], { input: 'b\nc\n' })).toMatchObject({ code: 0 });
    expect(await zps(socket, ['publish', t, '-'], { input: 'd\n' })).toMatchObject({ code: 0 });
    expect(await zps(socket, ['consume', t])).toMatchObject({ code: 0, stdout: 'a\nb\nc\nd\n' });
    expect(await zps(socket, ['consume', t, '-n', '1', '-g', unique('g')])).toMatchObject({ code: 0, stdout: 'a\n' });
    expect(await zps(socket, ['count', t, '--expect', '4', '--wait', '1s'])).toMatchObject({ code: 0, stdout: '4\n' });
    expect(await zps(socket, ['publish'])).toMatchObject({ code: 2, stderr: expect.stringContaining("missing required argument 'topic'") });
    expect(await zps(socket, ['count', t], { env: { TZ: 'Pacific/Auckland' } })).toMatchObject({ code: 0, stdout: '4\n' });
    expect(await zps(socket, ['count', t], { env: { HOME: 'relative/home' } })).toMatchObject({ code: 0, stdout: '4\n' });
    expect(await zps(socket, ['consume', t, '-n', '1', '--grep', '^(a+)+$'])).toMatchObject({ code: 0, stdout: 'a\n' });
    expect(await zps(socket, ['count', '--regex', `^${t}$`])).toMatchObject({ code: 0, stdout: `${t}\t4\n` });
    expect(await commandsRun()).toBe(before);
  });

  it('Ctrl-C or a hangup while a consume -n waits: it ends as in the client (the interrupt reaches the command in the daemon)', async () => {
    const t = unique('interrupt');
    await zps(socket, ['publish', t, 'a']);
    const before = await commandsRun();
    for (const signal of ['SIGINT', 'SIGHUP'] as const) {
      const endings = [];
      for (const env of [{}, HERE]) {
        const waiting = new RunningZps(socket, ['consume', t, '-n', '2'], env);
        await waiting.waitForLines(1);
        waiting.child.kill(signal);
        endings.push(await waiting.result);
      }
      expect(endings[0]).toEqual(endings[1]);
      // a hangup ends the process of the signal once the command stopped, as its shell expects
      expect(endings[0]).toMatchObject(signal === 'SIGHUP' ? { code: null, signal, stdout: 'a\n' } : { code: 0, stdout: 'a\n' });
    }
    expect(await commandsRun()).toBe(before + 2);
  });

  it('a client killed while its consume -n waits: the command ends in the daemon too', async () => {
    const t = unique('killed');
    await zps(socket, ['publish', t, 'a']);
    const waiting = new RunningZps(socket, ['consume', t, '-n', '2']);
    await waiting.waitForLines(1);
    expect(JSON.parse((await zps(socket, ['daemon', 'status', '--json'])).stdout).commandsRunning).toBe(1);
    waiting.child.kill('SIGKILL');
    await waiting.result;
    await waitFor(
      async () => (JSON.parse((await zps(socket, ['daemon', 'status', '--json'])).stdout).commandsRunning === 0 ? true : undefined),
      'the command to end',
    );
  });

  it('a closed pipe stops a long consume -n at once, exit 0 and no message, as in the client', async () => {
    const t = unique('pipe');
    await zps(socket, ['publish', t], { input: Array.from({ length: 100_000 }, (_, i) => `line ${i}`).join('\n') });
    for (const env of [{}, HERE]) {
      const child = spawnZps(socket, ['consume', t, '-n', '100000'], env);
      let first = '';
      child.stdout!.once('data', (chunk: Buffer) => {
        first = chunk.toString().split('\n')[0]!;
        child.stdout!.destroy(); // as `| head -1` does
      });
      const ended = await collect(child);
      expect({ code: ended.code, stderr: ended.stderr, first }).toEqual({ code: 0, stderr: '', first: 'line 0' });
    }
  });

  it('a stdout that cannot be written (a full disk): one line and exit 1, in the daemon and in the client', async () => {
    const t = unique('full');
    await zps(socket, ['publish', t, 'a']);
    for (const env of [{}, HERE]) {
      const full = openSync('/dev/full', 'w');
      const child = spawn(process.execPath, [ZPS_BIN, 'consume', t, '-n', '1'], {
        env: cleanEnv({ ZPS_SOCKET: socket, ...env }),
        stdio: ['ignore', full, 'pipe'],
      });
      closeSync(full);
      expect(await collect(child)).toMatchObject({ code: 1, stderr: 'zps: cannot write to stdout: ENOSPC: no space left on device, write\n' });
    }
  });

  it('the daemon stopped while it runs the command: one line, exit 1', async () => {
    const own = privateSocket();
    try {
      await zps(own.socket, ['daemon', 'start']);
      await zps(own.socket, ['publish', 'waiting', 'a']);
      const waiting = new RunningZps(own.socket, ['consume', 'waiting', '-n', '2']);
      await waiting.waitForLines(1);
      await zps(own.socket, ['daemon', 'stop']);
      expect(await waiting.result).toMatchObject({ code: 1, stdout: 'a\n', stderr: 'zps: the local daemon stopped while it ran the command\n' });
    } finally {
      own.cleanup();
    }
  });

  it('a request that is not one closes its connection only; the daemon goes on', async () => {
    const build = readFileSync(fileURLToPath(new URL('../../dist/cli-build', import.meta.url)), 'utf8').trim();
    const streams = { stdout: { tty: false, columns: 0 }, stderr: { tty: false, columns: 0 } };
    const requests = [
      '{not json',
      'null',
      '[]',
      JSON.stringify({ build, args: 'count', env: {}, ...streams }),
      JSON.stringify({ build, args: ['count', 5], env: {}, ...streams }),
      JSON.stringify({ build, args: ['count'], env: { ZPS_TIMEOUT: 5 }, ...streams }),
      JSON.stringify({ build, args: ['count'], env: {}, stdout: null, stderr: streams.stderr }),
    ];
    for (const request of requests) {
      const frames = await new Promise<Buffer>((resolve) => {
        const conn = connect(socket, () => conn.write(`ZPS-RUN 1\n${request}\n`));
        const chunks: Buffer[] = [];
        conn.on('data', (chunk) => chunks.push(chunk));
        conn.on('error', () => {});
        conn.on('close', () => resolve(Buffer.concat(chunks)));
      });
      expect(frames.byteLength, request).toBe(0);
    }
    expect(await zps(socket, ['count', 'nothing-here'])).toMatchObject({ code: 0, stdout: '0\n' });
  });

  it('a request whose client is gone, or withdrew it, before the daemon admits it never runs', async () => {
    const build = readFileSync(fileURLToPath(new URL('../../dist/cli-build', import.meta.url)), 'utf8').trim();
    const streams = { stdout: { tty: false, columns: 0 }, stderr: { tty: false, columns: 0 } };
    const { pid } = JSON.parse((await zps(socket, ['daemon', 'status', '--json'])).stdout) as { pid: number };
    const t = unique('gone');
    const before = await commandsRun();
    for (const ending of ['close', 'withdraw'] as const) {
      const request = JSON.stringify({ build, args: ['publish', t, 'x'], env: cleanEnv({ ZPS_SOCKET: socket }), ...streams });
      // the daemon busy (stopped) while the request comes and the client goes or withdraws it
      process.kill(pid, 'SIGSTOP');
      const frames = await new Promise<Buffer>((resolve) => {
        const conn = connect(socket, () => {
          conn.write(`ZPS-RUN 1\n${request}\n`);
          // once the end or the withdrawal is sent (end's callback comes after the shutdown)
          const resume = () => process.kill(pid, 'SIGCONT');
          if (ending === 'close') conn.end(resume);
          else conn.write('w', resume);
        });
        const chunks: Buffer[] = [];
        conn.on('data', (chunk) => chunks.push(chunk));
        conn.on('error', () => {});
        conn.on('close', () => resolve(Buffer.concat(chunks)));
      });
      if (ending === 'withdraw') expect(frames.toString('latin1')).toBe('d\0\0\0\0'); // declined: the client may run it itself
      expect(await commandsRun(), ending).toBe(before);
    }
    expect(await commandsRun()).toBe(before);
    expect(await zps(socket, ['count', t])).toMatchObject({ code: 0, stdout: '0\n' });
  });

  it('Ctrl-C on a consume -n whose stdout is not read: it ends at once, without waiting for the reader, as in the client', async () => {
    const t = unique('stalled');
    await zps(socket, ['publish', t], { input: Array.from({ length: 100_000 }, (_, i) => `line ${i}`).join('\n') });
    const endings = [];
    for (const env of [{}, HERE]) {
      const dir = mkdtempSync(join(tmpdir(), 'zps-fifo-'));
      const fifo = join(dir, 'stdout');
      execFileSync('mkfifo', [fifo]);
      // a reader that reads the first bytes, then nothing (as `| less` does), holding the pipe open
      const readEnd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      const writeEnd = openSync(fifo, 'w');
      const child = spawn(process.execPath, [ZPS_BIN, 'consume', t, '-n', '100000'], {
        env: cleanEnv({ ZPS_SOCKET: socket, ...env }),
        stdio: ['ignore', writeEnd, 'pipe'],
      });
      closeSync(writeEnd);
      const ended = collect(child);
      await waitFor(() => readSome(readEnd), 'the first output');
      child.kill('SIGINT');
      const { code, signal, stderr } = await ended; // without the reader reading on or going away
      endings.push({ code, signal, stderr });
      closeSync(readEnd);
      rmSync(dir, { recursive: true });
    }
    // exit 0 when the command heard the interrupt (and dropped the rest); when it had already ended
    // (its output all sent, here or to the client), the process dies of the signal while it drains
    for (const ending of endings)
      expect([
        { code: 0, signal: null, stderr: '' },
        { code: null, signal: 'SIGINT', stderr: '' },
      ]).toContainEqual(ending);
  });

  it('a client of another build runs the command itself', async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const copy = mkdtempSync(join(tmpdir(), 'zps-build-'));
    try {
      cpSync(join(root, 'bin'), join(copy, 'bin'), { recursive: true });
      cpSync(join(root, 'dist'), join(copy, 'dist'), { recursive: true });
      cpSync(join(root, 'package.json'), join(copy, 'package.json'));
      symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
      writeFileSync(join(copy, 'dist', 'cli-build'), 'another\n');
      const t = unique('build');
      const before = await commandsRun();
      const result = await collect(spawnZps(socket, ['publish', t, 'x'], {}, join(copy, 'bin', 'zps.cjs')));
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(await commandsRun()).toBe(before);
      expect(await zps(socket, ['count', t])).toMatchObject({ stdout: '1\n' });
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

/** Whether a non-blocking read of `fd` got bytes (false while nothing was written yet). */
function readSome(fd: number): boolean {
  try {
    return readSync(fd, Buffer.alloc(1024)) > 0;
  } catch {
    return false; // EAGAIN
  }
}
