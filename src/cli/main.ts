/**
 * The `zps` command: runs the program, maps every error to one line and an exit code, once.
 * bin/zps.cjs runs it from the bundle dist/zps.cjs (see scripts/bundle-cli.mjs).
 */
import { CommanderError } from 'commander';
import { ZpsError } from '../pubsub/errors.js';
import { ExitCode, exitCodeOf, hintOf } from './errors.js';
import { buildProgram } from './program.js';

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const verbose = argv.includes('--verbose');
  try {
    await program.parseAsync(argv);
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.ok;
      process.stderr.write(`run 'zps --help' for usage\n`);
      return ExitCode.usage;
    }
    return report(error, verbose);
  }
}

function report(error: unknown, verbose: boolean): number {
  if (error instanceof ZpsError) {
    process.stderr.write(`zps: ${error.message}\n`);
    const hint = hintOf(error);
    if (hint) process.stderr.write(`${hint}\n`);
    if (verbose && error.cause) process.stderr.write(`${describeCause(error.cause)}\n`);
    return exitCodeOf(error);
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`zps: ${message}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return ExitCode.failed;
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
}

// No top-level await: the bundle is CommonJS (see scripts/bundle-cli.mjs).
void main(process.argv).then((code) => {
  // Let stdout drain (a pipe may still hold output), then exit even if a handle lingers.
  process.stdout.write('', () => process.exit(code));
});
