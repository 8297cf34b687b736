import type { Command } from 'commander';
import type { ProtobufOptions } from '../../kafka/protobuf/registry.js';
import { ZpsError, describeError, usageError } from '../../pubsub/errors.js';
import { validateTopicName } from '../../pubsub/limits.js';
import { plural } from '../../pubsub/wording.js';
import type { RecordReader } from '../../pubsub/types.js';
import type { DeliveredRecord } from '../../records/record.js';
import type { CliContext } from '../context.js';
import { jsonFormatter, plainFormatter, templateFormatter, ttyFormatter, type RecordFormatter } from '../format.js';
import { recordFilter, type FilterFlags, type RecordFilter } from '../filters.js';
import { collectPartitions, collectValue, formatDuration, parseStartOffset, parseTime, parseWholeNumber } from '../parse.js';
import type { ActionRunner } from '../program.js';

interface ConsumeFlags extends FilterFlags {
  follow?: boolean;
  offset: string;
  maxMessages?: string;
  format?: string;
  regex?: string;
  partition?: number[];
  until?: string;
  proto?: string;
  message?: string;
  protoPath?: string[];
}

export function register(program: Command, run: ActionRunner): void {
  program
    .command('consume')
    .description('print the messages of topics, then exit at their end (or keep following)')
    .argument('[topic...]', 'topics to read (or --regex)')
    .option('-f, --follow', 'keep waiting for new messages until Ctrl-C (or --until); not with --timeout')
    .option('-o, --offset <position>', 'where to start: beginning, end, <n>, -<n> for the last n per partition, or @<time>', 'beginning')
    .option('--until <time>', 'stop each partition at its first message after <time>')
    .option('-n, --max-messages <n>', 'exit after n messages, waiting for them: without limit, unless --timeout is given (then exit 3 when it runs out)')
    .option('-p, --partition <n>', 'only this partition (repeatable, or 0,3)', collectPartitions)
    .option('--regex <pattern>', 'read every topic whose name matches (with -f, topics created later too)')
    .option('--key <key>', 'only messages with this key')
    .option('--header <name[=value]>', 'only messages with this header (repeatable: all must match)', collectValue)
    .option('--type <type>', 'only messages of this type')
    .option('--grep <pattern>', 'only messages whose value, as printed, matches this regular expression')
    .option('--proto <file>', 'decode values as plain Protobuf messages of --message (no registry), printed in the JSON mapping')
    .option('--message <name>', 'with --proto: the message (full name) values are')
    .option('--proto-path <dir>', 'with --proto: a directory imports are looked up in (repeatable)', collectValue)
    .option('--format <template>', 'print each message as %t %p %o %k %s %T %y %h (\\n and \\t escapes)')
    .action(run(async (ctx, command) => consume(ctx, command.args, command.opts<ConsumeFlags>())));
}

