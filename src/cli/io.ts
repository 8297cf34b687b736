/**
 * Everything a command takes from the outside world, in one object, as the GitHub CLI's IOStreams:
 * its streams and what they are (terminals or pipes), its environment, and its interrupts. main.ts
 * gives the process's; tests give a double (test-io.ts) and run commands in-process.
 */
import type { Readable, Writable } from 'node:stream';

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
