import { decodeValue, printableAsStored } from '../pubsub/codec.js';
import { splitType } from '../pubsub/delivery.js';
import type { DeliveredRecord } from '../pubsub/types.js';
import type { Output } from './output.js';
import type { Colors } from './ui.js';

/** Writes one record to the output. */
export type RecordFormatter = (record: DeliveredRecord, out: Output) => void;

/** A string value prints as it is; any other JSON value compact. */
export function valueText(record: DeliveredRecord): string {
  return printableAsStored(record.value) ? record.value.toString() : decodedText(record.value);
}

/** What valueText prints for a value that is not printable as stored. */
function decodedText(bytes: Buffer): string {
  const value = decodeValue(bytes);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const NEWLINE = 0x0a;

/** The value alone per line: what scripts read. Most values print as their bytes, never decoded. */
export const plainFormatter: RecordFormatter = (record, out) => {
  if (printableAsStored(record.value)) out.writeBytes(record.value);
  else out.write(decodedText(record.value));
  out.writeByte(NEWLINE);
};

/** For a person at a terminal: partition/offset and key, dimmed and colored, then the value. */
export function ttyFormatter(colors: Colors): RecordFormatter {
  return (record, out) => {
    const where = colors.dim(`${record.partition}/${record.offset}`);
    const key = record.key === null ? '' : `${colors.cyan(record.key)} `;
    out.write(`${where} ${key}${valueText(record)}\n`);
  };
}

/** --json: the whole message as one NDJSON line. */
export const jsonFormatter: RecordFormatter = (record, out) => {
  const { type, headers } = splitType(record.headers);
  out.write(
    JSON.stringify({
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      timestamp: record.timestamp,
      key: record.key,
      type: type ?? null,
      headers,
      value: decodeValue(record.value),
    }) + '\n',
  );
};

const FIELDS: Record<string, (record: DeliveredRecord) => string> = {
  t: (r) => r.topic,
  p: (r) => String(r.partition),
  o: (r) => String(r.offset),
  k: (r) => r.key ?? '',
  s: valueText,
  T: (r) => String(r.timestamp),
  y: (r) => splitType(r.headers).type ?? '',
  h: (r) =>
    Object.entries(splitType(r.headers).headers)
      .map(([name, value]) => `${name}=${value}`)
      .join(','),
};

/** kcat-style --format: %t %p %o %k %s %T %y %h, %% and \n \t escapes; no newline is added. */
export function templateFormatter(template: string): RecordFormatter {
  const parts: Array<string | ((record: DeliveredRecord) => string)> = [];
  let literal = '';
  for (let i = 0; i < template.length; i++) {
    const char = template[i]!;
    const next = template[i + 1];
    if (char === '%' && next !== undefined && (next in FIELDS || next === '%')) {
      if (next === '%') literal += '%';
      else {
        if (literal) parts.push(literal);
        literal = '';
        parts.push(FIELDS[next]!);
      }
      i++;
    } else if (char === '\\' && (next === 'n' || next === 't' || next === '\\')) {
      literal += next === 'n' ? '\n' : next === 't' ? '\t' : '\\';
      i++;
    } else literal += char;
  }
  if (literal) parts.push(literal);
  return (record, out) => {
    let text = '';
    for (const part of parts) text += typeof part === 'string' ? part : part(record);
    out.write(text);
  };
}
