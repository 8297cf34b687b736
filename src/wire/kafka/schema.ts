/**
 * Kafka's messages described as data, each field with the versions it exists in, so one
 * description encodes and decodes every version (as Kafka's own JSON message definitions do).
 * A client writes requests and reads responses; a broker reads requests and writes responses:
 * both with the same descriptions.
 *
 * Invariants: encoding writes exactly the fields of the version asked for, in order; decoding
 * reads them with a Reader, which never reads past its end. Fields absent from a version decode to
 * their default.
 */
import type { Reader, Writer } from './bytes.js';

export interface Type<T> {
  write(writer: Writer, value: T, version: number): void;
  read(reader: Reader, version: number): T;
  /** The value a field takes in versions that do not have it. */
  readonly empty: T;
}

const primitive = <T>(write: (w: Writer, v: T) => void, read: (r: Reader) => T, empty: T): Type<T> => ({
  write: (w, v) => write(w, v),
  read: (r) => read(r),
  empty,
});

export const int8 = primitive<number>(
  (w, v) => w.int8(v),
  (r) => r.int8(),
  0,
);
export const int16 = primitive<number>(
  (w, v) => w.int16(v),
  (r) => r.int16(),
  0,
);
export const int32 = primitive<number>(
  (w, v) => w.int32(v),
  (r) => r.int32(),
  0,
);
export const int64 = primitive<number>(
  (w, v) => w.int64(v),
  (r) => r.int64(),
  0,
);
export const boolean = primitive<boolean>(
  (w, v) => w.int8(v ? 1 : 0),
  (r) => r.int8() !== 0,
  false,
);
export const string = primitive<string>(
  (w, v) => w.string(v),
  (r) => r.string() ?? '',
  '',
);
export const nullableString = primitive<string | null>(
  (w, v) => w.string(v),
  (r) => r.string(),
  null,
);
/** INT32-length bytes; decoded as a view of the message (records stay where they came). */
export const bytes = primitive<Buffer | null>(
  (w, v) => w.bytes(v),
  (r) => r.bytes(),
  null,
);

export function array<T>(item: Type<T>): Type<T[]> {
  return {
    write(w, values, version) {
      w.int32(values.length);
      for (const value of values) item.write(w, value, version);
    },
    read(r, version) {
      const count = r.int32();
      if (count < 0) return [];
      if (count > r.remaining) throw new RangeError(`array of ${count} items in ${r.remaining} bytes`);
      const values: T[] = new Array(count);
      for (let i = 0; i < count; i++) values[i] = item.read(r, version);
      return values;
    },
    empty: [],
  };
}

/** A field: its type, and the versions that have it ([since, until], both inclusive). */
export interface Field<T> {
  type: Type<T>;
  since?: number;
  until?: number;
}

export function field<T>(type: Type<T>, since = 0, until = Number.POSITIVE_INFINITY): Field<T> {
  return { type, since, until };
}

type Fields = Record<string, Field<unknown>>;
export type Value<F extends Fields> = { [K in keyof F]: F[K] extends Field<infer T> ? T : never };

/** A struct: its fields in wire order (the object's key order). */
export function struct<F extends Fields>(fields: F): Type<Value<F>> & { fields: F } {
  const entries = Object.entries(fields);
  const has = (f: Field<unknown>, version: number) => version >= (f.since ?? 0) && version <= (f.until ?? Number.POSITIVE_INFINITY);
  return {
    fields,
    write(w, value, version) {
      for (const [name, f] of entries) if (has(f, version)) f.type.write(w, (value as Record<string, unknown>)[name], version);
    },
    read(r, version) {
      const value: Record<string, unknown> = {};
      for (const [name, f] of entries) value[name] = has(f, version) ? f.type.read(r, version) : f.type.empty;
      return value as Value<F>;
    },
    empty: Object.fromEntries(entries.map(([name, f]) => [name, f.type.empty])) as Value<F>,
  };
}
