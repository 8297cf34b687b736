import type { Command } from 'commander';
import { ZpsError, timeoutError, usageError } from '../../pubsub/errors.js';
import { plural, validateTopicName } from '../../pubsub/limits.js';
import type { DeliveredRecord, Reader } from '../../pubsub/types.js';
import type { CliContext } from '../context.js';
import { jsonFormatter, plainFormatter, templateFormatter, ttyFormatter, type RecordFormatter } from '../format.js';
import { formatDuration, parseStartOffset, parseWholeNumber } from '../parse.js';
import type { ActionRunner } from '../program.js';

interface ConsumeFlags {
  follow?: boolean;
  offset: string;
  maxMessages?: string;
  format?: string;
}

export function register(program: Command, run: ActionRunner): void {
  program
    .command('consume')
    .description('print the messages of a topic, then exit at its end (or keep following)')
    .argument('<topic>', 'topic to read')
    .option('-f, --follow', 'keep waiting for new messages (Ctrl-C ends)')
    .option('-o, --offset <position>', 'where to start: beginning, end, <n>, or -<n> for the last n per partition', 'beginning')
    .option('-n, --max-messages <n>', 'exit after n messages, waiting for them: without limit, unless --timeout is given (then exit 3 when it runs out)')
    .option('--format <template>', 'print each message as %t %p %o %k %s %T %y %h (\\n and \\t escapes)')
    .action(run(async (ctx, command) => consume(ctx, command.args[0]!, command.opts<ConsumeFlags>())));
}

async function consume(ctx: CliContext, topic: string, flags: ConsumeFlags): Promise<void> {
  validateTopicName(topic);
  const start = parseStartOffset(flags.offset);
  const limit = flags.maxMessages === undefined ? undefined : parseWholeNumber(flags.maxMessages, 'message count', 1);
  if (flags.format !== undefined && ctx.json) throw usageError('use either --format or --json, not both');
  const format: RecordFormatter =
    flags.format !== undefined ? templateFormatter(flags.format) : ctx.json ? jsonFormatter : ctx.ui.stdoutIsTty ? ttyFormatter(ctx.ui.out) : plainFormatter;
  const follow = (flags.follow ?? false) || limit !== undefined;
  const reader = await ctx
    .factory()
    .openReader({ topic, group: ctx.settings.group, start, follow })
    .catch((error: unknown) => {
      if (!(error instanceof ZpsError && error.code === 'not-found')) throw error;
      const where = ctx.isLocal ? '' : ` on ${ctx.settings.brokers.join(',')}`;
      throw new ZpsError(`topic ${topic} does not exist${where}`, {
        code: 'not-found',
        hint: 'a topic is created by its first publish; --follow waits for it',
      });
    });

  // Ctrl-C, a closed pipe and a deadline all end the same way: stop reading, commit what was printed.
  let timedOut = false;
  const stop = () => void reader.close();
  const stopListening = ctx.io.onInterrupt(stop);
  ctx.out.onClosed(stop);
  const deadline =
    limit !== undefined && ctx.timeoutGiven
      ? setTimeout(() => {
          timedOut = true;
          stop();
        }, ctx.settings.timeoutMs)
      : undefined;
  const spinner = limit !== undefined ? ctx.ui.spinner(`waiting for ${plural(limit, 'message')} on ${topic}`) : undefined;

  let printed = 0;
  let undecodable = 0;
  const chunking: Chunking = { size: FIRST_CHUNK };
  try {
    while (limit === undefined || printed < limit) {
      const batch = await reader.next();
      if (batch === null || ctx.out.closed) break;
      spinner?.stop();
      const take = limit === undefined ? batch : batch.slice(0, limit - printed);
      for (const record of take) {
        if (record.undecodable === undefined) continue;
        undecodable++;
        ctx.note(`cannot decode ${record.topic}[${record.partition}]@${record.offset}, printed as stored: ${record.undecodable}`);
      }
      printed += await print(ctx, reader, take, format, chunking);
    }
  } finally {
    clearTimeout(deadline);
    spinner?.stop();
    stopListening();
    await reader.close();
  }
  if (undecodable > 0) throw new ZpsError(`${plural(undecodable, 'message')} of ${topic} could not be decoded`);
  if (limit !== undefined && printed < limit && timedOut) {
    throw timeoutError(`timed out waiting for messages on ${topic}: received ${printed} of ${limit} within ${formatDuration(ctx.settings.timeoutMs)}`);
  }
}

/** Marks records [from, to] done: the last of each partition is enough (all before it are done too). */
function markDone(reader: Reader, records: DeliveredRecord[], from: number, to: number): void {
  const marked = new Set<number>();
  for (let j = to; j >= from; j--) {
    const record = records[j]!;
    if (marked.has(record.partition)) continue;
    marked.add(record.partition);
    reader.markDone(record);
  }
}

/**
 * Stdout is written in chunks, each marked done once written. The first is small enough to reach
 * a pipe whole (a write of at most PIPE_BUF bytes is atomic), then they double up to 64 KiB.
 */
const FIRST_CHUNK = 4 * 1024;
const MAX_CHUNK = 64 * 1024;

/** The size the next chunk of stdout reaches before it is written. */
interface Chunking {
  size: number;
}

/**
 * Writes a batch in chunks and marks each chunk's records done (committed with a group) once
 * stdout took them: when the reader of a pipe goes away, what reached the pipe is committed, and
 * nothing that did not.
 */
async function print(ctx: CliContext, reader: Reader, records: DeliveredRecord[], format: RecordFormatter, chunking: Chunking): Promise<number> {
  let printed = 0;
  let chunkStart = 0;
  for (let i = 0; i < records.length; i++) {
    format(records[i]!, ctx.out);
    if (ctx.out.queued < chunking.size && i < records.length - 1) continue;
    await ctx.out.flush();
    if (ctx.out.closed) break;
    markDone(reader, records, chunkStart, i);
    printed += i + 1 - chunkStart;
    chunkStart = i + 1;
    chunking.size = Math.min(chunking.size * 2, MAX_CHUNK);
  }
  return printed;
}
