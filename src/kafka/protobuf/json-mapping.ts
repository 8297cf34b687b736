import type * as Protobuf from 'protobufjs';
import { usageError } from '../../pubsub/errors.js';

/**
 * Protobuf's canonical JSON mapping, both ways, over protobufjs's reflection: field names as their
 * jsonName (lowerCamelCase, or json_name), 64-bit integers as decimal strings, enums by name, bytes
 * in base64, and the well-known types' own forms (Timestamp as RFC 3339, Duration as "1.5s",
 * wrappers as their value, Struct as JSON, Any with "@type"). Fields at their default value are left
 * out, as Confluent's and protoc's printers do; fields that track presence are printed when set.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Long = Protobuf.Long;
/** long.js's class, which protobufjs finds and uses for 64-bit integers. */
interface LongClass {
  fromString(text: string, unsigned: boolean): Long;
  fromNumber(n: number): Long;
}

const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const INT32_TYPES: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  sint32: [-(2 ** 31), 2 ** 31 - 1],
  sfixed32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  fixed32: [0, 2 ** 32 - 1],
};
const WRAPPERS = new Set(
  ['DoubleValue', 'FloatValue', 'Int64Value', 'UInt64Value', 'Int32Value', 'UInt32Value', 'BoolValue', 'StringValue', 'BytesValue'].map(
    (name) => `.google.protobuf.${name}`,
  ),
);

/** The well-known types with a JSON form of their own (beside the wrappers). */
const WELL_KNOWN_FORMS = new Set(
  ['Timestamp', 'Duration', 'Struct', 'Value', 'ListValue', 'FieldMask', 'Empty', 'Any'].map((name) => `.google.protobuf.${name}`),
);

interface TypePlan {
  fields: FieldPlan[];
  /** Printed in a form of its own (Timestamp, Duration, Struct, wrappers...). */
  wellKnown: boolean;
}

interface FieldPlan {
  field: Protobuf.Field;
  /** Its name in JSON. */
  name: string;
  /** A map field read from a descriptor: the entry type. */
  entryType: Protobuf.Type | undefined;
  /** Printed when set even at its default (oneof members, optional, messages, proto2). */
  presence: boolean;
}

