/** The `zps` command: runs the program, maps every error to one line and an exit code, once. */
import { ExitCode, ZpsError } from '../pubsub/errors.js';

async function main(argv: string[]): Promise<number> {
  // Scripts ask for the version in loops: answer it without loading the command framework.
  if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
    process.stdout.write(`${(await import('../version.js')).VERSION}\n`);
    return ExitCode.ok;
  }
  const { CommanderError } = await import('commander');
  const { buildProgram } = await import('./program.js');
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
    if (error.hint) process.stderr.write(`${error.hint}\n`);
    if (verbose && error.cause) process.stderr.write(`${describeCause(error.cause)}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`zps: ${message}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return ExitCode.failed;
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
}

const code = await main(process.argv);
// Let stdout drain (a pipe may still hold output), then exit even if a handle lingers.
process.stdout.write('', () => process.exit(code));
