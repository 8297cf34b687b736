import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnOnTty as spawnOnTerminal } from '../helpers/tty.js';
import { cleanEnv, collect, privateSocket, ZPS_BIN, zps, zpsRaw } from '../helpers/zps.js';
import { unique, waitFor } from '../helpers/wait.js';

let socket: string;
let cleanup: () => void;
beforeAll(() => ({ socket, cleanup } = privateSocket()));
afterAll(() => cleanup());

/** zps on a pseudo-terminal (helpers/tty.ts), with this file's daemon. */
function spawnOnTty(args: string[], env: NodeJS.ProcessEnv = {}, typing = false) {
  return spawnOnTerminal(args, { ZPS_SOCKET: socket, ...env }, typing);
}

/** Runs zps on a pseudo-terminal to its end. */
function onTty(args: string[], env: NodeJS.ProcessEnv = {}) {
  return collect(spawnOnTty(args, env));
}

const ANSI = /\x1b\[[0-9;]*m/;
const lines = (text: string) =>
  text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);

describe('on a terminal', () => {
  it('consume shows partition/offset and key, colored; a pipe gets the bare value', async () => {
    const t = unique('tty');
    await zps(socket, ['publish', t, '-k', 'user-7', 'hello']);
    const tty = await onTty(['consume', t]);
    expect(tty.code).toBe(0);
    expect(tty.stdout).toMatch(ANSI);
    expect(tty.stdout.replace(/\x1b\[[0-9;]*m/g, '').trim()).toBe('0/0 user-7 hello');
    expect((await zps(socket, ['consume', t])).stdout).toBe('hello\n');
  });

  it('shows the type and headers after the key, and the topic when several are read', async () => {
    const t = unique('tty');
    await zps(socket, ['publish', t, '-k', 'user-7', '-t', 'order', '-H', 'region=eu', '-H', 'trace=1', '{"id": 1}']);
    await zps(socket, ['publish', `${t}-2`, 'plain']);
    const one = await onTty(['consume', t]);
    expect(one.stdout.replace(/\x1b\[[0-9;]*m/g, '').trim()).toBe('0/0 user-7 [order] region=eu,trace=1 {"id":1}');
    const several = await onTty(['consume', t, `${t}-2`]);
    expect(lines(several.stdout.replace(/\x1b\[[0-9;]*m/g, '')).sort()).toEqual([`${t} 0/0 user-7 [order] region=eu,trace=1 {"id":1}`, `${t}-2 0/0 plain`]);
    expect((await zps(socket, ['consume', t])).stdout).toBe('{"id":1}\n'); // a pipe stays as it was
  });

  it('escape sequences in keys, header names and values and the type never reach the terminal; a pipe keeps their bytes', async () => {
    const t = unique('tty');
    const [key, name, value, type] = ['k\x1b[2J', 'h\x1b[31m', 'v\x9b2J', 'ty\x1b]0;pwned\x07'];
    await zps(socket, ['publish', t, '-k', key, '-t', type, '-H', `${name}=${value}`, '-H', 'plain=ok', 'clear\x1b[2Jed']);
    const tty = await onTty(['consume', t, '--no-color']);
    expect(tty.code).toBe(0);
    expect(tty.stdout).not.toMatch(/\x1b|\x07|\u009b/);
    const b64 = (text: string) => `base64:${Buffer.from(text).toString('base64')}`;
    expect(tty.stdout.trim()).toBe(`0/0 ${b64(key)} [${b64(type)}] ${b64(name)}=${b64(value)},plain=ok ${b64('clear\x1b[2Jed')}`);
    expect(await zpsRaw(socket, ['consume', t, '--format', '%k|%h|%y'])).toEqual(Buffer.from(`${key}|${name}=${value},plain=ok|${type}`));
  });

  it('NO_COLOR and --no-color turn colors off; FORCE_COLOR turns them on off a terminal', async () => {
    const t = unique('tty');
    await zps(socket, ['publish', t, '-k', 'k', 'v']);
    expect((await onTty(['consume', t], { NO_COLOR: '1' })).stdout).not.toMatch(ANSI);
    expect((await onTty(['consume', t, '--no-color'])).stdout).not.toMatch(ANSI);
    expect((await zps(socket, ['daemon', 'status'], { env: { FORCE_COLOR: '1' } })).stdout).toMatch(ANSI);
    expect((await zps(socket, ['daemon', 'status'])).stdout).not.toMatch(ANSI);
  });

  it('publish prints a summary on a terminal and nothing in a pipe', async () => {
    const t = unique('tty');
    const tty = await onTty(['publish', t, 'a', 'b', 'c']);
    expect(tty.stdout.replace(/\x1b\[[0-9;]*m/g, '')).toContain(`published 3 messages to ${t}`);
    expect(await zps(socket, ['publish', t, 'd'])).toMatchObject({ stdout: '', stderr: '' });
  });

  it('publish reading a terminal says so; Ctrl-D ends it, Ctrl-C is exit 130 saying what was published', async () => {
    const t = unique('tty');
    const typed = async (keys: string[]) => {
      const child = spawnOnTty(['publish', t], {}, true);
      let seen = '';
      child.stdout!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
      const result = collect(child);
      await waitFor(() => seen.includes(`zps: reading messages for ${t} from stdin, one per line; Ctrl-D ends`), 'the note on the terminal');
      for (const key of keys) {
        const before = (await zps(socket, ['count', t])).stdout;
        child.stdin!.write(key);
        if (key.endsWith('\n')) await waitFor(async () => (await zps(socket, ['count', t])).stdout !== before, `${key} published`);
      }
      const done = await result;
      child.stdin!.end();
      return { code: done.code, output: lines(seen.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '').replaceAll('^C', '')) }; // ^C: the terminal's echo
    };
    const ended = await typed(['one\n', '\x04']);
    expect(ended.code).toBe(0);
    expect(ended.output.at(-1)).toBe(`published 1 message to ${t}`);
    const interrupted = await typed(['two\n', 'three\n', '\x03']);
    expect(interrupted.code).toBe(130);
    expect(interrupted.output.slice(-2)).toEqual([
      `zps: publish to ${t} stopped at line 3: interrupted`,
      '2 messages published before the interrupt; line 3 and what follows it were not published',
    ]);
    expect(lines((await zps(socket, ['consume', t])).stdout)).toEqual(['one', 'two', 'three']);
    const nothing = await typed(['\x03']);
    expect(nothing.code).toBe(130);
    expect(nothing.output.slice(-2)).toEqual([`zps: publish to ${t} stopped at line 1: interrupted`, 'nothing was published']);
  });

  describe('a terminal that hangs up', () => {
    const hangUpTty = fileURLToPath(new URL('../helpers/hangup-tty.py', import.meta.url));
    /** zps on a pseudo-terminal that hangs up at `hangUp()`; resolves what it showed, its last line how zps ended. */
    function onHungUpTty(args: string[]) {
      const child = spawn('python3', [hangUpTty, process.execPath, ZPS_BIN, ...args], {
        env: cleanEnv({ ZPS_SOCKET: socket, TERM: 'xterm-256color' }),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let seen = '';
      child.stdout!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
      const ended = collect(child);
      return {
        seen: () => seen,
        type: (keys: string) => child.stdin!.write(keys),
        hangUp: async () => {
          child.stdin!.end();
          expect((await ended).code).toBe(0);
          return lines(seen);
        },
      };
    }

    it("while publish reads it: what it published stays, and zps ends of SIGHUP, not of an abort in Node's exit", async () => {
      const t = unique('hangup');
      const tty = onHungUpTty(['publish', t]);
      await waitFor(() => tty.seen().includes(`zps: reading messages for ${t} from stdin, one per line; Ctrl-D ends`), 'the note on the terminal');
      tty.type('one\ntwo\n');
      await waitFor(async () => ((await zps(socket, ['count', t])).stdout === '2\n' ? true : undefined), 'the typed lines to be published');
      // Node 20's exit, resetting the terminal that is gone, aborts: signal 6 or 11
      expect((await tty.hangUp()).at(-1)).toBe('signal 1');
      expect(lines((await zps(socket, ['consume', t])).stdout)).toEqual(['one', 'two']);
    });

    it("while consume -f prints to it: zps ends of SIGHUP, not of an abort in Node's exit", async () => {
      const t = unique('hangup');
      await zps(socket, ['publish', t], { input: Array.from({ length: 100_000 }, (_, i) => `line ${i}`).join('\n') });
      const tty = onHungUpTty(['consume', t, '-f']);
      await waitFor(() => tty.seen().includes('line 0'), 'the first lines on the terminal');
      expect((await tty.hangUp()).at(-1)).toBe('signal 1');
    });
  });

  it('shows a spinner while starting the daemon, only on a terminal', async () => {
    const fresh = privateSocket();
    try {
      const child = spawn('script', ['-qfec', `stty cols 100 rows 30; ${process.execPath} ${ZPS_BIN} count t`, '/dev/null'], {
        env: cleanEnv({ ZPS_SOCKET: fresh.socket, TERM: 'xterm-256color' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const result = await collect(child);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('starting the local daemon');
      expect(result.stdout.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '')).toMatch(/0\s*$/);
      // and never in a pipe
      const again = privateSocket();
      expect((await zps(again.socket, ['count', 't'])).stderr).toBe('');
      again.cleanup();
    } finally {
      fresh.cleanup();
    }
  });
});
