import type { Command } from 'commander';
import { ZpsError, usageError } from '../../pubsub/errors.js';
import { closestTopicConfig, isTopicConfig } from '../../memory/topic-configs.js';
import { validateTopicName } from '../../pubsub/limits.js';
import type { NewTopic, TopicDescription } from '../../pubsub/types.js';
import { plural } from '../../pubsub/wording.js';
import { confirm } from '../confirm.js';
import type { CliContext } from '../context.js';
import type { ActionRunner } from '../program.js';
import { table } from '../table.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function register(program: Command, run: ActionRunner): void {
  const topicsCommand = program
    .command('topics')
    .description('list topics with their message counts; describe, create, alter or delete one')
    .argument('[action]', 'describe, create, alter or delete (see their help)')
    .option('--all', 'include internal topics (names starting with _)')
    .action(
      run(async (ctx, command) => {
        const [action] = command.args;
        if (action !== undefined) throw usageError(`unknown topics action '${action}': use topics, or topics describe|create|alter|delete <topic>`);
        return topics(ctx, command.opts<{ all?: boolean }>().all ?? false);
      }),
    );
  topicsCommand
    .command('describe')
    .description("a topic's partitions with their offsets (and on Kafka replicas) and its settings")
    .argument('<topic>', 'the topic to describe')
    .action(run(async (ctx, command) => describe(ctx, command.args[0]!)));
  topicsCommand
    .command('create')
    .description("create a topic with settings under Kafka's names (exit 1 when it exists)")
    .argument('<topic>', 'the topic to create')
    .option('-p, --partitions <n>', 'partitions (default 1)')
    .option('--replication-factor <n>', "copies of each partition (Kafka; default: the brokers')")
    .option('-c, --config <name=value>', 'a topic setting, as kafka-topics --config (repeatable)', collect)
    .option('--if-not-exists', 'exit 0 when the topic exists (it stays as it is)')
    .action(run(async (ctx, command) => create(ctx, command.args[0]!, command.opts())));
  topicsCommand
    .command('alter')
    .description("grow a topic's partitions, set or remove its settings")
    .argument('<topic>', 'the topic to change')
    .option('--partitions <n>', 'the new partition count (only more: partitions never shrink)')
    .option('--set <name=value>', 'set a topic setting (repeatable)', collect)
    .option('--unset <name>', 'remove a topic setting: back to the default (repeatable)', collect)
    .action(run(async (ctx, command) => alter(ctx, command.args[0]!, command.opts())));
  topicsCommand
    .command('delete')
    .description("delete topics, their messages and their groups' offsets of them")
    .argument('<topic...>', 'the topics to delete')
    .option('-y, --yes', 'do not ask for confirmation (needed outside local mode when stdin is not a terminal)')
    .option('--if-exists', 'exit 0 when a topic does not exist')
    .action(run(async (ctx, command) => remove(ctx, command.args, command.opts())));
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

// administration: topics

/** A whole number from `min` given to `flag`. */
function count(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw usageError(`invalid ${flag} '${value}': use a whole number from 1`);
  return n;
}

/** `name=value` settings as an object; a setting named twice is refused. */
function settings(flag: string, given: string[] = []): Record<string, string> {
  const parsed: Record<string, string> = {};
  for (const entry of given) {
    const at = entry.indexOf('=');
    if (at <= 0) throw usageError(`invalid ${flag} '${entry}': use name=value, as retention.ms=60000`);
    const name = entry.slice(0, at).trim();
    if (Object.hasOwn(parsed, name)) throw usageError(`setting ${name} is given twice`);
    parsed[name] = entry.slice(at + 1);
  }
  return parsed;
}

