import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { packageFile } from '../../package-files.js';
import { usageError } from '../../pubsub/errors.js';
import type { CliContext } from '../context.js';
import type { ActionRunner } from '../program.js';

const SHELLS = ['bash', 'zsh', 'fish'];

export function register(program: Command, run: ActionRunner): void {
  program
    .command('completion')
    .description('print the shell completion script (bash, zsh or fish)')
    .argument('<shell>', SHELLS.join(', '))
    .action(run(async (ctx, command) => completion(ctx, command.args[0]!)));
}

async function completion(ctx: CliContext, shell: string): Promise<void> {
  if (!SHELLS.includes(shell)) throw usageError(`unknown shell '${shell}': use ${SHELLS.join(', ')}`);
  // The very files shipped in completions/, so the two can never drift apart.
  ctx.out.write(readFileSync(packageFile(`completions/zps.${shell}`), 'utf8'));
}
