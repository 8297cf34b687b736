import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { packageFile } from '../package-files.js';
import { ZpsError } from '../pubsub/errors.js';
import { DaemonClient } from './client.js';
import type { Lock } from './lock.js';
import { daemonPaths, prepareSocketDir, removeStaleSocket, socketDirExists, type DaemonPaths } from './paths.js';
import type { DaemonConfig } from './run.js';

export interface ConnectOptions {
  socket: string;
  /** Start a daemon when none answers (ZPS_NO_AUTOSTART=1 turns it off). */
  autostart: boolean;
  timeoutMs: number;
  /** How to start a daemon, when this call starts one. */
  daemon?: DaemonConfig;
  /** Called once when this call is about to start a daemon (to show a spinner). */
  onStarting?: () => (() => void) | undefined;
}

const RETRY_MS = 15;

/**
 * Connects to the daemon on the socket, starting one when none answers: connect; on failure take
 * the lock, connect again, replace a stale socket or a daemon of another protocol, spawn detached,
 * wait until it answers hello, release the lock. Commands racing here start exactly one daemon.
 */
export async function connectDaemon(options: ConnectOptions): Promise<DaemonClient> {
  const paths = daemonPaths(options.socket);
  // Without autostart nothing is created: no daemon, no directory for one.
  if (options.autostart) prepareSocketDir(paths.socket);
  const deadline = Date.now() + options.timeoutMs;
  const existing = options.autostart || socketDirExists(paths.socket) ? await tryConnect(paths.socket) : undefined;
  if (existing?.compatible) return existing;
  if (!options.autostart) {
    existing?.close();
    throw new ZpsError(`no local daemon is running on ${paths.socket}`, { code: 'unavailable', reason: 'daemon-not-running' });
  }
  existing?.close();
  const { tryLock } = await import('./lock.js'); // hashing and locking: only when starting
  for (;;) {
    const lock = await tryLock(paths.socket, paths.lockFile);
    if (lock) return await startUnderLock(paths, lock, options, deadline);
    // Someone else is starting it: wait for it to answer.
    const client = await tryConnect(paths.socket);
    if (client?.compatible) return client;
    client?.close();
    if (Date.now() > deadline) throw startTimeout(paths);
    await delay(RETRY_MS);
  }
}

async function startUnderLock(paths: DaemonPaths, lock: Lock, options: ConnectOptions, deadline: number) {
  try {
    const running = await tryConnect(paths.socket);
    if (running?.compatible) return running;
    if (running) {
      // A daemon of another protocol version: stop it and take its place.
      await running.shutdown();
    }
    removeStaleSocket(paths.socket);
    const started = options.onStarting?.();
    try {
      return await waitForDaemon(paths, await spawnDaemon(paths, options.daemon ?? { limits: {} }), deadline);
    } finally {
      started?.();
    }
  } finally {
    await lock.release();
  }
}

async function waitForDaemon(paths: DaemonPaths, child: ChildProcess, deadline: number): Promise<DaemonClient> {
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < deadline) {
    const client = await tryConnect(paths.socket);
    if (client?.compatible) return client;
    client?.close();
    if (exited) throw new ZpsError(`the local daemon failed to start${lastWords(paths.log)}`, { hint: `see its log: ${paths.log}` });
    await delay(RETRY_MS);
  }
  throw startTimeout(paths);
}

async function spawnDaemon(paths: DaemonPaths, config: DaemonConfig): Promise<ChildProcess> {
  const { spawn } = await import('node:child_process'); // only the first command of a session needs it
  const log = openSync(paths.log, 'a', 0o600);
  try {
    const main = fileURLToPath(packageFile('dist/daemon-main.js'));
    const child = spawn(process.execPath, [main, paths.socket, JSON.stringify(config)], {
      detached: true,
      stdio: ['ignore', log, log],
      cwd: '/',
    });
    child.unref();
    return child;
  } finally {
    closeSync(log);
  }
}

/** What a daemon that failed to start said last (its "zps daemon: ..." line), as ": why". */
function lastWords(log: string): string {
  try {
    const line = readFileSync(log, 'utf8').trimEnd().split('\n').at(-1) ?? '';
    return line.startsWith('zps daemon: ') ? `: ${line.slice('zps daemon: '.length)}` : '';
  } catch {
    return '';
  }
}

/** A connected client, or undefined when nothing answers on the socket. */
export async function tryConnect(socket: string): Promise<DaemonClient | undefined> {
  try {
    return await DaemonClient.connect(socket);
  } catch (error) {
    if (error instanceof ZpsError) return undefined; // connected but closed during hello: not ready
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE') return undefined;
    throw new ZpsError(`cannot connect to the local daemon at ${socket}: ${(error as Error).message}`);
  }
}

function startTimeout(paths: DaemonPaths): ZpsError {
  return new ZpsError(`the local daemon did not answer on ${paths.socket} in time`, {
    hint: `see its log: ${paths.log}`,
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
