/**
 * Kafka's own message definitions (common/message/*.json, kept in definitions.ts) compiled into
 * encoders and decoders for every version, flexible ones included: compact strings, bytes and
 * arrays, and tagged fields. What Kafka's generator does for Java, done once at load for the
 * messages zps speaks, so no field or version detail is typed by hand.
 *
 * Messages are plain objects whose keys are the fields' names in camelCase (ErrorCode → errorCode);
 * arrays of structs are arrays of such objects. A field a version lacks reads as its default;
 * a field missing from an object being written is written as its default. A definition of
 * definitions.ts compiles to a codec typed with its message's interface of message-types.ts.
 *
 * Invariants: pure; encoding writes exactly what the version has, in order, tagged fields in
 * ascending tag order, only when they differ from their default; decoding reads only inside the
 * Reader's bounds and skips tagged fields it does not know.
 */
import { MalformedKafkaError, Reader, Writer } from './bytes.js';
import type { ApiName, MessageTypes } from './message-types.js';

export interface FieldDefinition {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean;
  fields?: FieldDefinition[];
  flexibleVersions?: string;
  [other: string]: unknown;
}

/** A definition file's contents; `name` ties a generated one to its type in message-types.ts. */
export interface MessageDefinition<Name extends string = string> {
  apiKey?: number;
  type: string;
  name: Name;
  validVersions: string;
  flexibleVersions: string;
  fields: FieldDefinition[];
  commonStructs?: Array<{ name: string; versions: string; fields: FieldDefinition[] }>;
  [other: string]: unknown;
}

export type Message = Record<string, unknown>;

/** The type of the message named `Name`: its generated interface, or any message for another name. */
export type MessageOf<Name extends string> = Name extends keyof MessageTypes ? MessageTypes[Name] : Message;

/** The request and the response of the API named `Name` (RequestOf<'Fetch'>: FetchRequest). */
export type RequestOf<Name extends ApiName> = MessageOf<`${Name}Request`>;
export type ResponseOf<Name extends ApiName> = MessageOf<`${Name}Response`>;

/** An API as definitions.ts gives it: the versions zps speaks (lowest, highest), its request's and response's definitions. */
export interface ApiDefinition<Name extends ApiName> {
  versions: readonly [lowest: number, highest: number];
  request: MessageDefinition<`${Name}Request`>;
  response: MessageDefinition<`${Name}Response`>;
}

/** What may be written for a message of type T: any field left out is written as its default. */
export type Writable<T> = T extends Uint8Array
  ? T
  : T extends ReadonlyArray<infer Item>
    ? ReadonlyArray<Writable<Item>>
    : T extends object
      ? { [Key in keyof T]?: Writable<T[Key]> }
      : T;

/** Versions as Kafka writes them: "3+", "1-4", "2", "none". */
export interface VersionRange {
  lowest: number;
  highest: number;
}

export function versionRange(text: string): VersionRange {
  if (text === 'none') return { lowest: 1, highest: 0 };
  if (text.endsWith('+')) return { lowest: Number(text.slice(0, -1)), highest: Number.POSITIVE_INFINITY };
  const [lowest, highest = lowest] = text.split('-');
  return { lowest: Number(lowest), highest: Number(highest) };
}

const within = (range: VersionRange | undefined, version: number) => range !== undefined && version >= range.lowest && version <= range.highest;

/** A compiled message: read and write any of its valid versions. */
export interface MessageType<T = Message> {
  readonly name: string;
  readonly versions: VersionRange;
  readonly flexible: VersionRange;
  read(reader: Reader, version: number): T;
  write(writer: Writer, message: Writable<T>, version: number): void;
}

interface CompiledField {
  key: string;
  versions: VersionRange;
  nullable?: VersionRange;
  tagged?: VersionRange;
  tag?: number;
  kind: Kind;
  /** A struct's fields, for a struct or an array of structs. */
  fields?: CompiledField[];
  defaultValue: unknown;
}

type Primitive = 'int8' | 'int16' | 'int32' | 'int64' | 'uint16' | 'float64' | 'bool' | 'string' | 'bytes' | 'records' | 'uuid';
type Kind = { primitive: Primitive } | { struct: true } | { array: Kind };

const PRIMITIVES = new Set<string>(['int8', 'int16', 'int32', 'int64', 'uint16', 'float64', 'bool', 'string', 'bytes', 'records', 'uuid']);
const ZERO_UUID = Buffer.alloc(16);

