import type { Command } from 'commander';
import { tooLargeError, usageError } from '../../pubsub/errors.js';
import { MAX_MESSAGE_BYTES, validateTopicName } from '../../pubsub/limits.js';
import { plural } from '../../pubsub/wording.js';
import { TYPE_HEADER } from '../../pubsub/types.js';
import type { RecordHeader } from '../../records/record.js';
import type { CliContext } from '../context.js';
import { until } from '../io.js';
import { bytesJson } from '../format.js';
import type { ProtobufSchemaOptions, SchemaReferenceSpec } from '../../pubsub/factory.js';
import { collectHeader, collectSchemaReference, collectValue, parseWholeNumber } from '../parse.js';
import type { ActionRunner } from '../program.js';
import { argumentLines, inputLines, type InputLines } from '../publish/input-lines.js';
import { jsonLineDecoder } from '../publish/json-line.js';
import { lineEncoder, type LineEncoder } from '../publish/line-encoder.js';
import { PipelinedSender, publishFailure, type InputKind } from '../publish/pipelined-sender.js';

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
  schemaReference?: SchemaReferenceSpec[];
  keySchema?: string;
  proto?: string;
  message?: string;
  protoPath?: string[];
  fromJson?: boolean;
  keepPartitions?: boolean;
}

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
    .option('--schema <file>', 'Kafka: encode with this Avro (.avsc), JSON Schema (.json) or Protobuf (.proto) file')
    .option('--subject <name>', 'Kafka: schema registry subject (default <topic>-value)')
    .option(
      '--schema-reference <name=subject[:version]>',
      'with --schema: a type the schema names, registered under another subject (version: a number, or latest); repeatable',
      collectSchemaReference,
    )
    .option('--key-schema <file>', 'Kafka: encode the keys (-k, -K; JSON, else a string) with this schema, subject <topic>-key')
    .option('--message <name>', "Protobuf: the message (full name) values are, default the file's first")
    .option('--proto <file>', 'encode values (Protobuf JSON) as plain Protobuf messages of --message, without a registry')
    .option('--proto-path <dir>', 'Protobuf: a directory imports are looked up in (repeatable)', collectValue)
    .option('--from-json', 'each line is a consume --json line: publish its key, type, headers and value as they were')
    .option('--keep-partitions', "with --from-json: publish each message to its line's partition")
    .action(run(async (ctx, command) => publish(ctx, command.args[0]!, command.args.slice(1), command.opts<PublishFlags>())));
}

