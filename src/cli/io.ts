/**
 * Everything a command takes from the outside world, in one object, as the GitHub CLI's IOStreams:
 * its streams and what they are (terminals or pipes), its environment, and its interrupts. main.ts
 * gives the process's; tests give a double (test/helpers/test-io.ts) and run commands in-process.
 */
import { createReadStream, fstatSync, statSync, type Stats } from 'node:fs';
import { isatty } from 'node:tty';
import type { Readable, Writable } from 'node:stream';
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { usageError } from '../pubsub/errors.js';

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
  /**
   * Calls `handler` at Ctrl-C, SIGTERM or SIGHUP (at once when one came and killed the process this Io is
   * for: the daemon's client), once; returns the function that stops listening.
   */
  onInterrupt(handler: () => void): () => void;
  /** At exit, drop what stdout has not yet written instead of draining it (it was not committed). */
  dropUnwritten(): void;
  /**
   * Called once a command's flags are parsed and its settings resolved, before it does anything:
   * the daemon running a client's command (src/cli/one-shot.ts) throws for one the client must
   * run itself, and until then holds back what was written.
   */
  admit?(command: Command, ctx: CliContext): Promise<void>;
  /** False where a context's `{ command = ... }` secrets must not run (the daemon: the client runs them). */
  runsSecretCommands?: boolean;
}

/** The process's Io, which the exit looks at. */
export interface ProcessIo extends Io {
  readonly unwrittenDropped: boolean;
  /** The command was stopped by SIGHUP, or its terminal is gone: the process then ends of SIGHUP, as one that had not listened. */
  readonly hungUp: boolean;
}

/**
 * The signals that ask a command to stop as Ctrl-C does: SIGHUP is a closed terminal, whose
 * `consume -g` must still commit what it printed and leave its group.
 */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function processIo(): ProcessIo {
  let stdin: Io['stdin'] | undefined;
  let unwrittenDropped = false;
  let heardHangup = false;
  const stdinWasTerminal = maybeTerminal(0) && isatty(0);
  return {
    get stdin() {
      return (stdin ??= standardInput());
    },
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    onInterrupt(handler) {
      // Heard once, any of them: a second one (the same or another) ends the process as Node
      // does. The listeners go after this turn, not while the signal is being handled: ora's
      // signal-exit, listening too, would take itself for the last listener and kill the process.
      let heardOnce = false;
      const stopListening = () => {
        for (const signal of STOP_SIGNALS) process.off(signal, heard);
      };
      const heard = (signal: NodeJS.Signals) => {
        if (heardOnce) return;
        heardOnce = true;
        heardHangup = signal === 'SIGHUP';
        setImmediate(stopListening);
        handler();
      };
      for (const signal of STOP_SIGNALS) process.on(signal, heard);
      return stopListening;
    },
    dropUnwritten() {
      unwrittenDropped = true;
    },
    get unwrittenDropped() {
      return unwrittenDropped;
    },
    get hungUp() {
      // A terminal that hangs up ends the input read from it and fails writes to it, often before
      // SIGHUP arrives, and the command may have ended of that: a hangup all the same. (As
      // bin/run-in-daemon.cjs judges it: a descriptor that was a terminal at the start and is none now.)
      const gone = (wasTerminal: boolean | undefined, fd: number) => wasTerminal === true && !isatty(fd);
      return heardHangup || gone(stdinWasTerminal, 0) || gone(process.stdout.isTTY, 1) || gone(process.stderr.isTTY, 2);
    },
  };
}

/** A character device other than /dev/null (what scripts and CI give as stdin): only then is node:tty loaded to ask. */
function maybeTerminal(fd: number): boolean {
  try {
    const stat = fstatSync(fd);
    return stat.isCharacterDevice() && stat.rdev !== statSync('/dev/null').rdev;
  } catch {
    return false;
  }
}

/**
 * Standard input. A file given with `<` is read a MiB at a time: process.stdin reads a file in
 * 64 KiB requests to libuv's thread pool, and a million lines took 800 of them. Pipes and
 * terminals stay process.stdin (read as data comes, without the thread pool).
 */
function standardInput(): Io['stdin'] {
  let stat: Stats;
  try {
    stat = fstatSync(0);
  } catch {
    return process.stdin; // no standard input to look at: process.stdin says so in its own way
  }
  // process.stdin would end at once on a directory (`zps publish t < dir`), as if it were empty
  if (stat.isDirectory()) throw usageError('cannot read stdin: it is a directory');
  if (stat.isFile()) return createReadStream('', { fd: 0, highWaterMark: 1 << 20, autoClose: false });
  return process.stdin;
}

/** The items of `source` until `stop` resolves; a read still waiting then (on stdin, say) is given up, not awaited. */
export async function* until<T>(source: AsyncIterable<T>, stop: Promise<void>): AsyncGenerator<T> {
  const items = source[Symbol.asyncIterator]();
  const stopped = stop.then(() => undefined);
  for (;;) {
    const next = await Promise.race([items.next(), stopped]);
    if (next === undefined || next.done) return;
    yield next.value;
  }
}