/**
 * The casts are where the generic codec meets the generated types: a message read has every field
 * of its definition, as message-types.ts types them (test/unit/kafka-definitions.test.ts reads back
 * every version of every message).
 */
export function compileMessage<Name extends string>(definition: MessageDefinition<Name>): MessageType<MessageOf<Name>> {
  // Fields are compiled at the message's first use: a one-shot command starts with every API its
  // driver knows defined, and uses three or four of them.
  let compiled: CompiledField[] | undefined;
  const fields = () => (compiled ??= compileFields(definition.fields, new Map((definition.commonStructs ?? []).map((struct) => [struct.name, struct.fields]))));
  const flexible = versionRange(definition.flexibleVersions);
  return {
    name: definition.name,
    versions: versionRange(definition.validVersions),
    flexible,
    read: (reader, version) => readStruct(reader, fields(), version, within(flexible, version)) as MessageOf<Name>,
    write: (writer, message, version) => writeStruct(writer, fields(), message as Message, version, within(flexible, version)),
  };
}

function compileFields(fields: FieldDefinition[], common: Map<string, FieldDefinition[]>): CompiledField[] {
  return fields.map((field) => {
    const kind = kindOf(field.type);
    const structName = field.type.replace(/^\[\]/, '');
    const inner = isStruct(kind) ? (field.fields ?? common.get(structName)) : undefined;
    if (isStruct(kind) && !inner) throw new Error(`no fields for struct ${structName}`);
    const compiled: CompiledField = {
      key: camel(field.name),
      versions: versionRange(field.versions),
      kind,
      defaultValue: undefined,
      ...(field.nullableVersions ? { nullable: versionRange(field.nullableVersions) } : {}),
      ...(field.taggedVersions ? { tagged: versionRange(field.taggedVersions), tag: field.tag } : {}),
      ...(inner ? { fields: compileFields(inner, common) } : {}),
    };
    compiled.defaultValue = defaultOf(compiled, field.default);
    return compiled;
  });
}

function kindOf(type: string): Kind {
  if (type.startsWith('[]')) return { array: kindOf(type.slice(2)) };
  if (PRIMITIVES.has(type)) return { primitive: type as Primitive };
  return { struct: true };
}

function isStruct(kind: Kind): boolean {
  return 'struct' in kind || ('array' in kind && isStruct(kind.array));
}

function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function defaultOf(field: CompiledField, given: string | number | boolean | undefined): unknown {
  const { kind } = field;
  if ('array' in kind) return [];
  if ('struct' in kind) return field.nullable ? null : emptyStruct(field.fields!);
  switch (kind.primitive) {
    case 'bool':
      return given === true || given === 'true';
    case 'string':
      return given === undefined ? '' : given === 'null' ? null : String(given);
    case 'bytes':
    case 'records':
      return null;
    case 'uuid':
      return ZERO_UUID;
    default:
      return given === undefined ? 0 : Number(given);
  }
}

function emptyStruct(fields: CompiledField[]): Message {
  return Object.fromEntries(fields.map((f) => [f.key, f.defaultValue]));
}

function readStruct(reader: Reader, fields: CompiledField[], version: number, flexible: boolean): Message {
  const message: Message = {};
  for (const field of fields) {
    message[field.key] =
      within(field.versions, version) && !(flexible && within(field.tagged, version))
        ? readValue(reader, field, field.kind, version, flexible, within(field.nullable, version))
        : field.defaultValue;
  }
  if (flexible) {
    const count = reader.uvarint();
    for (let i = 0; i < count; i++) {
      const tag = reader.uvarint();
      const size = reader.uvarint();
      const field = fields.find((f) => f.tag === tag && within(f.tagged, version));
      if (!field) {
        reader.skip(size); // a tag this version of zps does not know
        continue;
      }
      const end = reader.at + size;
      message[field.key] = readValue(new Reader(reader.buffer, reader.at, end), field, field.kind, version, flexible, within(field.nullable, version));
      reader.at = end;
    }
  }
  return message;
}

