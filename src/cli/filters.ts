/**
 * `zps consume`'s filters: --key, --header (repeatable), --type and --grep, all of which must
 * match. They look at records as stored (keys and header values as bytes); --grep at the value
 * as printed, as UTF-8 text.
 */
import { splitType } from '../pubsub/delivery.js';
import { usageError } from '../pubsub/errors.js';
import type { DeliveredRecord, RecordHeader } from '../records/record.js';
import { printedValue } from './format.js';

export interface FilterFlags {
  key?: string;
  /** name, or name=value */
  header?: string[];
  type?: string;
  grep?: string;
}

export type RecordFilter = (record: DeliveredRecord) => boolean;

/** The filter the flags ask for, or undefined when they ask for none (the plain path stays as it is). */
export function recordFilter(flags: FilterFlags): RecordFilter | undefined {
  const tests: RecordFilter[] = [];
  if (flags.key !== undefined) {
    const key = Buffer.from(flags.key);
    tests.push((record) => record.key?.equals(key) === true);
  }
  for (const spec of flags.header ?? []) {
    const at = spec.indexOf('=');
    const name = at < 0 ? spec : spec.slice(0, at);
    if (name === '') throw usageError(`invalid --header '${spec}': use name or name=value`);
    const value = at < 0 ? undefined : Buffer.from(spec.slice(at + 1));
    const matches = ([headerName, headerValue]: RecordHeader) => headerName === name && (value === undefined || headerValue?.equals(value) === true);
    tests.push((record) => record.headers.some(matches));
  }
  if (flags.type !== undefined) {
    const type = flags.type;
    tests.push((record) => splitType(record.headers).type === type);
  }
  if (flags.grep !== undefined) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(flags.grep);
    } catch (error) {
      throw usageError(`invalid --grep '${flags.grep}': ${(error as Error).message}`);
    }
    tests.push((record) => {
      if (record.value === null) return false;
      const printed = printedValue(record.value);
      return pattern.test(Buffer.from(printed.buffer, printed.byteOffset, printed.byteLength).toString('utf8'));
    });
  }
  if (tests.length === 0) return undefined;
  return (record) => tests.every((test) => test(record));
}
