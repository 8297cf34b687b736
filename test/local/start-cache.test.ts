import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unique } from '../helpers/wait.js';
import { cleanEnv, privateSocket, ZPS_BIN, zps } from '../helpers/zps.js';

let socket: string;
let cleanup: () => void;
let cacheHome: string;
beforeAll(() => {
  ({ socket, cleanup } = privateSocket());
  cacheHome = mkdtempSync(join(tmpdir(), 'zps-cache-test-'));
});
afterAll(() => {
  cleanup();
  rmSync(cacheHome, { recursive: true, force: true });
});

// commands the daemon would run for the client load no bundle: run here, as without a daemon
const run = (args: string[], home = cacheHome) => zps(socket, args, { env: { XDG_CACHE_HOME: home, ZPS_NO_DAEMON_RUN: '1' } });
const cacheFiles = () => readdirSync(join(cacheHome, 'zps')).filter((name) => name.endsWith('.v8'));
const bundleCache = () => cacheFiles().find((name) => name.startsWith('bundle-'));
/** The commands a cache file was made after: the words before its 2-byte length, in each of the file's two copies. */
const commandsOf = (file: string) => {
  const kept = readFileSync(join(cacheHome, 'zps', file));
  const copy = kept.subarray(0, kept.length / 2);
  expect(kept.subarray(kept.length / 2).equals(copy)).toBe(true);
  const end = copy.length - 2;
  return copy.toString('latin1', end - copy.readUInt16LE(end), end).split(',');
};

describe("the bundle's code cache", () => {
  const topic = unique('cached');

  it('is written by the first run, in a directory only the user can access, and by the first run of each other command', async () => {
    expect(await run(['publish', topic, 'a', 'b'])).toMatchObject({ code: 0, stderr: '' });
    expect(statSync(join(cacheHome, 'zps')).mode & 0o777).toBe(0o700);
    const file = bundleCache();
    expect(file).toMatch(new RegExp(`^bundle-[0-9a-f]{16}-[0-9a-f]{1,8}-${process.version}-${process.arch}\\.v8$`));
    // the chunks a local command loads have theirs
    expect(cacheFiles().some((name) => name.startsWith('local_driver-'))).toBe(true);
    expect(commandsOf(file!)).toEqual(['publish']);
    expect(await run(['count', topic])).toMatchObject({ code: 0, stdout: '2\n', stderr: '' });
    expect(commandsOf(file!)).toEqual(['publish', 'count']);
    const written = statSync(join(cacheHome, 'zps', file!)).mtimeMs;
    expect(await run(['count', topic])).toMatchObject({ code: 0, stdout: '2\n', stderr: '' });
    // a cache V8 refused, or one whose copies differed, would have been written again
    expect(statSync(join(cacheHome, 'zps', file!)).mtimeMs).toBe(written);
    expect(cacheFiles().filter((name) => name.startsWith('bundle-'))).toEqual([file]);
  });

  it('damaged, is not used, and is written again', async () => {
    const file = join(cacheHome, 'zps', bundleCache()!);
    const damaged = readFileSync(file);
    for (let i = 100; i < damaged.length; i += 997) damaged[i]! ^= 0x5a;
    writeFileSync(file, damaged);
    expect(await run(['count', topic])).toMatchObject({ code: 0, stdout: '2\n', stderr: '' });
    expect(readFileSync(file).equals(damaged)).toBe(false);
    expect(await run(['count', topic])).toMatchObject({ code: 0, stdout: '2\n', stderr: '' });
    // one byte of the second copy only: the copies differ
    const secondCopy = readFileSync(file);
    secondCopy[secondCopy.length / 2 + 100]! ^= 0x5a;
    writeFileSync(file, secondCopy);
    expect(await run(['count', topic])).toMatchObject({ code: 0, stdout: '2\n', stderr: '' });
    expect(readFileSync(file).equals(secondCopy)).toBe(false);
  });

  it('is done without when the cache directory cannot be made', async () => {
    const notADirectory = join(cacheHome, 'a-file');
    writeFileSync(notADirectory, '');
    expect(await run(['count', topic], notADirectory)).toMatchObject({ code: 0, stdout: '2\n', stderr: '' });
  });
  it('is kept per checkout: another copy of the same build names its own files in stack traces', () => {
    const root = join(ZPS_BIN, '..', '..');
    const copy = mkdtempSync(join(tmpdir(), 'zps-checkout-'));
    try {
      for (const part of ['bin', 'dist', 'package.json']) cpSync(join(root, part), join(copy, part), { recursive: true });
      symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
      // --verbose prints the stack of a refused connection
      const args = ['count', 't', '-e', 'kafka', '-b', '127.0.0.1:1', '--timeout', '300ms', '--verbose'];
      const env = cleanEnv({ XDG_CACHE_HOME: cacheHome, ZPS_NO_DAEMON_RUN: '1' });
      for (const bin of [ZPS_BIN, join(copy, 'bin', 'zps.cjs'), join(copy, 'bin', 'zps.cjs')]) {
        const { stderr } = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
        const files = [...stderr.matchAll(/\((\/[^():]+\/dist\/zps[\w-]*\.cjs):\d+:\d+\)/g)].map((match) => match[1]!);
        expect(files.length, stderr).toBeGreaterThan(0);
        expect(files.filter((file) => !file.startsWith(join(bin, '..', '..', 'dist')))).toEqual([]);
      }
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