/** The field's name in JSON: json_name when given, else protoc's lowerCamelCase of its name. */
export function jsonName(field: Protobuf.Field): string {
  const given = field.options?.json_name as string | undefined;
  return given ?? field.name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Converts between Protobuf messages (as protobufjs decodes and encodes them) and their JSON mapping. */
export class JsonMapping {
  private readonly plans = new WeakMap<Protobuf.Type, TypePlan>();
  /** Struct and ListValue, for the Values that hold them. */
  private readonly wellKnownTypes: Protobuf.Root;

  /** `root`: the schema's types, which an Any may name. */
  constructor(
    private readonly protobuf: typeof Protobuf,
    private readonly root: Protobuf.Root,
  ) {
    const structs = protobuf.common.get('google/protobuf/struct.proto') as { nested: NonNullable<Protobuf.INamespace['nested']> };
    const types = new protobuf.Root();
    types.addJSON(structs.nested).resolveAll();
    this.wellKnownTypes = types;
  }

  // ---- message → JSON ----

  toJson(type: Protobuf.Type, message: Record<string, unknown>): Json {
    const plan = this.plan(type);
    if (plan.wellKnown) return this.wellKnownToJson(type, message)!;
    const out: Record<string, Json> = {};
    for (const { field, name, entryType, presence } of plan.fields) {
      const value = message[field.name];
      const own = Object.hasOwn(message, field.name) && value !== null && value !== undefined;
      if (!own) continue;
      if (field.map || entryType) {
        const entries = field.map
          ? Object.entries(value as Record<string, unknown>)
          : (value as Record<string, unknown>[]).map((e) => [e.key, e.value] as const);
        if (entries.length === 0) continue;
        const object: Record<string, Json> = {};
        const valueField = entryType?.fields.value ?? field;
        for (const [key, item] of entries) object[this.mapKey(field, entryType, key)] = this.valueToJson(valueField, item);
        out[name] = object;
      } else if (field.repeated) {
        const items = value as unknown[];
        if (items.length === 0) continue;
        out[name] = items.map((item) => this.valueToJson(field, item));
      } else {
        if (!presence && this.isDefault(value)) continue;
        out[name] = this.valueToJson(field, value);
      }
    }
    return out;
  }

  /** What printing each field of the type needs, worked out once per type. */
  private plan(type: Protobuf.Type): TypePlan {
    let plan = this.plans.get(type);
    if (!plan) {
      const fields = type.fieldsArray.map((field) => ({ field, name: jsonName(field), entryType: this.mapEntry(field), presence: field.hasPresence }));
      plan = { fields, wellKnown: this.isWellKnown(type) && (WRAPPERS.has(type.fullName) || WELL_KNOWN_FORMS.has(type.fullName)) };
      this.plans.set(type, plan);
    }
    return plan;
  }

  private valueToJson(field: Protobuf.Field, value: unknown): Json {
    const resolved = field.resolvedType;
    if (resolved instanceof this.protobuf.Type) return this.toJson(resolved, value as Record<string, unknown>);
    if (resolved instanceof this.protobuf.Enum) {
      if (resolved.name === 'NullValue' && resolved.fullName === '.google.protobuf.NullValue') return null;
      return resolved.valuesById[value as number] ?? (value as number);
    }
    return scalarToJson(field.type, value);
  }

  private mapKey(field: Protobuf.Field, entryType: Protobuf.Type | undefined, key: unknown): string {
    const keyType = entryType?.fields.key?.type ?? (field as unknown as Protobuf.MapField).keyType;
    if (LONG_TYPES.has(keyType) && typeof key === 'string' && field.map && key.length === 8) {
      return this.protobuf.util.LongBits.fromHash(key)
        .toLong(keyType.startsWith('u') || keyType === 'fixed64')
        .toString();
    }
    return String(scalarToJson(keyType, key));
  }

  private isDefault(value: unknown): boolean {
    if (value === 0 || value === false || value === '') return true;
    if (typeof value === 'object' && value !== null && 'low' in value) return (value as Long).low === 0 && (value as Long).high === 0;
    if (value instanceof Uint8Array) return value.length === 0;
    return false;
  }

  /** A descriptor's map field (a repeated nested XEntry message): its entry type. */
  private mapEntry(field: Protobuf.Field): Protobuf.Type | undefined {
    const entry = field.resolvedType;
    if (!field.repeated || !(entry instanceof this.protobuf.Type) || entry.parent !== field.parent) return undefined;
    return entry.options?.map_entry && entry.fields.key && entry.fields.value ? entry : undefined;
  }

  private wellKnownToJson(type: Protobuf.Type, message: Record<string, unknown>): Json | undefined {
    const get = (name: string) => message[name];
    switch (type.fullName) {
      case '.google.protobuf.Timestamp':
        return timestampToJson(longNumber(get('seconds')), Number(get('nanos') ?? 0));
      case '.google.protobuf.Duration':
        return durationToJson(longNumber(get('seconds')), Number(get('nanos') ?? 0));
      case '.google.protobuf.Struct':
        return Object.fromEntries(Object.entries((get('fields') ?? {}) as Record<string, Record<string, unknown>>).map(([k, v]) => [k, this.valueJson(v)]));
      case '.google.protobuf.Value':
        return this.valueJson(message);
      case '.google.protobuf.ListValue':
        return ((get('values') ?? []) as Record<string, unknown>[]).map((v) => this.valueJson(v));
      case '.google.protobuf.FieldMask':
        return ((get('paths') ?? []) as string[]).map((p) => p.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())).join(',');
      case '.google.protobuf.Empty':
        return {};
      case '.google.protobuf.Any':
        return this.anyToJson(String(get('type_url') ?? ''), (get('value') ?? new Uint8Array()) as Uint8Array);
    }
    if (WRAPPERS.has(type.fullName)) return this.valueToJson(type.fields.value!, get('value') ?? type.fields.value!.defaultValue);
    return undefined;
  }

  private valueJson(value: Record<string, unknown>): Json {
    const kind = ['nullValue', 'numberValue', 'stringValue', 'boolValue', 'structValue', 'listValue'].find((k) => Object.hasOwn(value, k) && value[k] != null);
    switch (kind) {
      case 'numberValue': {
        const n = value[kind] as number;
        return Number.isFinite(n) ? n : String(n);
      }
      case 'stringValue':
      case 'boolValue':
        return value[kind] as Json;
      case 'structValue':
        return this.wellKnownToJson(this.wellKnown('Struct'), value[kind] as Record<string, unknown>)!;
      case 'listValue':
        return this.wellKnownToJson(this.wellKnown('ListValue'), value[kind] as Record<string, unknown>)!;
      default:
        return null;
    }
  }

  /** An Any as its message's JSON with "@type"; when its type is not known here, its bytes as "value". */
  private anyToJson(typeUrl: string, bytes: Uint8Array): Json {
    const type = this.lookup(typeUrl);
    if (!type) return { '@type': typeUrl, value: Buffer.from(bytes).toString('base64') };
    const json = this.toJson(type, type.decode(bytes) as unknown as Record<string, unknown>);
    if (this.isWellKnown(type)) return { '@type': typeUrl, value: json };
    return { '@type': typeUrl, ...(json as Record<string, Json>) };
  }

  // ---- JSON → message ----

  /** The object protobufjs encodes for this JSON; throws a usage error naming the field that does not fit. */
  fromJson(type: Protobuf.Type, json: unknown, path: string): Record<string, unknown> {
    const special = this.wellKnownFromJson(type, json, path);
    if (special !== undefined) return special;
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw misfit(path, `expected an object for message ${type.fullName.slice(1)}`);
    const out: Record<string, unknown> = {};
    const setOneofs = new Map<string, string>();
    for (const [key, value] of Object.entries(json)) {
      const field = type.fieldsArray.find((f) => jsonName(f) === key || f.name === key);
      const at = path ? `${path}.${key}` : key;
      if (!field) throw misfit(at, `message ${type.fullName.slice(1)} has no such field`);
      if (value === null && field.resolvedType?.fullName !== '.google.protobuf.Value') continue;
      if (field.partOf) {
        const other = setOneofs.get(field.partOf.name);
        if (other !== undefined) throw misfit(at, `oneof ${field.partOf.name} already has ${other}`);
        setOneofs.set(field.partOf.name, key);
      }
      const entryType = this.mapEntry(field);
      if (field.map || entryType) {
        if (typeof value !== 'object' || Array.isArray(value)) throw misfit(at, 'expected an object (a map)');
        const keyType = entryType?.fields.key?.type ?? (field as unknown as Protobuf.MapField).keyType;
        const valueField = entryType?.fields.value ?? field;
        const entries = Object.entries(value as Record<string, unknown>).map(
          ([k, v]) => [this.keyFromJson(keyType, k, `${at}.${k}`), this.valueFromJson(valueField, v, `${at}.${k}`)] as const,
        );
        out[field.name] = entryType
          ? entries.map(([k, v]) => ({ key: k, value: v }))
          : Object.fromEntries(entries.map(([k, v]) => [mapKeyString(keyType, k), v]));
      } else if (field.repeated) {
        if (!Array.isArray(value)) throw misfit(at, 'expected an array');
        out[field.name] = value.map((item, i) => this.valueFromJson(field, item, `${at}[${i}]`));
      } else out[field.name] = this.valueFromJson(field, value, at);
    }
    return out;
  }

  private valueFromJson(field: Protobuf.Field, value: unknown, path: string): unknown {
    const resolved = field.resolvedType;
    if (resolved instanceof this.protobuf.Type) return this.fromJson(resolved, value, path);
    if (resolved instanceof this.protobuf.Enum) {
      if (resolved.fullName === '.google.protobuf.NullValue') return 0;
      if (typeof value === 'string' && resolved.values[value] !== undefined) return resolved.values[value];
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      throw misfit(path, `expected one of ${Object.keys(resolved.values).join(', ')} (enum ${resolved.fullName.slice(1)})`);
    }
    return this.scalarFromJson(field.type, value, path);
  }

  private keyFromJson(type: string, key: string, path: string): unknown {
    if (type === 'bool') {
      if (key !== 'true' && key !== 'false') throw misfit(path, 'expected a bool key (true or false)');
      return key === 'true';
    }
    return type === 'string' ? key : this.scalarFromJson(type, key, path);
  }

  private scalarFromJson(type: string, value: unknown, path: string): unknown {
    const range = INT32_TYPES[type];
    if (range) {
      const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < range[0] || n > range[1]) throw misfit(path, `expected a ${type}`);
      return n;
    }
    if (LONG_TYPES.has(type)) {
      const unsigned = type === 'uint64' || type === 'fixed64';
      const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
      const Long = this.protobuf.util.Long as unknown as LongClass | undefined;
      if (typeof text !== 'string' || !/^-?\d+$/.test(text) || !Long) throw misfit(path, `expected a ${type} (an integer, or a decimal string beyond 2^53)`);
      const long = Long.fromString(text, unsigned);
      if (long.toString() !== text.replace(/^(-?)0+(?=\d)/, '$1')) throw misfit(path, `${text} is out of range for ${type}`);
      return long;
    }
    switch (type) {
      case 'double':
      case 'float': {
        if (typeof value === 'number') return value;
        if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
        if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
        throw misfit(path, `expected a ${type}`);
      }
      case 'bool':
        if (typeof value !== 'boolean') throw misfit(path, 'expected true or false');
        return value;
      case 'string':
        if (typeof value !== 'string') throw misfit(path, 'expected a string');
        return value;
      case 'bytes':
        if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) throw misfit(path, 'expected bytes in base64');
        return Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64');
    }
    throw misfit(path, `type ${type} is not supported`);
  }

  private wellKnownFromJson(type: Protobuf.Type, json: unknown, path: string): Record<string, unknown> | undefined {
    switch (type.fullName) {
      case '.google.protobuf.Timestamp': {
        const parsed = typeof json === 'string' ? parseTimestamp(json) : undefined;
        if (!parsed) throw misfit(path, 'expected an RFC 3339 date-time (Timestamp), such as 2024-01-31T12:00:00Z');
        return { seconds: this.long(parsed.seconds), nanos: parsed.nanos };
      }
      case '.google.protobuf.Duration': {
        const match = typeof json === 'string' ? /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(json) : null;
        if (!match) throw misfit(path, 'expected a Duration such as "1.5s"');
        const sign = match[1] ? -1 : 1;
        return { seconds: this.long(sign * Number(match[2])), nanos: sign * Number((match[3] ?? '').padEnd(9, '0')) };
      }
      case '.google.protobuf.Struct':
        if (typeof json !== 'object' || json === null || Array.isArray(json)) throw misfit(path, 'expected an object (Struct)');
        return { fields: Object.fromEntries(Object.entries(json).map(([k, v]) => [k, this.valueFromAnyJson(v)])) };
      case '.google.protobuf.Value':
        return this.valueFromAnyJson(json);
      case '.google.protobuf.ListValue':
        if (!Array.isArray(json)) throw misfit(path, 'expected an array (ListValue)');
        return { values: json.map((v) => this.valueFromAnyJson(v)) };
      case '.google.protobuf.FieldMask':
        if (typeof json !== 'string') throw misfit(path, 'expected a FieldMask string such as "a,b.c"');
        return { paths: json === '' ? [] : json.split(',').map((p) => p.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)) };
      case '.google.protobuf.Any': {
        const typeUrl = (json as { '@type'?: unknown } | null)?.['@type'];
        if (typeof typeUrl !== 'string') throw misfit(path, 'expected an object with "@type" (Any)');
        const inner = this.lookup(typeUrl);
        if (!inner) throw misfit(path, `type ${typeUrl} of the Any is not known`);
        const { '@type': _type, ...rest } = json as Record<string, unknown>;
        const message = this.fromJson(inner, this.isWellKnown(inner) ? rest.value : rest, path);
        return { type_url: typeUrl, value: inner.encode(message).finish() };
      }
    }
    if (WRAPPERS.has(type.fullName)) return { value: this.valueFromJson(type.fields.value!, json, path) };
    return undefined;
  }

  private valueFromAnyJson(json: unknown): Record<string, unknown> {
    if (json === null) return { nullValue: 0 };
    if (typeof json === 'number') return { numberValue: json };
    if (typeof json === 'string') return { stringValue: json };
    if (typeof json === 'boolean') return { boolValue: json };
    if (Array.isArray(json)) return { listValue: { values: json.map((v) => this.valueFromAnyJson(v)) } };
    return { structValue: { fields: Object.fromEntries(Object.entries(json as object).map(([k, v]) => [k, this.valueFromAnyJson(v)])) } };
  }

  private long(n: number): Long {
    return (this.protobuf.util.Long as unknown as LongClass).fromNumber(n);
  }

  private wellKnown(name: string): Protobuf.Type {
    return this.wellKnownTypes.lookupType(`google.protobuf.${name}`);
  }

  private isWellKnown(type: Protobuf.Type): boolean {
    return type.fullName.startsWith('.google.protobuf.');
  }

  /** The message type an Any's type URL names (the part after its last "/"). */
  private lookup(typeUrl: string): Protobuf.Type | undefined {
    try {
      return this.root.lookupType(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
    } catch {
      return undefined;
    }
  }
}

