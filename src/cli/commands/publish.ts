import type { Command } from 'commander';
import { ZpsError, describeError, usageError, type ExitCode } from '../../pubsub/errors.js';
import { isJsonValue } from '../../pubsub/json-text.js';
import { checkMessageSize, plural, validateTopicName } from '../../pubsub/limits.js';
import { TYPE_HEADER, type Headers, type PublishResult } from '../../pubsub/types.js';
import type { CliContext } from '../context.js';
import { argumentLines, inputLines, itemLabel, type InputKind, type InputLines } from '../input.js';
import { LineBatch } from '../line-batch.js';
import { collectHeader, parseWholeNumber } from '../parse.js';
import type { ActionRunner } from '../program.js';

interface PublishFlags {
  raw?: boolean;
  key?: string;
  keyDelimiter?: string;
  type?: string;
  header?: Headers;
  partition?: string;
  partitions?: string;
  schema?: string;
  subject?: string;
}

const BATCH_RECORDS = 1_000;
const BATCH_BYTES = 1024 * 1024;
/** Batches sent before the oldest must be acknowledged: overlaps reading input with storing it. */
const MAX_IN_FLIGHT = 4;

export function register(program: Command, run: ActionRunner): void {
  program
    .command('publish')
    .description('publish each value (or each non-empty stdin line) as one message')
    .argument('<topic>', 'topic to publish to (created on first publish)')
    .argument('[value...]', 'values to publish; none or "-" reads stdin')
    .option('--raw', 'publish every value as the string given, even if it parses as JSON')
    .option('-k, --key <key>', 'key of every message')
    .option('-K, --key-delimiter <delimiter>', 'split each value at the first <delimiter> into key and value')
    .option('-t, --type <type>', `message type, stored with every message (Kafka header ${TYPE_HEADER})`)
    .option('-H, --header <name=value>', 'header of every message (repeatable)', collectHeader)
    .option('-p, --partition <n>', 'publish to this partition')
    .option('--partitions <n>', 'partitions of the topic when this publish creates it', '1')
    .option('--schema <file>', 'Kafka: encode with this Avro (.avsc) or JSON Schema (.json) file')
    .option('--subject <name>', 'Kafka: schema registry subject (default <topic>-value)')
    .action(run(async (ctx, command) => publish(ctx, command.args[0]!, command.args.slice(1), command.opts<PublishFlags>())));
}

async function publish(ctx: CliContext, topic: string, values: string[], flags: PublishFlags): Promise<void> {
  validateTopicName(topic);
  const partition = flags.partition === undefined ? undefined : parseWholeNumber(flags.partition, 'partition');
  const partitions = parseWholeNumber(flags.partitions ?? '1', 'partition count', 1);
  if (flags.key !== undefined && flags.keyDelimiter !== undefined) throw usageError('use either --key or --key-delimiter, not both');
  if (flags.keyDelimiter === '') throw usageError('--key-delimiter must not be empty');
  if (flags.subject !== undefined && flags.schema === undefined) throw usageError('--subject goes with --schema');
  const schema = flags.schema;
  const encodeWithSchema =
    schema === undefined ? undefined : await ctx.factory().then((f) => f.valueEncoder(schema, flags.subject ?? `${topic}-value`));
  const headers: Headers = { ...flags.header };
  if (flags.type !== undefined) headers[TYPE_HEADER] = flags.type;
  const key = flags.key ?? null;
  const delimiter = flags.keyDelimiter === undefined ? undefined : Buffer.from(flags.keyDelimiter);
  const raw = flags.raw ?? false;
  /** Checks and adds one line or argument; throws, adding nothing, when it cannot be published. */
  const addMessage: AddMessage = (batch, buffer, start, end, position) => {
    let messageKey = key;
    if (delimiter !== undefined) {
      const at = buffer.subarray(start, end).indexOf(delimiter);
      if (at >= 0) {
        messageKey = buffer.toString('utf8', start, start + at);
        start += at + delimiter.length;
      }
    }
    // JSON goes out as the very bytes read; anything else (or everything, with --raw) as a JSON string
    let value = buffer;
    if (encodeWithSchema !== undefined) value = encodeWithSchema(raw ? buffer.toString('utf8', start, end) : parseValue(buffer, start, end));
    else if (raw || !isJsonValue(buffer, start, end)) value = Buffer.from(JSON.stringify(buffer.toString('utf8', start, end)));
    if (value !== buffer) [start, end] = [0, value.byteLength];
    checkMessageSize(batch.messageSize(messageKey, end - start));
    batch.add(value, start, end, messageKey, position);
  };
  const newBatch = () => new LineBatch(headers, partition, BATCH_RECORDS);

  const fromArguments = !(values.length === 0 || (values.length === 1 && values[0] === '-'));
  let input: Input = { kind: 'line', lines: inputLines(process.stdin) };
  if (fromArguments) {
    const lines = argumentLines(values);
    // Every argument is encoded and checked before any is sent: a bad one publishes nothing.
    const checked = newBatch();
    for (let i = 0; i < lines.count; i++) {
      try {
        addMessage(checked, lines.buffer, lines.starts[i]!, lines.ends[i]!, lines.positions[i]!);
      } catch (error) {
        throw publishFailure(topic, { error, label: itemLabel('argument', lines.positions[i]!) }, 0, []);
      }
    }
    input = { kind: 'argument', lines: [lines] };
  }
  const { published, batches } = await publishLines(ctx, topic, input, addMessage, newBatch, partitions);
  if (ctx.verbose) process.stderr.write(`zps: published ${plural(published, 'message')} to ${topic} in ${plural(batches, 'batch')}\n`);
  else if (ctx.ui.stderrIsTty) process.stderr.write(ctx.ui.err.green(`published ${plural(published, 'message')} to ${topic}\n`));
}