async function consume(ctx: CliContext, topics: string[], flags: ConsumeFlags): Promise<void> {
  if (topics.length > 0 && flags.regex !== undefined) throw usageError('name topics or give --regex, not both');
  if (topics.length === 0 && flags.regex === undefined) throw usageError('name a topic to consume, or give --regex');
  topics.forEach(validateTopicName);
  const topic = flags.regex !== undefined ? topicPattern(flags.regex) : topics.length === 1 ? topics[0]! : topics;
  const several = typeof topic !== 'string';
  const start = parseStartOffset(flags.offset);
  const until = flags.until === undefined ? undefined : parseTime(flags.until);
  const limit = flags.maxMessages === undefined ? undefined : parseWholeNumber(flags.maxMessages, 'message count', 1);
  if (flags.follow && limit === undefined && ctx.timeoutFlag) {
    // a follow has nothing to wait for that could run out: --timeout would only bound connecting, and look ignored
    throw new ZpsError('--timeout does not go with --follow: a follow runs until Ctrl-C', {
      code: 'usage',
      hint: 'to stop, give -n <count> (with --timeout, exit 3 when they do not come in time) or --until <time>',
    });
  }
  if (flags.proto === undefined && (flags.message !== undefined || flags.protoPath !== undefined))
    throw usageError('--message and --proto-path go with --proto');
  const plainProtobuf = flags.proto === undefined ? undefined : await protobufDecoder(flags.proto, { message: flags.message, protoPaths: flags.protoPath });
  const filter = recordFilter(flags);
  if (flags.format !== undefined && ctx.json) throw usageError('use either --format or --json, not both');
  const format: RecordFormatter =
    flags.format !== undefined
      ? templateFormatter(flags.format)
      : ctx.json
        ? jsonFormatter
        : ctx.ui.stdoutIsTty
          ? ttyFormatter(ctx.ui.out, { topic: several })
          : plainFormatter;
  const follow = (flags.follow ?? false) || limit !== undefined;
  // Following, what the reader waits for (a broker, the registry) is said as the wait begins, and
  // named if the time runs out before it ends.
  let waitingFor: ZpsError | undefined;
  let spinner: ReturnType<CliContext['ui']['spinner']> | undefined;
  const onWaiting = (cause: Error | undefined) => {
    waitingFor = cause === undefined || cause instanceof ZpsError ? cause : new ZpsError(describeError(cause));
    if (waitingFor === undefined) return;
    spinner?.stop();
    ctx.note(`${waitingFor.message}; trying again until it answers`);
  };
  const printing: Printing = { printed: 0, undecodable: 0, limit, filter, format, decode: plainProtobuf, chunk: FIRST_CHUNK, ends: [], interrupted: false };
  // Ctrl-C, a closed pipe and a deadline all end the same way: stop reading, commit what was printed.
  // Ctrl-C also stops printing at once: what stdout has not yet taken is dropped, not committed. A
  // batch being printed is marked done up to there before the reader closes (and commits). Ctrl-C
  // while the reader opens (a group member joining, brokers waited for) ends it as a follow ends.
  let timedOut = false;
  let printingBatch = false;
  let opened: RecordReader | undefined;
  const opening = new AbortController();
  const stop = () => void opened?.close();
  // -n's deadline counts from here: a member joining a group that waits (for a member gone without
  // leaving, until its session times out) is cut short too; connecting has that timeout of its own
  let joining = false;
  const deadline =
    limit !== undefined && ctx.timeoutGiven
      ? setTimeout(() => {
          timedOut = true;
          if (joining && opened === undefined) opening.abort();
          stop();
        }, ctx.settings.timeoutMs)
      : undefined;
  const onJoining = () => {
    joining = true;
    if (timedOut) opening.abort();
  };
  const what = typeof topic === 'string' ? topic : several && flags.regex !== undefined ? `topics matching /${flags.regex}/` : topics.join(', ');
  const stopListening = ctx.io.onInterrupt(() => {
    printing.interrupted = true;
    ctx.out.abandon();
    ctx.io.dropUnwritten();
    if (opened === undefined) opening.abort();
    else if (!printingBatch) stop();
  });
  let reader: RecordReader;
  try {
    reader = opened = await ctx
      .factory()
      .openReader({ topic, group: ctx.settings.group, start, follow, partitions: flags.partition, until, onWaiting, signal: opening.signal, onJoining })
      .catch((error: unknown) => {
        if (!(error instanceof ZpsError && error.code === 'not-found') || flags.regex !== undefined) throw error;
        throw new ZpsError(`${error.message}${ctx.onBrokers}`, {
          code: 'not-found',
          hint: 'a topic is created by its first publish; --follow waits for it',
        });
      });
  } catch (error) {
    clearTimeout(deadline);
    stopListening();
    if (!opening.signal.aborted) throw error;
    // a member that was joining leaves now, which a stalled broker may hold
    await closeSaying(ctx, () => ctx.factory().close());
    if (timedOut) throw timeoutError(ctx, what, printing, new ZpsError(`still joining group ${ctx.settings.group}`));
    return;
  }
  if (timedOut) stop(); // while connecting
  ctx.out.onClosed(stop);
  spinner = limit !== undefined ? ctx.ui.spinner(`waiting for ${plural(limit, 'message')} on ${what}`) : undefined;

  try {
    while (limit === undefined || printing.printed < limit) {
      const batch = await reader.next(limit === undefined ? undefined : limit - printing.printed);
      if (batch === null || ctx.out.closed || printing.interrupted) break;
      spinner?.stop();
      printingBatch = true;
      await print(ctx, reader, batch, printing);
      printingBatch = false;
      if (printing.interrupted) break;
    }
  } finally {
    clearTimeout(deadline);
    spinner?.stop();
    stopListening();
    await closeSaying(ctx, () => reader.close());
  }
  if (printing.undecodable > 0) throw new ZpsError(`${plural(printing.undecodable, 'message')} of ${what} could not be decoded`);
  // a wait already said, else an answer the deadline cut short (a registry that has not answered yet)
  if (limit !== undefined && printing.printed < limit && timedOut) throw timeoutError(ctx, what, printing, waitingFor ?? reader.stalledOn);
}

/** -n's deadline passed: what was received, and what the reader still waited for (whose reason brings its hint: what to check). */
function timeoutError(ctx: CliContext, what: string, printing: Printing, cause: ZpsError | undefined): ZpsError {
  const received = `received ${printing.printed} of ${printing.limit} within ${formatDuration(ctx.settings.timeoutMs)}`;
  const why = cause ? ` (${cause.message})` : '';
  return new ZpsError(`timed out waiting for messages on ${what}: ${received}${why}`, { code: 'timeout', reason: cause?.reason });
}

/**
 * How long a group reader's close may wait for Kafka (its last commit, its leave) before the wait
 * is said: past the 1 s long poll of a fetch they may be queued behind on the broker's connection.
 */
const SLOW_CLOSE_MS = 2_500;

/**
 * Closes the reader (`close`). A group's close waits for the coordinator to take its commit of what
 * was printed and its leave, which a stalled broker holds until the timeout: said after a while,
 * with the way out (the interrupt listener is gone by then, so Ctrl-C ends the process at once).
 */
