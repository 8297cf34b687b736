/**
 * One run of the `zps` command: parses the flags, runs the command, and turns every error into one
 * line on stderr and an exit code, once (README, Exit codes). main.ts runs it on the process; tests run it
 * in-process on a test Io.
 */
import { CommanderError } from 'commander';
import { ZpsError } from '../pubsub/errors.js';
import type { ToolsBuilder } from './context.js';
import { ExitCode, exitCodeOf, hintOf } from './errors.js';
import type { Io } from './io.js';
import { buildProgram, type RunState } from './program.js';

/** `argv` as process.argv has it (the node binary and the script first); resolves the exit code. */
export async function runZps(argv: string[], io: Io, tools?: ToolsBuilder): Promise<number> {
  const state: RunState = { verbose: false };
  try {
    const program = await buildProgram(io, state, tools, argv);
    await program.parseAsync(argv);
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help asked for, or shown (on stderr, exit 2) because no command was given
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
        return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
      }
      io.stderr.write(`see '${state.usageOf ?? 'zps'} --help'\n`);
      return ExitCode.usage;
    }
    return report(error, state.verbose, io);
  }
}

/** The error on stderr as zps says every error (one line, its hint, its cause with --verbose); its exit code. */
export function report(error: unknown, verbose: boolean, io: Io): number {
  if (error instanceof ZpsError) {
    io.stderr.write(`zps: ${error.message}\n`);
    const hint = hintOf(error);
    if (hint) io.stderr.write(`${hint}\n`);
    if (verbose && error.cause) io.stderr.write(`${describeCause(error.cause)}\n`);
    return exitCodeOf(error);
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`zps: ${message}\n`);
  if (verbose && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  return ExitCode.failed;
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
}
