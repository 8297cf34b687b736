import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import type { ActionRunner } from '../program.js';

export function register(program: Command, run: ActionRunner): void {
  program
    .command('topics')
    .description('list topics with their message counts')
    .option('--all', 'include internal topics (names starting with _)')
    .action(run(async (ctx, command) => topics(ctx, command.opts<{ all?: boolean }>().all ?? false)));
}

async function topics(ctx: CliContext, all: boolean): Promise<void> {
  const list = await ctx.factory().getAdmin().topics({ all });
  for (const { topic, count, partitions } of list) {
    if (!all && topic.startsWith('_')) continue;
    ctx.out.line(ctx.json ? JSON.stringify({ topic, count, partitions }) : `${topic}\t${count}`);
  }
}