async function publish(ctx: CliContext, topic: string, values: string[], flags: PublishFlags): Promise<void> {
  validateTopicName(topic);
  const partition = flags.partition === undefined ? undefined : parseWholeNumber(flags.partition, 'partition');
  const partitions = flags.partitions === undefined ? undefined : parseWholeNumber(flags.partitions, 'partition count', 1);
  if (flags.key !== undefined && flags.keyDelimiter !== undefined) throw usageError('use either --key or --key-delimiter, not both');
  if (flags.keyDelimiter === '') throw usageError('--key-delimiter must not be empty');
  if (flags.subject !== undefined && flags.schema === undefined) throw usageError('--subject goes with --schema');
  if (flags.schemaReference !== undefined && flags.schema === undefined) throw usageError('--schema-reference goes with --schema');
  for (const flag of ['schema', 'keySchema'] as const) {
    if (flags[flag] === undefined) continue;
    if (ctx.isLocal) throw usageError(`--${kebab(flag)} needs Kafka with a schema registry`, 'schema-needs-kafka');
    if (!ctx.settings.schemaRegistryUrl) throw usageError(`--${kebab(flag)} needs a schema registry`, 'no-schema-registry');
  }
  if (flags.keySchema !== undefined && flags.key === undefined && flags.keyDelimiter === undefined) {
    throw usageError('--key-schema encodes keys: give them with -k or -K');
  }
  if (flags.keepPartitions && !flags.fromJson) throw usageError('--keep-partitions goes with --from-json');
  const protobuf = protobufFlags(flags);
  if (flags.fromJson) {
    const clashing = (['key', 'keyDelimiter', 'type', 'header', 'tombstone', 'schema', 'keySchema', 'proto', 'raw'] as const).find(
      (name) => flags[name] !== undefined,
    );
    if (clashing) throw usageError(`--from-json takes keys, types, headers and values from each line: drop --${kebab(clashing)}`);
    if (flags.keepPartitions && flags.partition !== undefined) throw usageError('use either --keep-partitions or --partition');
  }
  const headers: RecordHeader[] = [...(flags.header ?? [])];
  if (flags.type !== undefined) headers.push([TYPE_HEADER, Buffer.from(flags.type)]);
  const encode = flags.fromJson
    ? jsonLineDecoder({ keepPartitions: flags.keepPartitions ?? false })
    : lineEncoder({
        key: flags.key === undefined ? null : Buffer.from(flags.key),
        delimiter: flags.keyDelimiter === undefined ? undefined : Buffer.from(flags.keyDelimiter),
        tombstones: flags.tombstone ?? false,
        schema:
          flags.proto !== undefined
            ? (await (await import('../../kafka/protobuf/registry.js')).plainProtobuf(flags.proto, protobuf)).encode
            : flags.schema === undefined
              ? undefined
              : await ctx.factory().valueEncoder(flags.schema, flags.subject ?? `${topic}-value`, flags.schemaReference, protobuf),
        raw: flags.raw ?? false,
        keySchema: flags.keySchema === undefined ? undefined : await ctx.factory().valueEncoder(flags.keySchema, `${topic}-key`),
      });
  const fromArguments = !(values.length === 0 || (values.length === 1 && values[0] === '-'));
  const stdin = fromArguments ? undefined : ctx.io.stdin; // one that cannot be read is said before the topic is made
  const sender = ctx.factory().getSender();
  const prepared = await sender.prepare(topic, { partitions });
  if (partitions !== undefined && prepared.partitions !== partitions) {
    ctx.note(`topic ${topic} already exists with ${plural(prepared.partitions, 'partition')}: --partitions ${partitions} is ignored`);
  }

  // Ctrl-C stops the reading (a read waiting for stdin is given up); what was read is published.
  let interrupt!: () => void;
  const interrupted = new Promise<void>((resolve) => (interrupt = resolve));
  const kind: InputKind = fromArguments ? 'argument' : 'line';
  const input: Iterable<InputLines> | AsyncIterable<InputLines> = stdin ? until(inputLines(stdin, MAX_LINE_BYTES), interrupted) : [argumentLines(values)];
  if (fromArguments) {
    // Every argument is encoded and checked before any is sent: a bad one publishes nothing.
    const [lines] = input as InputLines[];
    for (let i = 0; i < lines!.count; i++) {
      try {
        const message = encode(lines!.buffer, lines!.starts[i]!, lines!.ends[i]!);
        prepared.check(message.key, message.tombstone ? -1 : message.end - message.start, headers);
      } catch (error) {
        throw publishFailure(topic, kind, { error, position: lines!.positions[i]! });
      }
    }
  }

  const pipeline = new PipelinedSender(topic, prepared, {
    kind,
    headers,
    partition,
    onAcks: ctx.json
      ? async (batch, acks) => {
          let i = 0;
          for (const [partition, first, count] of acks) {
            for (let offset = first; offset < first + count; offset++, i++) {
              const key = batch.key(i);
              ctx.out.line(JSON.stringify({ topic, partition, offset, key: key === null ? null : bytesJson(key) }));
            }
          }
          await ctx.out.flush();
        }
      : undefined,
  });
  let reading = true;
  const stopListening = ctx.io.onInterrupt(() => {
    if (!reading) return; // all of the input is sent: what is left is waiting for its acks
    pipeline.interrupt();
    interrupt();
  });
  if (stdin?.isTTY) ctx.note(`reading messages for ${topic} from stdin, one per line; Ctrl-D ends`);
  let outcome: { published: number; batches: number };
  try {
    const inputEnded = await sendAll(input, encode, pipeline);
    reading = false;
    outcome = await pipeline.finish(inputEnded);
  } finally {
    stopListening();
  }
  const { published, batches } = outcome;
  if (ctx.verbose) ctx.note(`published ${plural(published, 'message')} to ${topic} in ${plural(batches, 'batch')}`);
  else ctx.tell(`published ${plural(published, 'message')} to ${topic}`);
}

/** Adds every message of the input to the pipeline; false when it stopped at a failure before the input's end. */
async function sendAll(input: Iterable<InputLines> | AsyncIterable<InputLines>, encode: LineEncoder, pipeline: PipelinedSender): Promise<boolean> {
  for await (const lines of input) {
    for (let i = 0; i < lines.count; i++) {
      const position = lines.positions[i]!;
      try {
        pipeline.add(encode(lines.buffer, lines.starts[i]!, lines.ends[i]!), position);
      } catch (error) {
        pipeline.fail(error, position);
        return false;
      }
      const waiting = pipeline.flow();
      if (waiting) await waiting;
      if (pipeline.failed) return false;
    }
    if (lines.tooLong) {
      const { position, bytes } = lines.tooLong;
      pipeline.fail(tooLargeError(`line is ${bytes} bytes, over the ${MAX_MESSAGE_BYTES} bytes a message may have`), position);
      return false;
    }
    pipeline.linger();
  }
  return !pipeline.failed; // failed here only by an interrupt, which ended the input early
}

/** --message and --proto-path, which go with a .proto given to --schema or --proto. */
function protobufFlags(flags: PublishFlags): ProtobufSchemaOptions {
  if (flags.proto !== undefined && flags.schema !== undefined) throw usageError('use either --schema (with a registry) or --proto (plain Protobuf), not both');
  const proto = flags.proto ?? (flags.schema?.toLowerCase().endsWith('.proto') ? flags.schema : undefined);
  if (proto === undefined && (flags.message !== undefined || flags.protoPath !== undefined))
    throw usageError('--message and --proto-path go with a .proto file (--schema or --proto)');
  return { message: flags.message, protoPaths: flags.protoPath };
}

/** `keyDelimiter` → `key-delimiter`: a flag's name as typed. */
function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
