import type { Command } from 'commander';
import { ZpsError, usageError } from '../../pubsub/errors.js';
import type { GroupDescription, OffsetTarget } from '../../pubsub/types.js';
import { plural } from '../../pubsub/wording.js';
import { confirm } from '../confirm.js';
import type { CliContext } from '../context.js';
import { collectPartitions, parseTime, parseWholeNumber } from '../parse.js';
import type { ActionRunner } from '../program.js';
import { table } from '../table.js';

export function register(program: Command, run: ActionRunner): void {
  const groups = program
    .command('groups')
    .description('list consumer groups with state, members, topics and lag; describe, reset or delete one')
    .argument('[command...]', 'describe, reset or delete (none: list the groups)')
    .usage('[options] [command]')
    .action(
      run(async (ctx, command) => {
        // a subcommand runs its own action: an argument here is none of them
        const [action] = command.args;
        if (action !== undefined) throw usageError(`unknown groups command '${action}': use describe, reset or delete`);
        return list(ctx);
      }),
    );
  groups
    .command('describe')
    .description('per partition the committed offset, the end and the lag, and each member with its partitions')
    .argument('<group>', 'the group to describe')
    .action(run(async (ctx, command) => describe(ctx, command.args[0]!)));
  groups
    .command('reset')
    .description("move a group's committed offsets: prints the plan, applies it with --execute (as kafka-consumer-groups --reset-offsets)")
    .argument('<group>', 'the group whose offsets move')
    .option('--topic <topic>', 'a topic to reset (repeatable)', (value: string, previous: string[] = []) => [...previous, value])
    .option('--all-topics', 'every topic the group has committed offsets on')
    .option('--to-earliest', "each partition's first offset")
    .option('--to-latest', "each partition's end")
    .option('--to-offset <n>', 'this offset')
    .option('--to-time <time>', 'the first offset at or after this time (as consume -o @<time>: 2026-11-27T10:00:00Z, epoch ms, -2h)')
    .option('--shift-by <n>', 'the committed offset plus n (negative: back)')
    .option('-p, --partition <n>', 'only this partition (repeatable, or comma-separated)', collectPartitions)
    .option('--execute', 'apply the plan (without: print it and change nothing)')
    .action(run(async (ctx, command) => reset(ctx, command.args[0]!, command.opts<ResetFlags>())));
  groups
    .command('delete')
    .description("delete groups, or with --topic only a group's committed offsets on that topic")
    .argument('<group...>', 'the groups to delete')
    .option('--topic <topic>', "delete only the group's committed offsets on this topic")
    .option('-y, --yes', 'do not ask for confirmation (needed outside local mode when stdin is not a terminal)')
    .action(run(async (ctx, command) => remove(ctx, command.args, command.opts<{ topic?: string; yes?: boolean }>())));
}

interface ResetFlags {
  topic?: string[];
  allTopics?: boolean;
  toEarliest?: boolean;
  toLatest?: boolean;
  toOffset?: string;
  toTime?: string;
  shiftBy?: string;
  partition?: number[];
  execute?: boolean;
}

/** The one --to-* (or --shift-by) given: exactly one is required. */
function resetTarget(flags: ResetFlags): OffsetTarget {
  const targets: OffsetTarget[] = [
    ...(flags.toEarliest ? [{ kind: 'earliest' } as const] : []),
    ...(flags.toLatest ? [{ kind: 'latest' } as const] : []),
    ...(flags.toOffset !== undefined ? [{ kind: 'offset', offset: parseWholeNumber(flags.toOffset, 'offset') } as const] : []),
    ...(flags.toTime !== undefined ? [{ kind: 'time', timestamp: parseTime(flags.toTime) } as const] : []),
    ...(flags.shiftBy !== undefined ? [{ kind: 'shift', by: parseShift(flags.shiftBy) } as const] : []),
  ];
  if (targets.length !== 1) throw usageError(`name exactly one of --to-earliest, --to-latest, --to-offset, --to-time, --shift-by (got ${targets.length})`);
  return targets[0]!;
}

function parseShift(text: string): number {
  if (!/^[-+]?\d+$/.test(text.trim()) || !Number.isSafeInteger(Number(text)))
    throw usageError(`invalid shift '${text}': use a whole number, negative to go back`);
  return Number(text);
}

async function reset(ctx: CliContext, group: string, flags: ResetFlags): Promise<void> {
  const topics = flags.topic ?? [];
  if (topics.length > 0 === (flags.allTopics ?? false)) throw usageError('name the topics to reset with --topic, or --all-topics (one of the two)');
  const to = resetTarget(flags);
  const plan = await ctx
    .factory()
    .getAdmin()
    .resetGroupOffsets(group, {
      ...(topics.length > 0 ? { topics } : {}),
      to,
      ...(flags.partition ? { partitions: flags.partition } : {}),
      execute: flags.execute ?? false,
    });
  if (ctx.json) for (const entry of plan) ctx.out.line(JSON.stringify(entry));
  else {
    const rows = plan.map((p) => [p.topic, String(p.partition), p.committed === null ? '-' : String(p.committed), String(p.offset)]);
    if (ctx.ui.stdoutIsTty) for (const line of table([['topic', 'partition', 'committed', 'new'], ...rows])) ctx.out.line(line);
    else for (const row of rows) ctx.out.line(row.join('\t'));
  }
  if (ctx.ui.stderrIsTty)
    ctx.tell(flags.execute ? `reset ${plural(plan.length, 'partition')} of group ${group}` : 'nothing changed: --execute applies the plan');
}

/** The groups, or their offsets on a topic: all of them checked (admin.deleteGroup), then a person asked outside local mode. */
async function remove(ctx: CliContext, named: string[], flags: { topic?: string; yes?: boolean }): Promise<void> {
  const groups = [...new Set(named)];
  const what =
    flags.topic === undefined ? `group${groups.length === 1 ? '' : 's'} ${groups.join(', ')}` : `the offsets on ${flags.topic} of ${groups.join(', ')}`;
  await ctx
    .factory()
    .getAdmin()
    .deleteGroup(groups, {
      topic: flags.topic,
      confirm: ctx.isLocal || flags.yes ? undefined : () => confirm(ctx, 'delete', `delete ${what} in ${ctx.settings.environment}?`),
    });
  if (ctx.ui.stderrIsTty) ctx.tell(flags.topic === undefined ? `deleted ${plural(groups.length, 'group')}` : `deleted the offsets on ${flags.topic}`);
}

/** One line a group: name, state, members, topics, lag (tab-separated; --json: an object each). */
async function list(ctx: CliContext): Promise<void> {
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
