import type { Command } from 'commander';
import { ZpsError, describeError, timeoutError, usageError } from '../../pubsub/errors.js';
import { parseDuration } from '../../settings.js';
import { validateTopicName } from '../../pubsub/limits.js';
import { plural } from '../../pubsub/wording.js';
import type { CliContext } from '../context.js';
import { parseWholeNumber } from '../parse.js';
import type { ActionRunner } from '../program.js';

interface CountFlags {
  expect?: string;
  wait?: string;
  /** The -g flag itself: ZPS_GROUP never turns a count into a lag report. */
  group?: string;
  regex?: string;
}

const POLL_MS = 50;

export function register(program: Command, run: ActionRunner): void {
  program
    .command('count')
    .description("print how many messages topics hold (with -g on count: the group's lag)")
    .argument('[topic...]', 'topics to count (or --regex)')
    .option('--regex <pattern>', 'count every topic whose name matches (one line each)')
    .option('--expect <n>', 'exit 1 unless each count equals n')
    .option('--wait <duration>', 'with --expect: poll until it holds, exit 3 when the wait runs out')
    .action(run(async (ctx, command) => count(ctx, command.args, command.optsWithGlobals<CountFlags>())));
}

async function count(ctx: CliContext, named: string[], flags: CountFlags): Promise<void> {
  if (named.length > 0 && flags.regex !== undefined) throw usageError('name topics or give --regex, not both');
  if (named.length === 0 && flags.regex === undefined) throw usageError('name a topic to count, or give --regex');
  named.forEach(validateTopicName);
  const expected = flags.expect === undefined ? undefined : parseWholeNumber(flags.expect, 'expected count');
  const waitMs = flags.wait === undefined ? undefined : parseDuration(flags.wait, '--wait duration');
  if (waitMs !== undefined && expected === undefined) throw usageError('--wait goes with --expect: it waits until the count equals it');
  if (waitMs !== undefined) ctx.limitTimeout(waitMs);
  const pattern = flags.regex === undefined ? undefined : regex(flags.regex);
  const oneLine = pattern === undefined && named.length === 1;
  const group = flags.group;
  const admin = ctx.factory().getAdmin();
  // with --regex the topics are matched at each measure: a wait waits for them to be created too
  let topics = named;
  const measure = async () => {
    if (pattern) topics = await matchingTopics(ctx, pattern);
    return Promise.all(topics.map((topic) => (group === undefined ? admin.count(topic) : admin.lag(group, topic))));
  };
  const mismatch = (counts: number[]) => (expected === undefined ? -1 : counts.findIndex((n) => n !== expected));
  const what = pattern ? `topics matching /${pattern.source}/` : named.join(', ');

  let counts: number[] | undefined;
  if (waitMs === undefined) counts = await measure();
  else {
    // The condition is the count, not the first answer: an unreachable broker is waited out too.
    const deadline = Date.now() + waitMs;
    let lastError: unknown;
    counts = await ctx.ui.spin(`waiting for ${plural(expected!, 'message')} in ${what}`, async () => {
      let latest: number[] | undefined;
      for (;;) {
        try {
          // a moment past the deadline for a measure's own error (the cause a timeout reports)
          latest = await withinDeadline(measure(), deadline + CAUSE_GRACE_MS);
          lastError = undefined;
        } catch (error) {
          // no daemon yet (ZPS_NO_AUTOSTART=1) is waited for as a broker that does not answer
          const notYet =
            error instanceof ZpsError && (error.retriable || error.reason === 'daemon-not-running' || (pattern !== undefined && error.code === 'not-found'));
          if (error !== DEADLINE && !notYet) throw error;
          if (error !== DEADLINE) lastError = error;
        }
        if ((latest && mismatch(latest) < 0) || Date.now() >= deadline) return latest;
        await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))));
      }
    });
    if (!counts) {
      throw timeoutError(`could not count ${what} within ${flags.wait}${lastError ? `: ${describeError(lastError)}` : ''}`);
    }
  }

  topics.forEach((topic, i) => {
    const n = counts[i]!;
    if (ctx.json) ctx.out.line(JSON.stringify(group === undefined ? { topic, count: n } : { topic, group, count: n, lag: n }));
    else ctx.out.line(oneLine ? String(n) : `${topic}\t${n}`);
  });

  const wrong = mismatch(counts);
  if (wrong >= 0) {
    const what = group === undefined ? 'messages in' : `messages of lag for group ${group} in`;
    const message = `expected ${expected} ${what} ${topics[wrong]}, found ${counts[wrong]}`;
    throw waitMs === undefined ? new ZpsError(message) : timeoutError(`${message} (waited ${flags.wait})`);
  }
}

function regex(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (error) {
    throw usageError(`invalid --regex '${source}': ${(error as Error).message}`);
  }
}

/** The topics whose names match the pattern (internal ones too, when it names them), in name order. */
async function matchingTopics(ctx: CliContext, pattern: RegExp): Promise<string[]> {
  const topics = (await ctx.factory().getAdmin().topics({ all: true })).map((summary) => summary.topic).filter((topic) => pattern.test(topic));
  if (topics.length === 0) throw new ZpsError(`no topic matches /${pattern.source}/`, { code: 'not-found' });
  return topics.sort();
}

const CAUSE_GRACE_MS = 250;

/** Rejected with by withinDeadline when the deadline comes first. */
const DEADLINE = Symbol('deadline');

/** The promise's outcome, or a rejection with DEADLINE at `deadline` (ms since the epoch). */
async function withinDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  promise.catch(() => {}); // may settle after the deadline, unobserved
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(reject, Math.max(0, deadline - Date.now()), DEADLINE)))]);
  } finally {
    clearTimeout(timer);
  }
}
