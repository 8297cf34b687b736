/**
 * How `zps consume` prints records: from their bytes, always. JSON is put on one line by removing
 * whitespace outside strings (never parsed and re-encoded, so no digit is lost); other values print
 * as they are. Tombstones (null values) and null keys are told apart from empty ones where the
 * output can say so (--json, --format's %S and %K).
 */
import { isText } from '../pubsub/codec.js';
import { splitType, utf8Text } from '../pubsub/delivery.js';
import { usageError } from '../pubsub/errors.js';
import { compactJson, hasLineBreak, hasWhitespace, isJsonValue } from '../wire/json-text.js';
import { FetchedRecord, type DeliveredRecord } from '../records/record.js';
import type { Output } from './output.js';
import type { Colors } from './ui.js';

/** Writes one record to the output. */
export type RecordFormatter = (record: DeliveredRecord, out: Output) => void;

const NEWLINE = 0x0a;

/** The value as printed: JSON on one line, anything else as stored. */
export function printedValue(value: Buffer): Uint8Array {
  return hasWhitespace(value) && isJsonValue(value) ? compactJson(value) : value;
}

/** Writes the value as printed; nothing for a tombstone. */
function writeValue(value: Buffer | null, out: Output): void {
  if (value !== null) out.writeBytes(printedValue(value));
}

/** The value alone per line: what scripts read. */
export const plainFormatter: RecordFormatter = (record, out) => {
  // Most values hold no whitespace: they are checked as they are copied, in one pass; a fetched
  // record's from the bytes it was fetched in (no Buffer made for it).
  if (record instanceof FetchedRecord) {
    const start = record.valueStart;
    if (record.valueLength >= 0 && !out.writeUnlessWhitespace(record.valueBytes, start, start + record.valueLength)) writeValue(record.value, out);
  } else {
    const value = record.value;
    if (value !== null && !out.writeUnlessWhitespace(value, 0, value.length)) writeValue(value, out);
  }
  out.writeByte(NEWLINE);
};

/**
 * Control characters a terminal would act on (C0 but tab, newline and carriage return; DEL; C1):
 * from the wire they could clear the screen, move the cursor or retitle the window.
 */
const TERMINAL_CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/;

/** The bytes' text when a terminal shows it as it is (UTF-8 without control characters), else undefined. */
function terminalText(bytes: Buffer): string | undefined {
  const text = utf8Text(bytes);
  return text === undefined || TERMINAL_CONTROL.test(text) ? undefined : text;
}

/**
 * For a person at a terminal: partition/offset (the topic first when several are read), the key,
 * the type and headers, dimmed and colored, then the value. Every field from the wire, names too,
 * prints as its text only when that holds no control characters, else as `base64:…`.
 */
export function ttyFormatter(colors: Colors, options: { topic: boolean } = { topic: false }): RecordFormatter {
  const bytesText = (bytes: Buffer) => terminalText(bytes) ?? `base64:${bytes.toString('base64')}`;
  const nameText = (name: string) => (TERMINAL_CONTROL.test(name) ? bytesText(Buffer.from(name)) : name);
  return (record, out) => {
    out.write(`${colors.dim(`${options.topic ? `${nameText(record.topic)} ` : ''}${record.partition}/${record.offset}`)} `);
    if (record.key !== null) out.write(`${colors.cyan(bytesText(record.key))} `);
    const { type, headers } = splitType(record.headers);
    if (type !== undefined) out.write(`${colors.dim(`[${nameText(type)}]`)} `);
    if (headers.length > 0) {
      out.write(`${colors.dim(headers.map(([name, value]) => (value === null ? nameText(name) : `${nameText(name)}=${bytesText(value)}`)).join(','))} `);
    }
    const value = record.value;
    if (value === null) out.write(colors.dim('(tombstone)'));
    else if (terminalText(value) !== undefined) writeValue(value, out);
    else out.write(colors.dim(`base64:${value.toString('base64')}`));
    out.writeByte(NEWLINE);
  };
}

/**
 * --json: the whole message as one NDJSON line. The value is the JSON it holds (its very bytes, so
 * that publish --from-json gives them back; compacted only when they span lines), else its text as a string, else {"base64": ...}; a tombstone's value is null, with
 * "tombstone": true. Keys and header values are strings, or {"base64": ...} when not UTF-8;
 * a header name that repeats maps to the array of its values, in order.
 */
