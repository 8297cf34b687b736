import type { Command } from 'commander';
import { ZpsError, codeOf, describeError, tooLargeError, usageError } from '../../pubsub/errors.js';
import { isJsonValue } from '../../wire/json-text.js';
import { MAX_MESSAGE_BYTES, plural, validateTopicName } from '../../pubsub/limits.js';
import { TYPE_HEADER, type PreparedTopic, type RecordAck, type RecordHeader, type RecordSender } from '../../pubsub/types.js';
import type { CliContext } from '../context.js';
import { bytesJson } from '../format.js';
import { argumentLines, inputLines, itemLabel, type InputKind, type InputLines } from '../input.js';
import { LineBatch } from '../line-batch.js';
import { collectHeader, parseWholeNumber } from '../parse.js';
import type { ActionRunner } from '../program.js';

interface PublishFlags {
  raw?: boolean;
  key?: string;
  keyDelimiter?: string;
  type?: string;
  header?: RecordHeader[];
  partition?: string;
  partitions?: string;
  tombstone?: boolean;
  schema?: string;
  subject?: string;
}

const BATCH_RECORDS = 1_000;
const BATCH_BYTES = 1024 * 1024;
/** Batches sent before the oldest must be acknowledged: overlaps reading input with storing it. */
const MAX_IN_FLIGHT = 4;
/** Longer stdin lines cannot fit a message whatever their key: they are refused without being kept. */
const MAX_LINE_BYTES = MAX_MESSAGE_BYTES + 4096;

export function register(program: Command, run: ActionRunner): void {
  program
    .command('publish')
    .description('publish each value (or each non-empty stdin line) as one message, as its bytes')
    .argument('<topic>', 'topic to publish to (created on first publish)')
    .argument('[value...]', 'values to publish; none or "-" reads stdin')
    .option('--raw', 'with --schema: give the schema each value as a string, not parsed as JSON')
    .option('-k, --key <key>', 'key of every message')
    .option('-K, --key-delimiter <delimiter>', 'split each value at the first <delimiter> into key and value')
    .option('-Z, --tombstone', 'publish an empty value as a tombstone (null value), as kcat -Z')
    .option('-t, --type <type>', `message type, stored with every message (Kafka header ${TYPE_HEADER})`)
    .option('-H, --header <name=value>', 'header of every message (repeatable; a name may repeat)', collectHeader)
    .option('-p, --partition <n>', 'publish to this partition')
    .option('--partitions <n>', 'partitions of the topic when this publish creates it (default 1)')
    .option('--schema <file>', 'Kafka: encode with this Avro (.avsc) or JSON Schema (.json) file')
    .option('--subject <name>', 'Kafka: schema registry subject (default <topic>-value)')
    .action(run(async (ctx, command) => publish(ctx, command.args[0]!, command.args.slice(1), command.opts<PublishFlags>())));
}

