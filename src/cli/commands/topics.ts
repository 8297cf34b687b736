import type { Command } from 'commander';
import { ZpsError, usageError } from '../../pubsub/errors.js';
import { validateTopicName } from '../../pubsub/limits.js';
import type { TopicDescription } from '../../pubsub/types.js';
import type { CliContext } from '../context.js';
import type { ActionRunner } from '../program.js';
import { table } from '../table.js';

export function register(program: Command, run: ActionRunner): void {
  program
    .command('topics')
    .description('list topics with their message counts; topics describe <topic>: its partitions (and on Kafka replicas and settings)')
    .argument('[describe]', 'describe one topic')
    .argument('[topic]', 'the topic to describe')
    .option('--all', 'include internal topics (names starting with _)')
    .action(
      run(async (ctx, command) => {
        const [action, topic] = command.args;
        if (action === undefined) return topics(ctx, command.opts<{ all?: boolean }>().all ?? false);
        if (action !== 'describe') throw usageError(`unknown topics action '${action}': use topics, or topics describe <topic>`);
        if (topic === undefined) throw usageError('name the topic to describe');
        return describe(ctx, topic);
      }),
    );
}

async function topics(ctx: CliContext, all: boolean): Promise<void> {
  const list = await ctx.factory().getAdmin().topics({ all });
  for (const { topic, count, partitions } of list) {
    if (!all && topic.startsWith('_')) continue;
    ctx.out.line(ctx.json ? JSON.stringify({ topic, count, partitions }) : `${topic}\t${count}`);
  }
}

async function describe(ctx: CliContext, topic: string): Promise<void> {
  validateTopicName(topic);
  const described = await ctx.factory().getAdmin().describeTopic(topic);
  if (!described) throw new ZpsError(`topic ${topic} does not exist`, { code: 'not-found' });
  if (ctx.json) {
    ctx.out.line(JSON.stringify(described));
    return;
  }
  for (const line of describeLines(described)) ctx.out.line(line);
}

/** A header line, a table of partitions, then the settings one per line. */
function describeLines({ topic, partitions, configs }: TopicDescription): string[] {
  const count = partitions.reduce((sum, p) => sum + p.count, 0);
  const replicated = partitions.some((p) => p.leader !== undefined);
  const header = ['partition', 'first', 'next', 'count', ...(replicated ? ['leader', 'replicas', 'isr'] : [])];
  const rows = partitions.map((p) => [
    String(p.partition),
    String(p.first),
    String(p.next),
    String(p.count),
    ...(replicated ? [String(p.leader), (p.replicas ?? []).join(','), (p.isr ?? []).join(',')] : []),
  ]);
  return [
    `topic ${topic}: ${partitions.length} partition${partitions.length === 1 ? '' : 's'}, ${count} message${count === 1 ? '' : 's'}`,
    ...table([header, ...rows]),
    ...Object.entries(configs ?? {}).map(([name, value]) => `${name}=${value}`),
  ];
}