export const jsonFormatter: RecordFormatter = (record, out) => {
  const { type, headers } = splitType(record.headers);
  const fields = {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key === null ? null : bytesJson(record.key),
    type: type ?? null,
    headers: headersJson(headers),
  };
  const head = JSON.stringify(fields);
  out.write(head.slice(0, -1)); // the object stays open for the value's bytes
  out.write(',"value":');
  const value = record.value;
  if (value === null) out.write('null,"tombstone":true');
  else if (isJsonValue(value)) out.writeBytes(hasLineBreak(value) ? compactJson(value) : value);
  else if (isText(value)) out.write(JSON.stringify(value.toString('utf8')));
  else out.write(JSON.stringify({ base64: value.toString('base64') }));
  out.write('}\n');
};

type BytesJson = string | { base64: string };

/** Bytes in JSON: their text when they are UTF-8, else base64, never a replacement character. */
export function bytesJson(bytes: Buffer): BytesJson {
  return utf8Text(bytes) ?? { base64: bytes.toString('base64') };
}

function headersJson(headers: DeliveredRecord['headers']): Record<string, BytesJson | null | Array<BytesJson | null>> {
  const json: Record<string, BytesJson | null | Array<BytesJson | null>> = {};
  for (const [name, value] of headers) {
    const one = value === null ? null : bytesJson(value);
    if (!Object.hasOwn(json, name)) json[name] = one;
    else {
      const existing = json[name];
      json[name] = Array.isArray(existing) ? [...existing, one] : [existing!, one];
    }
  }
  return json;
}

/** Writes one %-field of a record. */
type Field = (record: DeliveredRecord, out: Output) => void;

const FIELDS: Record<string, Field> = {
  t: (r, out) => out.write(r.topic),
  p: (r, out) => out.write(String(r.partition)),
  o: (r, out) => out.write(String(r.offset)),
  k: (r, out) => r.key !== null && out.writeBytes(r.key),
  K: (r, out) => out.write(String(r.key === null ? -1 : r.key.byteLength)),
  s: (r, out) => writeValue(r.value, out),
  S: (r, out) => out.write(String(r.value === null ? -1 : r.value.byteLength)),
  T: (r, out) => out.write(String(r.timestamp)),
  y: (r, out) => out.write(splitType(r.headers).type ?? ''),
  h: (r, out) =>
    splitType(r.headers).headers.forEach(([name, value], i) => {
      out.write(`${i > 0 ? ',' : ''}${name}`);
      if (value !== null) {
        out.write('=');
        out.writeBytes(value);
      }
    }),
};

export const FORMAT_FIELDS = Object.keys(FIELDS);

/**
 * kcat-style --format: %t %p %o %k %K %s %S %T %y %h and %%, \n \t \\ escapes; no newline is
 * added. %K and %S are the key's and value's sizes in bytes, -1 when null (a tombstone's value).
 * An unknown %-directive is a usage error.
 */
export function templateFormatter(template: string): RecordFormatter {
  const parts: Array<string | Field> = [];
  let literal = '';
  for (let i = 0; i < template.length; i++) {
    const char = template[i]!;
    const next = template[i + 1];
    if (char === '%') {
      if (next === '%') literal += '%';
      else if (next !== undefined && Object.hasOwn(FIELDS, next)) {
        if (literal) parts.push(literal);
        literal = '';
        parts.push(FIELDS[next]!);
      } else {
        throw usageError(
          `invalid --format: ${next === undefined ? "'%' at its end" : `unknown directive '%${next}'`}: use ${FORMAT_FIELDS.map((f) => `%${f}`).join(' ')} or %%`,
        );
      }
      i++;
    } else if (char === '\\' && (next === 'n' || next === 't' || next === '\\')) {
      literal += next === 'n' ? '\n' : next === 't' ? '\t' : '\\';
      i++;
    } else literal += char;
  }
  if (literal) parts.push(literal);
  return (record, out) => {
    for (const part of parts) {
      if (typeof part === 'string') out.write(part);
      else part(record, out);
    }
  };
}
