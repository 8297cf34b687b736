/** The test double of Io: commands run in-process on streams in memory (test/unit/commands.test.ts). */
import { PassThrough, Readable } from 'node:stream';
import type { Io, OutStream } from '../../src/cli/io.js';

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
    dropUnwritten() {},
    output: () => ({ stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString() }),
    interrupt: () => {
      for (const handler of [...handlers]) handler();
    },
  };
}
