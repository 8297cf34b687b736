/**
 * Everything a command takes from the outside world, in one object, as the GitHub CLI's IOStreams:
 * its streams and what they are (terminals or pipes), its environment, and its interrupts. main.ts
 * gives the process's; tests give a double (testIo) and run commands in-process.
 */
import { PassThrough, Readable, type Writable } from 'node:stream';

export interface OutStream extends Writable {
  isTTY?: boolean;
  /** A terminal's width; 0 or undefined elsewhere. */
  columns?: number;
}

export interface Io {
  stdin: Readable & { isTTY?: boolean };
  stdout: OutStream;
  stderr: OutStream;
  env: NodeJS.ProcessEnv;
  /** Calls `handler` at Ctrl-C or SIGTERM; returns the function that stops listening. */
  onInterrupt(handler: () => void): () => void;
}

export function processIo(): Io {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    onInterrupt(handler) {
      process.once('SIGINT', handler);
      process.once('SIGTERM', handler);
      return () => {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
      };
    },
  };
}

export interface TestIo extends Io {
  /** What the command wrote to stdout and stderr so far. */
  output(): { stdout: Buffer; stderr: string };
  /** Delivers an interrupt, as Ctrl-C would. */
  interrupt(): void;
}

/** Streams in memory: stdin from `input`, stdout and stderr gathered; pipes, not terminals, unless `tty`. */
export function testIo(options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; tty?: boolean } = {}): TestIo {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const sink = (chunks: Buffer[]): OutStream => {
    const stream: OutStream = new PassThrough();
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.isTTY = options.tty;
    stream.columns = options.tty ? 100 : undefined;
    return stream;
  };
  const handlers = new Set<() => void>();
  return {
    stdin: Readable.from(options.input === undefined ? [] : [Buffer.from(options.input)]),
    stdout: sink(stdout),
    stderr: sink(stderr),
    env: options.env ?? {},
    onInterrupt(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    output: () => ({ stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString() }),
    interrupt: () => {
      for (const handler of [...handlers]) handler();
    },
  };
}
