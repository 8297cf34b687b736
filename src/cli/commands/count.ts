import type { Command } from 'commander';
import { ZpsError, timeoutError } from '../../pubsub/errors.js';
import { parseDuration } from '../../pubsub/settings.js';
import { plural, validateTopicName } from '../../pubsub/limits.js';
import type { CliContext } from '../context.js';
import { parseWholeNumber } from '../parse.js';
import type { ActionRunner } from '../program.js';

interface CountFlags {
  expect?: string;
  wait?: string;
}

const POLL_MS = 50;

export function register(program: Command, run: ActionRunner): void {
  program
    .command('count')
    .description('print how many messages topics hold (with --group: the group\'s lag)')
    .argument('<topic...>', 'topics to count')
    .option('--expect <n>', 'exit 1 unless each count equals n')
    .option('--wait <duration>', 'with --expect: poll until it holds, exit 3 when the wait runs out')
    .action(run(async (ctx, command) => count(ctx, command.args, command.opts<CountFlags>())));
}

async function count(ctx: CliContext, topics: string[], flags: CountFlags): Promise<void> {
  topics.forEach(validateTopicName);
  const expected = flags.expect === undefined ? undefined : parseWholeNumber(flags.expect, 'expected count');
  const waitMs = flags.wait === undefined ? undefined : parseDuration(flags.wait, '--wait duration');
  const group = ctx.settings.group;
  const admin = (await ctx.factory()).getAdmin();
  const measure = () => Promise.all(topics.map((topic) => (group === undefined ? admin.count(topic) : admin.lag(group, topic))));
  const mismatch = (counts: number[]) => (expected === undefined ? -1 : counts.findIndex((n) => n !== expected));

  let counts = await measure();
  if (waitMs !== undefined && expected !== undefined && mismatch(counts) >= 0) {
    const deadline = Date.now() + waitMs;
    counts = await ctx.ui.spin(`waiting for ${plural(expected, 'message')} in ${topics.join(', ')}`, async () => {
      let latest = counts;
      while (mismatch(latest) >= 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))));
        latest = await measure();
      }
      return latest;
    });
  }

  topics.forEach((topic, i) => {
    const n = counts[i]!;
    if (ctx.json) ctx.out.line(JSON.stringify(group === undefined ? { topic, count: n } : { topic, group, count: n, lag: n }));
    else ctx.out.line(topics.length === 1 ? String(n) : `${topic}\t${n}`);
  });

  const wrong = mismatch(counts);
  if (wrong >= 0) {
    const what = group === undefined ? 'messages in' : `messages of lag for group ${group} in`;
    const message = `expected ${expected} ${what} ${topics[wrong]}, found ${counts[wrong]}`;
    throw waitMs === undefined ? new ZpsError(message) : timeoutError(`${message} (waited ${flags.wait})`);
  }
}