async function publish(ctx: CliContext, topic: string, values: string[], flags: PublishFlags): Promise<void> {
  validateTopicName(topic);
  const partition = flags.partition === undefined ? undefined : parseWholeNumber(flags.partition, 'partition');
  const partitions = flags.partitions === undefined ? undefined : parseWholeNumber(flags.partitions, 'partition count', 1);
  if (flags.key !== undefined && flags.keyDelimiter !== undefined) throw usageError('use either --key or --key-delimiter, not both');
  if (flags.keyDelimiter === '') throw usageError('--key-delimiter must not be empty');
  if (flags.subject !== undefined && flags.schema === undefined) throw usageError('--subject goes with --schema');
  if (flags.schema !== undefined && ctx.isLocal) throw usageError('--schema needs Kafka with a schema registry', 'schema-needs-kafka');
  if (flags.schema !== undefined && !ctx.settings.schemaRegistryUrl) throw usageError('--schema needs a schema registry', 'no-schema-registry');
  const schema = flags.schema;
  const encodeWithSchema =
    schema === undefined ? undefined : await ctx.factory().valueEncoder(schema, flags.subject ?? `${topic}-value`);
  const headers: RecordHeader[] = [...(flags.header ?? [])];
  if (flags.type !== undefined) headers.push([TYPE_HEADER, Buffer.from(flags.type)]);
  const key = flags.key === undefined ? null : Buffer.from(flags.key);
  const delimiter = flags.keyDelimiter === undefined ? undefined : Buffer.from(flags.keyDelimiter);
  const raw = flags.raw ?? false;
  const sender = ctx.factory().getSender();
  const prepared = await sender.prepare(topic, { partitions });
  if (partitions !== undefined && prepared.partitions !== partitions) {
    ctx.note(`topic ${topic} already exists with ${plural(prepared.partitions, 'partition')}: --partitions ${partitions} is ignored`);
  }
  /** Checks and adds one line or argument; throws, adding nothing, when it cannot be published. */
  const addMessage: AddMessage = (batch, buffer, start, end, position) => {
    let messageKey: Buffer | null = key;
    if (delimiter !== undefined) {
      const at = buffer.subarray(start, end).indexOf(delimiter);
      if (at >= 0) {
        messageKey = buffer.subarray(start, start + at);
        start += at + delimiter.length;
      }
    }
    // The bytes as given (JSON stays the JSON text, text stays text); a schema encodes them instead.
    let value = buffer;
    if (encodeWithSchema !== undefined && !(batch.emptyIsTombstone && end === start)) {
      value = encodeWithSchema(raw ? buffer.toString('utf8', start, end) : parseValue(buffer, start, end));
      [start, end] = [0, value.byteLength];
    }
    prepared.check(messageKey, batch.emptyIsTombstone && end === start ? -1 : end - start, headers);
    if (batch.length > 0 && batch.bytes + (end - start) > BATCH_BYTES) throw BATCH_FULL;
    batch.add(value, start, end, messageKey, position);
  };
  const newBatch = () => new LineBatch(headers, partition, BATCH_RECORDS, flags.tombstone ?? false);

  const fromArguments = !(values.length === 0 || (values.length === 1 && values[0] === '-'));
  let input: Input = { kind: 'line', lines: inputLines(ctx.io.stdin, MAX_LINE_BYTES) };
  if (fromArguments) {
    const lines = argumentLines(values);
    // Every argument is encoded and checked before any is sent: a bad one publishes nothing.
    const checked = newBatch();
    for (let i = 0; i < lines.count; i++) {
      try {
        addMessage(checked, lines.buffer, lines.starts[i]!, lines.ends[i]!, lines.positions[i]!);
      } catch (error) {
        if (error === BATCH_FULL) continue;
        throw publishFailure(topic, 'argument', { error, position: lines.positions[i]! }, []);
      }
    }
    input = { kind: 'argument', lines: [lines] };
  }
  const { published, batches } = await publishLines(ctx, sender, topic, input, addMessage, newBatch, prepared);
  if (ctx.verbose) ctx.note(`published ${plural(published, 'message')} to ${topic} in ${plural(batches, 'batch')}`);
  else ctx.tell(`published ${plural(published, 'message')} to ${topic}`);
}

/** Thrown by addMessage when the message does not fit the batch: send the batch, then add it to the next. */
const BATCH_FULL = Symbol('batch full');

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

interface Failure {
  error: unknown;
  /** The line or argument number that failed: a bad one, or the first of a batch not acknowledged. */
  position: number;
}