type AddMessage = (batch: LineBatch, buffer: Buffer, start: number, end: number, position: number) => void;

/** The JSON value the bytes hold, or their text when they are not JSON (what a schema then checks). */
function parseValue(bytes: Buffer, start: number, end: number): unknown {
  const text = bytes.toString('utf8', start, end);
  return isJsonValue(bytes, start, end) ? JSON.parse(text) : text;
}

interface Input {
  kind: InputKind;
  lines: AsyncIterable<InputLines> | Iterable<InputLines>;
}

/** Streams lines to the broker in pipelined batches; on the first failure stops and reports what landed. */
async function publishLines(
  ctx: CliContext,
  topic: string,
  input: Input,
  addMessage: AddMessage,
  newBatch: () => LineBatch,
  partitions: number,
): Promise<{ published: number; batches: number }> {
  const sender = (await ctx.factory()).getSender();
  let batches = 0;
  const inFlight: Array<{ batch: LineBatch; acks: Promise<PublishResult[]> }> = [];
  let published = 0;
  let failure: { error: unknown; label: string } | undefined;
  const notPublished: string[] = [];
  const label = (position: number) => itemLabel(input.kind, position);
  let batch = newBatch();

  const settleOldest = async () => {
    const { batch: sent, acks } = inFlight.shift()!;
    try {
      const results = await acks;
      published += results.length;
      if (ctx.json) {
        for (const ack of results) ctx.out.line(JSON.stringify(ack));
        await ctx.out.flush();
      }
    } catch (error) {
      failure ??= { error, label: label(sent.first) };
      notPublished.push(sent.first === sent.last ? label(sent.first) : `${label(sent.first)}-${sent.last}`);
    }
  };
  const send = () => {
    if (batch.length === 0) return;
    const acks = sender.send(topic, batch, { partitions });
    batches++;
    acks.catch(() => {}); // observed in settleOldest
    inFlight.push({ batch, acks });
    batch = newBatch();
  };

  read: for await (const lines of input.lines) {
    for (let i = 0; i < lines.count; i++) {
      try {
        addMessage(batch, lines.buffer, lines.starts[i]!, lines.ends[i]!, lines.positions[i]!);
      } catch (error) {
        // What came before a bad line goes out: the report then says exactly which lines were published.
        failure = { error, label: label(lines.positions[i]!) };
        send();
        break read;
      }
      if (batch.length >= BATCH_RECORDS || batch.bytes >= BATCH_BYTES) send();
      while (inFlight.length >= MAX_IN_FLIGHT) await settleOldest();
      if (failure) break read;
    }
  }
  if (!failure) send();
  while (inFlight.length > 0) await settleOldest();
  await ctx.out.flush();
  if (failure) throw publishFailure(topic, failure, published, notPublished);
  return { published, batches };
}

function publishFailure(topic: string, failure: { error: unknown; label: string }, published: number, notPublished: string[]): ZpsError {
  const exitCode = (failure.error instanceof ZpsError ? failure.error.exitCode : 1) as ExitCode;
  const others = notPublished.length > 1 ? `; also not published: ${notPublished.slice(1).join(', ')}` : '';
  return new ZpsError(`publish to ${topic} failed at ${failure.label}: ${describeError(failure.error)}`, {
    exitCode,
    hint:
      published === 0
        ? 'nothing was published'
        : `${plural(published, 'message')} published before the failure; ${failure.label} and what follows it were not published${others}`,
  });
}