function misfit(path: string, why: string) {
  return usageError(`${path ? `field '${path}'` : 'the value'} does not fit: ${why}`);
}

/**
 * A map key as protobufjs's encoder takes it from an object's keys: 64-bit ones in decimal (it
 * parses them), and false as "" (it writes a key as a bool by its truth, and "false" is truthy).
 */
function mapKeyString(keyType: string, key: unknown): string {
  return keyType === 'bool' ? (key ? 'true' : '') : String(key);
}

function scalarToJson(type: string, value: unknown): Json {
  if (LONG_TYPES.has(type)) return String(value);
  if (type === 'bytes') return Buffer.from(value as Uint8Array).toString('base64');
  if ((type === 'double' || type === 'float') && typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value as Json;
}

function longNumber(value: unknown): number {
  return value === undefined || value === null ? 0 : Number(typeof value === 'object' ? (value as Long).toString() : value);
}

/** RFC 3339 in UTC, with 0, 3, 6 or 9 fractional digits as the mapping says. */
function timestampToJson(seconds: number, nanos: number): string {
  const base = new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, '');
  return `${base}${fraction(nanos)}Z`;
}

function durationToJson(seconds: number, nanos: number): string {
  const negative = seconds < 0 || nanos < 0;
  return `${negative ? '-' : ''}${Math.abs(seconds)}${fraction(Math.abs(nanos))}s`;
}

function fraction(nanos: number): string {
  if (nanos === 0) return '';
  const digits = String(nanos).padStart(9, '0');
  return `.${nanos % 1_000_000 === 0 ? digits.slice(0, 3) : nanos % 1000 === 0 ? digits.slice(0, 6) : digits}`;
}

function parseTimestamp(text: string): { seconds: number; nanos: number } | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i.exec(text);
  if (!match) return undefined;
  const millis = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(millis)) return undefined;
  return { seconds: millis / 1000, nanos: Number((match[2] ?? '').padEnd(9, '0')) };
}
