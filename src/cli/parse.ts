/** Parsers for flag values: each turns bad input into a one-line usage error (exit 2). */
import { usageError } from '../pubsub/errors.js';
import type { StartOffset } from '../pubsub/types.js';
import type { SchemaReferenceSpec } from '../pubsub/factory.js';
import type { RecordHeader } from '../records/record.js';

export function parseWholeNumber(text: string, what: string, min = 0): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || !Number.isSafeInteger(Number(text))) {
    throw usageError(`invalid ${what} '${text}': use a whole number from ${min}`);
  }
  return Number(text);
}

/** kcat's -o: beginning, end, an absolute offset, -N for the last N messages of each partition, or @<time>. */
export function parseStartOffset(text: string, now = Date.now()): StartOffset {
  if (text.startsWith('@')) return { kind: 'time', timestamp: parseTime(text.slice(1), now) };
  if (text === 'beginning' || text === 'earliest') return { kind: 'beginning' };
  if (text === 'end' || text === 'latest') return { kind: 'end' };
  if (/^-\d+$/.test(text)) return { kind: 'tail', count: Number(text.slice(1)) };
  if (/^\d+$/.test(text)) return { kind: 'absolute', offset: Number(text) };
  throw usageError(`invalid offset '${text}': use beginning, end, an offset such as 42, -N for the last N messages, or @<time>`);
}

const RFC3339_DATE = /^\d{4}-\d{2}-\d{2}$/;
const RFC3339_DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?$/;
const BACK = /^-(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const BACK_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * A point in time, as ms since the epoch: epoch milliseconds, an RFC 3339 date (its midnight, UTC)
 * or date-time (UTC when it names no offset), or a duration back from `now` (-15m, -2h, -1d).
 */
export function parseTime(text: string, now = Date.now()): number {
  const back = BACK.exec(text);
  if (back) return now - Math.round(Number(back[1]) * BACK_MS[back[2] as keyof typeof BACK_MS]);
  if (/^\d+$/.test(text)) return Number(text);
  if (RFC3339_DATE.test(text) || RFC3339_DATE_TIME.test(text)) {
    const zoned = RFC3339_DATE.test(text) ? `${text}T00:00:00Z` : /([Zz]|[+-]\d{2}:\d{2})$/.test(text) ? text : `${text}Z`;
    const ms = Date.parse(zoned.replace(' ', 'T'));
    if (!Number.isNaN(ms) && dayExists(text)) return ms;
  }
  throw usageError(
    `invalid time '${text}': use epoch milliseconds, a date or date-time such as 2026-11-27 or 2026-11-27T10:00:00Z, or -15m, -2h back from now`,
  );
}

/** Whether the date a time starts with is a day of the calendar: Date.parse takes 2026-02-30 for March 2. */
function dayExists(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** `-p 2 -p 0,3` → [0, 2, 3]. */
export function collectPartitions(text: string, partitions: number[] = []): number[] {
  const added = text.split(',').map((part) => parseWholeNumber(part, 'partition'));
  return [...new Set([...partitions, ...added])].sort((a, b) => a - b);
}

/** `k=v` or `k:v`, repeatable; a repeated name is kept, in order, as Kafka allows. */
/** A repeatable option's values, in order. */
export function collectValue(value: string, all: string[] = []): string[] {
  return [...all, value];
}

/** `name=value` (or `name:value`), repeatable; the name may be empty, as Kafka's may. */
export function collectHeader(text: string, headers: RecordHeader[] = []): RecordHeader[] {
  const at = text.search(/[=:]/);
  if (at < 0) throw usageError(`invalid header '${text}': use name=value`);
  return [...headers, [text.slice(0, at), Buffer.from(text.slice(at + 1))]];
}

/** `name=subject[:version]` (version a number or latest, the default), repeatable: a schema's reference to another subject. */
export function collectSchemaReference(text: string, references: SchemaReferenceSpec[] = []): SchemaReferenceSpec[] {
  const match = /^([^=]+)=(.+?)(?::([1-9][0-9]*|latest))?$/.exec(text);
  if (!match) throw usageError(`invalid schema reference '${text}': use name=subject or name=subject:version`);
  const [, name, subject, version] = match as unknown as [string, string, string, string | undefined];
  return [...references, { name, subject, version: version === undefined || version === 'latest' ? 'latest' : Number(version) }];
}

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i;
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** `1048576`, `512MiB`, `2GB`, `1g` → bytes. */
export function parseSize(text: string, what: string): number {
  const match = SIZE.exec(text.trim());
  if (!match) throw usageError(`invalid ${what} '${text}': use a size such as 512MiB or 2GiB`);
  const bytes = Math.floor(Number(match[1]) * SIZE_UNITS[(match[2] ?? 'b').toLowerCase()]!);
  // a cap of nothing keeps nothing: a slip, not a wish (no message would ever be stored)
  if (bytes < 1) throw usageError(`invalid ${what} '${text}': use a size of at least 1 byte, such as 512MiB`);
  return bytes;
}

/** 1500 → "1.5s", 250 → "250ms", 120000 → "2m". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000 || ms % 60_000 !== 0) return `${Number((ms / 1000).toFixed(3))}s`;
  return `${ms / 60_000}m`;
}
