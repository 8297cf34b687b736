import type { Command } from 'commander';
import { ZpsError, usageError } from '../../pubsub/errors.js';
import type { GroupDescription } from '../../pubsub/types.js';
import type { CliContext } from '../context.js';
import type { ActionRunner } from '../program.js';
import { table } from '../table.js';

export function register(program: Command, run: ActionRunner): void {
  program
    .command('groups')
    .description('list consumer groups with state, members, topics and lag; groups describe <group>: per partition and member')
    .argument('[describe]', 'describe one group')
    .argument('[group]', 'the group to describe')
    .action(
      run(async (ctx, command) => {
        const [action, group] = command.args;
        if (action === undefined) return groups(ctx);
        if (action !== 'describe') throw usageError(`unknown groups action '${action}': use groups, or groups describe <group>`);
        if (group === undefined) throw usageError('name the group to describe');
        return describe(ctx, group);
      }),
    );
}

/** One line a group: name, state, members, topics, lag (tab-separated; --json: an object each). */
async function groups(ctx: CliContext): Promise<void> {
  for (const summary of await ctx.factory().getAdmin().groups()) {
    const { group, state, members, topics, lag } = summary;
    ctx.out.line(ctx.json ? JSON.stringify(summary) : `${group}\t${state}\t${members}\t${topics.join(',')}\t${lag}`);
  }
}

async function describe(ctx: CliContext, group: string): Promise<void> {
  const described = await ctx.factory().getAdmin().describeGroup(group);
  if (!described) throw new ZpsError(`group ${group} does not exist`, { code: 'not-found' });
  if (ctx.json) {
    ctx.out.line(JSON.stringify(described));
    return;
  }
  for (const line of describeLines(described)) ctx.out.line(line);
}

/** A header line, a table of partitions, then each member with its partitions. */
function describeLines({ group, state, partitions, members }: GroupDescription): string[] {
  const lag = partitions.reduce((sum, p) => sum + p.lag, 0);
  const rows = partitions.map((p) => [p.topic, String(p.partition), p.committed === null ? '-' : String(p.committed), String(p.end), String(p.lag)]);
  return [
    `group ${group}: ${state}, ${members.length} member${members.length === 1 ? '' : 's'}, lag ${lag}`,
    ...table([['topic', 'partition', 'committed', 'end', 'lag'], ...rows]),
    ...members.map((m) => `member ${m.id} (${m.clientId}@${m.host}): ${m.partitions.map((p) => `${p.topic} ${p.partitions.join(',') || '-'}`).join('; ')}`),
  ];
}
