import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type * as Protobuf from 'protobufjs';
import { describeError, fileProblem, usageError, ZpsError } from '../../pubsub/errors.js';
import { descriptorLayout, indexesOf, messageAt, messageNames, textLayout, type FileLayout } from './file-layout.js';
import { JsonMapping } from './json-mapping.js';

/** One file of a schema: its import path, its content (.proto text, or a FileDescriptorProto as registries may hold it). */
export interface ProtoSource {
  name: string;
  content: string;
}

/** A message of a schema, with the indexes that frame it. */
export interface ProtoMessage {
  type: Protobuf.Type;
  indexes: number[];
}

/** The well-known types protobufjs carries; the registry knows them, they are never registered. */
export function isWellKnown(importPath: string): boolean {
  return importPath.startsWith('google/protobuf/');
}

/** protobufjs, loaded only when Protobuf is in play. */
export async function loadProtobuf(): Promise<typeof Protobuf> {
  const module = (await import('protobufjs')) as typeof Protobuf & { default?: typeof Protobuf };
  return module.default ?? module;
}

/**
 * The types of a .proto file and of the files it imports, as one protobufjs root, with the layout
 * of the main file that message indexes count in.
 */
export class ProtoSchema {
  private readonly mapping: JsonMapping;
  /** The message types framed values named, by their indexes. */
  private readonly framedTypes = new Map<string, Protobuf.Type>();

  private constructor(
    readonly protobuf: typeof Protobuf,
    readonly root: Protobuf.Root,
    readonly what: string,
    private readonly layout: FileLayout,
  ) {
    this.mapping = new JsonMapping(protobuf, root);
  }

  /** Builds the schema of `sources`, dependencies first and the main file last; throws naming the file and line that does not parse. */
  static async build(protobuf: typeof Protobuf, sources: ProtoSource[], what: string): Promise<ProtoSchema> {
    const root = new protobuf.Root();
    const wellKnown = new Set<string>();
    let layout: FileLayout = { package: '', messages: [] };
    for (const source of sources) {
      let imports: string[];
      if (isDescriptor(source.content)) {
        const descriptor = await fileDescriptor(protobuf, source);
        addDescriptor(protobuf, root, descriptor);
        imports = descriptor.dependency ?? [];
        layout = descriptorLayout(descriptor);
      } else {
        try {
          imports = protobuf.parse(source.content, root, { keepCase: true }).imports ?? [];
        } catch (error) {
          throw usageError(`cannot parse ${source.name}: ${describeError(error)}`);
        }
        layout = textLayout(protobuf, source.content);
      }
      for (const name of imports.filter(isWellKnown)) {
        if (wellKnown.has(name)) continue;
        const json = protobuf.common.get(name) as { nested: NonNullable<Protobuf.INamespace['nested']> } | null;
        if (!json) throw usageError(`${source.name} imports ${name}, a well-known type zps does not carry`);
        root.addJSON(json.nested);
        wellKnown.add(name);
      }
    }
    try {
      root.resolveAll();
    } catch (error) {
      throw usageError(`${what}: ${describeError(error)}`);
    }
    return new ProtoSchema(protobuf, root, what, layout);
  }

  /** The message named (full name), or the file's first; an unknown name is a usage error with the file's messages. */
  message(name: string | undefined): ProtoMessage {
    const wanted = name?.replace(/^\./, '') ?? messageAt(this.layout, [0]);
    const indexes = wanted === undefined ? undefined : indexesOf(this.layout, wanted);
    if (wanted === undefined || indexes === undefined) {
      if (name === undefined) throw usageError(`${this.what} declares no message`);
      const names = messageNames(this.layout);
      const near = closest(name, names);
      throw usageError(`${this.what} has no message ${name}${near ? `: did you mean ${near}?` : ''} (its messages: ${names.join(', ')})`);
    }
    return { type: this.root.lookupType(wanted), indexes };
  }

  /** The message at the indexes of a framed value. */
  messageAt(indexes: number[]): Protobuf.Type {
    const key = indexes.join(',');
    let type = this.framedTypes.get(key);
    if (type === undefined) {
      const name = messageAt(this.layout, indexes);
      if (name === undefined) throw new ZpsError(`${this.what} has no message at indexes [${indexes.join(', ')}]`);
      type = this.root.lookupType(name);
      this.framedTypes.set(key, type);
    }
    return type;
  }