/** Streams lines to the broker in pipelined batches; on the first failure stops and reports what landed. */
async function publishLines(
  ctx: CliContext,
  sender: RecordSender,
  topic: string,
  input: Input,
  addMessage: AddMessage,
  newBatch: () => LineBatch,
  prepared: PreparedTopic,
): Promise<{ published: number; batches: number }> {
  let batches = 0;
  const inFlight: Array<{ batch: LineBatch; acks: Promise<RecordAck[]> }> = [];
  /** Every batch sent, once settled: what the report of a failure is made of. */
  const outcomes: Array<{ first: number; last: number; acked: number }> = [];
  let failure: Failure | undefined;
  let batch = newBatch();

  const fail = (candidate: Failure) => {
    if (!failure || candidate.position < failure.position) failure = candidate;
  };
  const settleOldest = async () => {
    const { batch: sent, acks } = inFlight.shift()!;
    try {
      const results = await acks;
      outcomes.push({ first: sent.first, last: sent.last, acked: results.length });
      if (ctx.json) {
        results.forEach(({ partition, offset }, i) => {
          const key = sent.key(i);
          ctx.out.line(JSON.stringify({ topic, partition, offset, key: key === null ? null : bytesJson(key) }));
        });
        await ctx.out.flush();
      }
    } catch (error) {
      outcomes.push({ first: sent.first, last: sent.last, acked: 0 });
      fail({ error, position: sent.first });
    }
  };
  const send = () => {
    if (batch.length === 0) return;
    const acks = sender.send(topic, batch, { partitions: prepared.partitions });
    batches++;
    acks.catch(() => {}); // observed in settleOldest
    inFlight.push({ batch, acks });
    batch = newBatch();
  };
  const add = (lines: InputLines, i: number) => {
    try {
      addMessage(batch, lines.buffer, lines.starts[i]!, lines.ends[i]!, lines.positions[i]!);
    } catch (error) {
      if (error !== BATCH_FULL) throw error;
      send();
      addMessage(batch, lines.buffer, lines.starts[i]!, lines.ends[i]!, lines.positions[i]!);
    }
  };

  read: for await (const lines of input.lines) {
    for (let i = 0; i < lines.count; i++) {
      try {
        add(lines, i);
      } catch (error) {
        // What came before a bad line goes out: the report then says exactly which lines were published.
        fail({ error, position: lines.positions[i]! });
        break read;
      }
      if (batch.length >= BATCH_RECORDS) send();
      while (inFlight.length >= MAX_IN_FLIGHT) await settleOldest();
      if (failure) break read;
    }
    if (lines.tooLong) {
      const { position, bytes } = lines.tooLong;
      fail({ error: tooLargeError(`line is ${bytes} bytes, over the ${MAX_MESSAGE_BYTES} bytes a message may have`), position });
      break;
    }
  }
  if (!failure || batch.last < failure.position) send(); // never what comes after a failed batch
  while (inFlight.length > 0) await settleOldest();
  await ctx.out.flush();
  const published = outcomes.reduce((sum, o) => sum + o.acked, 0);
  if (failure) throw publishFailure(topic, input.kind, failure, outcomes);
  return { published, batches };
}

/**
 * The report of a failed publish: which item failed, and what was published. Normally everything
 * before it and nothing after; when batches in flight behind the failed one were stored anyway,
 * it lists exactly the items that were not published.
 */
function publishFailure(
  topic: string,
  kind: InputKind,
  failure: Failure,
  outcomes: ReadonlyArray<{ first: number; last: number; acked: number }>,
): ZpsError {
  const label = itemLabel(kind, failure.position);
  const before = outcomes.filter((o) => o.last < failure.position).reduce((sum, o) => sum + o.acked, 0);
  const storedAfter = outcomes.some((o) => o.first > failure.position && o.acked > 0);
  let hint: string;
  if (storedAfter) {
    const missing: Array<[number, number]> = [];
    for (const { first, last, acked } of outcomes) {
      if (acked > 0 || first < failure.position) continue;
      const previous = missing[missing.length - 1];
      if (previous && previous[1] + 1 === first) previous[1] = last;
      else missing.push([first, last]);
    }
    if (!outcomes.some((o) => o.first === failure.position)) missing.unshift([failure.position, failure.position]);
    hint = `not published: ${kind}s ${missing.map(([first, last]) => (first === last ? `${first}` : `${first}-${last}`)).join(', ')}; every other message was`;
  } else {
    hint = before === 0 ? 'nothing was published' : `${plural(before, 'message')} published before the failure; ${label} and what follows it were not published`;
  }
  return new ZpsError(`publish to ${topic} failed at ${label}: ${describeError(failure.error)}`, { code: codeOf(failure.error), hint });
}