async function create(
  ctx: CliContext,
  topic: string,
  options: { partitions?: string; replicationFactor?: string; config?: string[]; ifNotExists?: boolean },
): Promise<void> {
  validateTopicName(topic);
  const spec: NewTopic = { partitions: count('--partitions', options.partitions) ?? 1, configs: settings('--config', options.config) };
  const replicationFactor = count('--replication-factor', options.replicationFactor);
  if (replicationFactor !== undefined) spec.replicationFactor = replicationFactor;
  const admin = ctx.factory().getAdmin();
  const created = await admin.createTopicWith(topic, spec);
  if (!created) {
    if (options.ifNotExists) {
      // as publish's --partitions: the topic stays as it is, and a count asked for in vain is said
      const partitions = options.partitions === undefined ? undefined : (await admin.describeTopic(topic))?.partitions.length;
      if (partitions !== undefined && partitions !== spec.partitions) {
        ctx.note(`topic ${topic} already exists with ${plural(partitions, 'partition')}: --partitions ${spec.partitions} is ignored`);
      }
      return;
    }
    throw new ZpsError(`cannot create topic ${topic}: it already exists${ctx.onBrokers}`, { hint: 'pass --if-not-exists to accept an existing topic' });
  }
  if (ctx.json) ctx.out.line(JSON.stringify({ topic, created: true, partitions: spec.partitions, configs: spec.configs }));
  ctx.tell(`created topic ${topic} with ${plural(spec.partitions, 'partition')}`);
}

async function alter(ctx: CliContext, topic: string, options: { partitions?: string; set?: string[]; unset?: string[] }): Promise<void> {
  validateTopicName(topic);
  const partitions = count('--partitions', options.partitions);
  const set = settings('--set', options.set);
  const unset = options.unset ?? [];
  if (partitions === undefined && Object.keys(set).length === 0 && unset.length === 0) throw usageError('name a change: --partitions, --set or --unset');
  const admin = ctx.factory().getAdmin();
  await admin.alterTopic(topic, { ...(partitions === undefined ? {} : { partitions }), set, unset });
  // Kafka takes the removal of a setting it does not have as done: a mistyped name is said, not refused
  for (const name of unset.filter((name) => !isTopicConfig(name)))
    ctx.note(`${name} is no topic setting of Kafka's: nothing was unset${closestTopicConfig(name)}`);
  if (ctx.json) {
    // the topic's count either way: the same keys in every answer
    const now = partitions ?? (await admin.describeTopic(topic))?.partitions.length;
    ctx.out.line(JSON.stringify({ topic, altered: true, partitions: now, set, unset }));
  }
  ctx.tell(`changed topic ${topic}`);
}

/** Every named topic must exist (unless --if-exists) before any is deleted; outside local mode a person confirms. */
async function remove(ctx: CliContext, named: string[], options: { yes?: boolean; ifExists?: boolean }): Promise<void> {
  named.forEach(validateTopicName);
  const topics = [...new Set(named)]; // one named twice is deleted once

  const admin = ctx.factory().getAdmin();
  const described = await Promise.all(topics.map((topic) => admin.describeTopic(topic)));
  const existing = topics.filter((_, i) => described[i] !== undefined);
  const missing = topics.find((_, i) => described[i] === undefined);
  if (missing !== undefined && !options.ifExists) {
    throw new ZpsError(`cannot delete: topic ${missing} does not exist${ctx.onBrokers}`, {
      code: 'not-found',
      hint: topics.length > 1 ? 'nothing was deleted; pass --if-exists to skip missing topics' : 'pass --if-exists to accept a missing topic',
    });
  }
  if (existing.length === 0) return;
  if (!ctx.isLocal && !options.yes) {
    const topicsNamed = `${existing.length === 1 ? 'topic' : 'topics'} ${existing.join(', ')}`;
    await confirm(ctx, 'delete', `delete ${topicsNamed} with every message in ${ctx.settings.environment}?`);
  }
  for (const topic of existing) {
    // gone meanwhile: what --if-exists accepts, and otherwise the same failure as one missing at the start
    if (!(await admin.deleteTopic(topic)) && !options.ifExists)
      throw new ZpsError(`cannot delete: topic ${topic} does not exist${ctx.onBrokers}`, { code: 'not-found' });
    if (ctx.json) ctx.out.line(JSON.stringify({ topic, deleted: true }));
  }
  ctx.tell(`deleted ${plural(existing.length, 'topic')}`);
}
