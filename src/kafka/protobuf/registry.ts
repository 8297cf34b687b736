import type { ValueEncoder } from '../schema.js';
import { usageError } from '../../pubsub/errors.js';
import type { ProtobufSchemaOptions } from '../../pubsub/factory.js';
import { loadProtobuf, ProtoSchema, protoSourcesFromDisk, type ProtoSource } from './proto-schema.js';
import { readMessageIndexes, writeMessageIndexes } from './message-indexes.js';

/** A schema reference, as the registry takes and gives them. */
export interface Reference {
  name: string;
  subject: string;
  version: number;
}

/** A schema as the registry answers it (by id, or by subject and version). */
export interface RegistryEntry {
  schema: string;
  references?: Reference[];
}

/** What Protobuf needs of the registry. */
export interface ProtobufRegistry {
  /** Registers a Protobuf schema under the subject; its id and version there. */
  register(subject: string, schema: string, references: Reference[]): Promise<{ id: number; version: number }>;
  version(subject: string, version: number): Promise<RegistryEntry>;
}

/** --message and --proto-path. */
export type ProtobufOptions = ProtobufSchemaOptions;

/**
 * Registers a .proto file under the subject as Confluent's serializers do: each imported file first,
 * under a subject named by its import path, and referenced as {name: import path, subject, version};
 * the well-known types are not registered (registries know them). Values are then encoded with the
 * message chosen (default: the file's first) and framed with its message indexes.
 */
export async function protobufEncoder(file: string, subject: string, options: ProtobufOptions, registry: ProtobufRegistry): Promise<ValueEncoder> {
  const protobuf = await loadProtobuf();
  const { sources, imports } = protoSourcesFromDisk(protobuf, file, options.protoPaths ?? []);
  const schema = await ProtoSchema.build(protobuf, sources, file);
  const { type, indexes } = schema.message(options.message);
  const versions = new Map<string, number>();
  let id = 0;
  for (const source of sources) {
    const main = source === sources[sources.length - 1];
    const references = (imports.get(source.name) ?? []).map((name) => ({ name, subject: name, version: versions.get(name)! }));
    const registered = await registry.register(main ? subject : source.name, source.content, references);
    versions.set(source.name, registered.version);
    id = registered.id;
  }
  const header = Buffer.alloc(5); // magic byte 0, then the schema id
  header.writeInt32BE(id, 1);
  const framing = Buffer.concat([header, writeMessageIndexes(indexes)]);
  return (value) => Buffer.concat([framing, schema.encode(type, value)]);
}

/** A decoder of values framed with a registry's Protobuf schema: its references are fetched from the registry. */
export async function protobufDecoder(id: number, entry: RegistryEntry, registry: ProtobufRegistry): Promise<(framed: Buffer) => unknown> {
  const protobuf = await loadProtobuf();
  const sources: ProtoSource[] = [];
  const seen = new Set<string>();
  const collect = async (references: Reference[]) => {
    for (const reference of references) {
      if (seen.has(reference.name)) continue;
      seen.add(reference.name);
      const referenced = await registry.version(reference.subject, reference.version);
      await collect(referenced.references ?? []);
      sources.push({ name: reference.name, content: referenced.schema });
    }
  };
  await collect(entry.references ?? []);
  sources.push({ name: `schema ${id}`, content: entry.schema });
  const schema = await ProtoSchema.build(protobuf, sources, `schema ${id}`);
  return (framed) => {
    const { indexes, end } = readMessageIndexes(framed, 5);
    return schema.decode(schema.messageAt(indexes), framed.subarray(end));
  };
}

/** --proto without a registry: plain Protobuf values of one message, encoded from and decoded to the JSON mapping. */
export async function plainProtobuf(file: string, options: ProtobufOptions): Promise<{ encode: ValueEncoder; decode: (bytes: Buffer) => unknown }> {
  if (options.message === undefined) throw usageError('--proto needs --message <full.Name>: plain Protobuf values do not say which message they are');
  const protobuf = await loadProtobuf();
  const schema = await ProtoSchema.build(protobuf, protoSourcesFromDisk(protobuf, file, options.protoPaths ?? []).sources, file);
  const { type } = schema.message(options.message);
  return { encode: (value) => Buffer.from(schema.encode(type, value)), decode: (bytes) => schema.decode(type, bytes) };
}