  /** The Protobuf bytes of a value given in the JSON mapping; throws a usage error naming the field that does not fit. */
  encode(type: Protobuf.Type, json: unknown): Uint8Array {
    // the mapping checks every field (protobufjs's verify() refuses map keys its encoder takes)
    return type.encode(this.mapping.fromJson(type, json, '')).finish();
  }

  /** A message's bytes in the JSON mapping. */
  decode(type: Protobuf.Type, bytes: Uint8Array): unknown {
    return this.mapping.toJson(type, type.decode(bytes) as unknown as Record<string, unknown>);
  }
}

/**
 * A .proto file and every file it imports, dependencies first: imports are looked up beside the
 * file, then under each proto path; the well-known types (google/protobuf/) come with protobufjs.
 */
export function protoSourcesFromDisk(
  protobuf: typeof Protobuf,
  file: string,
  protoPaths: string[],
): { sources: ProtoSource[]; imports: Map<string, string[]> } {
  const sources: ProtoSource[] = [];
  const imports = new Map<string, string[]>();
  const visit = (name: string, path: string, from: string | undefined) => {
    if (imports.has(name)) return;
    let content: string;
    try {
      content = readFileSync(path, 'utf8');
    } catch (error) {
      throw usageError(from ? `${from} imports ${name}, not found beside it or under a --proto-path` : `cannot read ${path}: ${fileProblem(error)}`);
    }
    let parsed: string[];
    try {
      parsed = protobuf.parse(content, new protobuf.Root(), { keepCase: true }).imports ?? [];
    } catch (error) {
      throw usageError(`cannot parse ${path}: ${describeError(error)}`);
    }
    const own = parsed.filter((i) => !isWellKnown(i));
    imports.set(name, own);
    for (const dependency of own) visit(dependency, findImport(dependency, [dirname(file), ...protoPaths]) ?? dependency, path);
    sources.push({ name, content });
  };
  visit(basename(file), file, undefined);
  return { sources, imports };
}

function findImport(name: string, directories: string[]): string | undefined {
  return directories.map((directory) => join(directory, name)).find((path) => existsSync(path));
}

/** A registry's Protobuf schema held as a base64 FileDescriptorProto (as Confluent's Python serializer registers it), not as .proto text. */
function isDescriptor(content: string): boolean {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(content.trim()) && !/\b(syntax|message|package)\b/.test(content);
}

interface FileDescriptor {
  name?: string;
  package?: string;
  syntax?: string;
  dependency?: string[];
  messageType?: Record<string, unknown>[];
  enumType?: Record<string, unknown>[];
}

type DescriptorExtension = {
  FileDescriptorProto: { decode(bytes: Uint8Array): FileDescriptor };
};
type FromDescriptor = { fromDescriptor(descriptor: unknown, edition?: string): Protobuf.ReflectionObject };

async function fileDescriptor(protobuf: typeof Protobuf, source: ProtoSource): Promise<FileDescriptor> {
  await import('protobufjs/ext/descriptor/index.js');
  const descriptors = (protobuf as unknown as { descriptor: DescriptorExtension }).descriptor;
  try {
    return descriptors.FileDescriptorProto.decode(Buffer.from(source.content, 'base64'));
  } catch (error) {
    throw new ZpsError(`cannot read ${source.name} (a file descriptor): ${describeError(error)}`);
  }
}

/** Adds a file descriptor's messages and enums to the root (resolved later, with the other files). */
function addDescriptor(protobuf: typeof Protobuf, root: Protobuf.Root, descriptor: FileDescriptor): void {
  const edition = descriptor.syntax === 'proto3' ? 'proto3' : 'proto2';
  const namespace = descriptor.package ? root.define(descriptor.package) : root;
  for (const message of descriptor.messageType ?? []) namespace.add((protobuf.Type as unknown as FromDescriptor).fromDescriptor(message, edition));
  for (const enumeration of descriptor.enumType ?? []) namespace.add((protobuf.Enum as unknown as FromDescriptor).fromDescriptor(enumeration, edition));
}

/** The name closest to `wanted` (case and package aside), for a did-you-mean. */
function closest(wanted: string, names: string[]): string | undefined {
  const simple = (name: string) => name.slice(name.lastIndexOf('.') + 1).toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const name of names) {
    const distance = Math.min(editDistance(wanted.toLowerCase(), name.toLowerCase()), editDistance(simple(wanted), simple(name)));
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  return bestDistance <= Math.max(2, Math.floor(wanted.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_v, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = current;
  }
  return previous[b.length]!;
}