async function closeSaying(ctx: CliContext, close: () => Promise<void>): Promise<void> {
  const group = ctx.settings.group;
  const said = () => ctx.note(`waiting for the broker to take the last commit of group ${group} and let the member leave; Ctrl-C quits now`);
  const slow = group === undefined ? undefined : setTimeout(said, SLOW_CLOSE_MS);
  try {
    await close();
  } finally {
    clearTimeout(slow);
  }
}

/** --proto: a record's value decoded from plain Protobuf to its JSON mapping; one that does not decode is marked undecodable. */
async function protobufDecoder(file: string, options: ProtobufOptions): Promise<(record: DeliveredRecord) => DeliveredRecord> {
  const { decode } = await (await import('../../kafka/protobuf/registry.js')).plainProtobuf(file, options);
  return (record) => {
    if (record.value === null || record.undecodable !== undefined) return record;
    try {
      return { ...record, value: Buffer.from(JSON.stringify(decode(record.value))) };
    } catch (error) {
      return { ...record, value: record.value, undecodable: `not a ${options.message} message: ${describeError(error)}` };
    }
  };
}

/** --regex's pattern, a usage error when it is not one. */
function topicPattern(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (error) {
    throw usageError(`invalid --regex '${source}': ${(error as Error).message}`);
  }
}

/** Marks records [from, to] done: the last of each partition is enough (all before it are done too). */
function markDone(reader: RecordReader, records: DeliveredRecord[], from: number, to: number): void {
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

/** What printing has done so far, and how it prints. */
interface Printing {
  printed: number;
  undecodable: number;
  limit: number | undefined;
  filter: RecordFilter | undefined;
  format: RecordFormatter;
  /** --proto: plain Protobuf values decoded before they are filtered and printed. */
  decode: ((record: DeliveredRecord) => DeliveredRecord) | undefined;
  /** The size the next chunk of stdout reaches before it is written. */
  chunk: number;
  /** Ctrl-C: printing stops after the write in flight, marking done what stdout took of it. */
  interrupted: boolean;
  /** Where each record of the chunk ends in it (bytes queued after it was formatted). */
  ends: number[];
}

/**
 * Writes the records that pass the filter, in chunks, and marks each chunk's records (printed or
 * filtered out: all of them examined) done once stdout took them: when the reader of a pipe goes
 * away, what reached the pipe is committed, and nothing after it; at Ctrl-C, the records whose
 * lines stdout took whole. Stops at the limit.
 */
async function print(ctx: CliContext, reader: RecordReader, records: DeliveredRecord[], printing: Printing): Promise<void> {
  const lost = reader.lost;
  if (lost?.aborted) return;
  let chunkStart = 0;
  let i = 0;
  // The group took these records' partitions while stdout held them (a rebalance waits only so
  // long): the chunk handed to stdout goes out, so it is marked done now, and nothing after it is printed.
  let given = false;
  const giveUp = () => {
    given = true;
    markDone(reader, records, chunkStart, i);
  };
  lost?.addEventListener('abort', giveUp, { once: true });
  try {
    const ends = printing.ends;
    ends.length = 0;
    for (; i < records.length; i++) {
      const record = printing.decode ? printing.decode(records[i]!) : records[i]!;
      const shown = printing.filter === undefined || printing.filter(record);
      if (shown) {
        if (record.undecodable !== undefined) {
          printing.undecodable++;
          ctx.note(`cannot decode ${record.topic}[${record.partition}]@${record.offset}, printed as stored: ${record.undecodable}`);
        }
        printing.format(record, ctx.out);
        printing.printed++;
      }
      ends.push(ctx.out.queued);
      const full = printing.limit !== undefined && printing.printed >= printing.limit;
      if (ctx.out.queued < printing.chunk && i < records.length - 1 && !full) continue;
      let taken = await ctx.out.flush();
      if (ctx.out.closed) return;
      if (given) {
        if (printing.interrupted) ctx.out.finishAbandoned(ends[ends.length - 1]!); // committed already: written whole if stdout takes it
        return;
      }
      if (printing.interrupted) {
        // a line cut short by Ctrl-C is finished, so the reader gets whole lines only
        const cut = ends.findIndex((end) => end > taken);
        if (cut >= 0 && taken > (cut === 0 ? 0 : ends[cut - 1]!)) taken = ctx.out.finishAbandoned(ends[cut]!);
      }
      let last = i;
      while (last >= chunkStart && ends[last - chunkStart]! > taken) last--;
      if (last >= chunkStart) markDone(reader, records, chunkStart, last);
      if (printing.interrupted) return;
      chunkStart = i + 1;
      ends.length = 0;
      // A reader slower than zps gets writes a pipe takes whole or not at all (at most PIPE_BUF bytes).
      printing.chunk = ctx.out.keptUp ? Math.min(printing.chunk * 2, MAX_CHUNK) : FIRST_CHUNK;
      if (full) return;
    }
  } finally {
    lost?.removeEventListener('abort', giveUp);
  }
}
