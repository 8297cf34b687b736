import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

export const ZPS_BIN = fileURLToPath(new URL('../../bin/zps.cjs', import.meta.url));

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** A private socket in a fresh 0700 directory: each test talks to its own daemon. */
export function privateSocket(): { socket: string; dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'zps-test-'));
  const socket = join(dir, 'broker.sock');
  return {
    socket,
    dir,
    cleanup: () => {
      spawnSync(process.execPath, [ZPS_BIN, 'daemon', 'stop', '--socket', socket], { env: cleanEnv() });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The environment a user's script would have, without the zps settings of the machine running the tests. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(ZPS_|KAFKA_|ENV$|SCHEMA_REGISTRY_URL$|FORCE_COLOR$|NO_COLOR$)/.test(name)) env[name] = value;
  }
  return { ...env, ...extra };
}

/** Runs `zps args...` to completion, as a shell script would. */
export function zps(socket: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const child = spawnZps(socket, args, options.env);
  const done = collect(child);
  child.stdin!.on('error', () => {}); // the command may exit before reading all its input
  if (options.input !== undefined) child.stdin!.end(options.input);
  else child.stdin!.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  return done.finally(() => clearTimeout(timer));
}

/** Runs `zps args...` and resolves with its stdout as bytes (for output that is not text). */
export function zpsRaw(socket: string, args: string[], options: RunOptions = {}): Promise<Buffer> {
  const child = spawnZps(socket, args, options.env);
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stdin!.on('error', () => {});
  child.stdin!.end(options.input);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', () => resolve(Buffer.concat(chunks)));
  });
}

export function spawnZps(socket: string, args: string[], env: NodeJS.ProcessEnv = {}, bin = ZPS_BIN): ChildProcess {
  return spawn(process.execPath, [bin, ...args], {
    env: cleanEnv({ ZPS_SOCKET: socket, ...env }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export function collect(child: ChildProcess): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** A long-running zps (consume --follow) whose output can be awaited line by line. */
export class RunningZps {
  readonly child: ChildProcess;
  readonly result: Promise<RunResult>;
  private out = '';
  private err = '';

  constructor(socket: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawnZps(socket, args, env);
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.out += chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.err += chunk));
    this.result = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('close', (code, signal) => resolve({ code, signal, stdout: this.out, stderr: this.err }));
    });
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  lines(): string[] {
    return this.out.split('\n').filter(Boolean);
  }

  waitForLines(n: number, timeoutMs = 10_000): Promise<string[]> {
    return waitFor(() => (this.lines().length >= n ? this.lines() : undefined), `${n} lines of output`, timeoutMs);
  }
}

/** Feeds `{"i":n}` lines to a publish, paced, until told to stop; resolves how many it fed. */
export function feeder(publisher: RunningZps, pace: { linesPerTick: number; tickMs: number }) {
  let next = 0;
  let stopped = false;
  void publisher.result.then(() => (stopped = true));
  publisher.child.stdin!.on('error', () => {});
  const done = (async () => {
    while (!stopped) {
      const chunk = `${Array.from({ length: pace.linesPerTick }, () => `{"i":${next++}}`).join('\n')}\n`;
      if (!publisher.child.stdin!.write(chunk)) {
        await Promise.race([new Promise((resolve) => publisher.child.stdin!.once('drain', resolve)), publisher.result]);
      }
      await new Promise((resolve) => setTimeout(resolve, pace.tickMs));
    }
    publisher.child.stdin!.end();
    return next;
  })();
  return { fed: () => next, stop: () => (stopped = true), done };
}

/**
 * `zps publish <topic> --json` fed `{"i":n}` lines as fast as it reads them for as long as it runs,
 * and Ctrl-C'd (SIGINT) once an ack line is out: the publish is interrupted mid-stream, with
 * batches in flight.
 */
export async function interruptedPublish(socket: string, topic: string, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const publisher = new RunningZps(socket, ['publish', topic, '--json'], env);
  feeder(publisher, { linesPerTick: 10_000, tickMs: 0 });
  await publisher.waitForLines(1, 30_000);
  publisher.child.kill('SIGINT');
  return publisher.result;
}

/**
 * A slow reader of a pipe: after each chunk it takes, it pauses as long as reading `bytesPerTick`
 * every 10 ms would take (the pipe fills and the child waits on it), and once the child exited it
 * reads the rest at once. `text()` is what it read so far; `done` resolves how the child ended,
 * with all it wrote. (Pausing the stream, not read(n) on a timer: mixing read(n) with a 'data'
 * listener added later lost buffered bytes.)
 */
function readSlowly(child: ChildProcess, bytesPerTick: number): { text: () => string; done: Promise<RunResult> } {
  const stdout = child.stdout!;
  const chunks: Buffer[] = [];
  let stderr = '';
  let exited = false;
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  stdout.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    if (exited) return;
    stdout.pause();
    setTimeout(() => stdout.resume(), Math.ceil(chunk.byteLength / bytesPerTick) * 10);
  });
  const done = new Promise<RunResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', () => {
      exited = true;
      stdout.resume();
    });
    child.once('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(chunks).toString(), stderr }));
  });
  return { text: () => Buffer.concat(chunks).toString(), done };
}

/**
 * Ctrl-C (SIGINT) to a `consume` whose pipe is read at about 1,000 lines a second, once the reader
 * got 2,000 lines: resolves how it ended, the lines the reader got, and how long it took to exit.
 */
export async function interruptSlowlyRead(consumer: ChildProcess): Promise<RunResult & { printed: string[]; exitMs: number }> {
  const reader = readSlowly(consumer, 120);
  await waitFor(() => (reader.text().split('\n').length > 2_000 ? true : undefined), 'the reader to be well under way', 30_000);
  const interruptedAt = Date.now();
  consumer.kill('SIGINT');
  await new Promise((resolve) => consumer.once('exit', resolve));
  const exitMs = Date.now() - interruptedAt;
  const result = await reader.done;
  return { ...result, printed: result.stdout.split('\n').filter(Boolean), exitMs };
}