/** `nullable`: the field may be null in this version (an array's items never are). */
function readValue(reader: Reader, field: CompiledField, kind: Kind, version: number, flexible: boolean, nullable: boolean): unknown {
  if ('array' in kind) {
    const count = flexible ? reader.uvarint() - 1 : reader.int32();
    if (count < 0) {
      if (!nullable) throw new MalformedKafkaError(`${field.key} is null`);
      return null;
    }
    if (count > reader.remaining) throw new MalformedKafkaError(`${field.key}: ${count} items in ${reader.remaining} bytes`);
    const items: unknown[] = new Array(count);
    for (let i = 0; i < count; i++) items[i] = readValue(reader, field, kind.array, version, flexible, false);
    return items;
  }
  if ('struct' in kind) {
    if (nullable && reader.int8() < 0) return null;
    return readStruct(reader, field.fields!, version, flexible);
  }
  switch (kind.primitive) {
    case 'int8':
      return reader.int8();
    case 'int16':
      return reader.int16();
    case 'int32':
      return reader.int32();
    case 'int64':
      return reader.int64();
    case 'uint16':
      return reader.uint16();
    case 'float64':
      return reader.float64();
    case 'bool':
      return reader.int8() !== 0;
    case 'uuid':
      return reader.take(16);
    case 'string': {
      const value = flexible ? reader.compactString() : reader.string();
      if (value === null && !nullable) throw new MalformedKafkaError(`${field.key} is null`);
      return value;
    }
    case 'bytes':
    case 'records':
      return flexible ? reader.compactBytes() : reader.bytes();
  }
}

function writeStruct(writer: Writer, fields: CompiledField[], message: Message, version: number, flexible: boolean): void {
  const tagged: CompiledField[] = [];
  for (const field of fields) {
    if (!within(field.versions, version)) continue;
    if (flexible && within(field.tagged, version)) {
      if (!isDefault(field, message[field.key])) tagged.push(field);
      continue;
    }
    writeValue(writer, field, field.kind, fieldValue(field, message), version, flexible, within(field.nullable, version));
  }
  if (!flexible) return;
  tagged.sort((a, b) => a.tag! - b.tag!);
  writer.uvarint(tagged.length);
  for (const field of tagged) {
    const inner = new Writer(64);
    writeValue(inner, field, field.kind, message[field.key], version, flexible, within(field.nullable, version));
    const bytes = inner.finish();
    writer.uvarint(field.tag!).uvarint(bytes.byteLength).raw(bytes);
  }
}

function fieldValue(field: CompiledField, message: Message): unknown {
  const value = message[field.key];
  return value === undefined ? field.defaultValue : value;
}

function isDefault(field: CompiledField, value: unknown): boolean {
  if (value === undefined || value === field.defaultValue) return true;
  if (Array.isArray(value)) return value.length === 0 && Array.isArray(field.defaultValue);
  return Buffer.isBuffer(value) && Buffer.isBuffer(field.defaultValue) && value.equals(field.defaultValue);
}

function writeValue(writer: Writer, field: CompiledField, kind: Kind, value: unknown, version: number, flexible: boolean, nullable: boolean): void {
  if (value === null && !nullable && !('primitive' in kind && (kind.primitive === 'bytes' || kind.primitive === 'records'))) {
    throw new Error(`${field.key} may not be null in version ${version}`);
  }
  if ('array' in kind) {
    const items = value as unknown[] | null;
    if (items === null) {
      if (flexible) writer.uvarint(0);
      else writer.int32(-1);
      return;
    }
    if (flexible) writer.uvarint(items.length + 1);
    else writer.int32(items.length);
    for (const item of items) writeValue(writer, field, kind.array, item, version, flexible, false);
    return;
  }
  if ('struct' in kind) {
    if (nullable) {
      writer.int8(value === null ? -1 : 1);
      if (value === null) return;
    }
    writeStruct(writer, field.fields!, (value ?? {}) as Message, version, flexible);
    return;
  }
  switch (kind.primitive) {
    case 'int8':
      writer.int8(value as number);
      return;
    case 'int16':
      writer.int16(value as number);
      return;
    case 'int32':
      writer.int32(value as number);
      return;
    case 'int64':
      writer.int64(value as number);
      return;
    case 'uint16':
      writer.uint16(value as number);
      return;
    case 'float64':
      writer.float64(value as number);
      return;
    case 'bool':
      writer.int8(value ? 1 : 0);
      return;
    case 'uuid':
      writer.raw((value as Buffer | undefined) ?? ZERO_UUID);
      return;
    case 'string':
      if (flexible) writer.compactString(value as string | null);
      else writer.string(value as string | null);
      return;
    case 'bytes':
    case 'records':
      if (flexible) writer.compactBytes(value as Uint8Array | null);
      else writer.bytes(value as Uint8Array | null);
      return;
  }
}
