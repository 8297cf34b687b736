/** Parsers for flag values: each turns bad input into a one-line usage error (exit 2). */
import { usageError } from '../pubsub/errors.js';
import type { RecordHeader, StartOffset } from '../pubsub/types.js';

export function parseWholeNumber(text: string, what: string, min = 0): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || !Number.isSafeInteger(Number(text))) {
    throw usageError(`invalid ${what} '${text}': use a whole number${min > 0 ? ` from ${min}` : ''}`);
  }
  return Number(text);
}

/** kcat's -o: beginning, end, an absolute offset, or -N for the last N messages of each partition. */
export function parseStartOffset(text: string): StartOffset {
  if (text === 'beginning' || text === 'earliest') return { kind: 'beginning' };
  if (text === 'end' || text === 'latest') return { kind: 'end' };
  if (/^-\d+$/.test(text)) return { kind: 'tail', count: Number(text.slice(1)) };
  if (/^\d+$/.test(text)) return { kind: 'absolute', offset: Number(text) };
  throw usageError(`invalid offset '${text}': use beginning, end, an offset such as 42, or -N for the last N messages`);
}

/** `k=v` or `k:v`, repeatable; a repeated name is kept, in order, as Kafka allows. */
export function collectHeader(text: string, headers: RecordHeader[] = []): RecordHeader[] {
  const at = text.search(/[=:]/);
  if (at <= 0) throw usageError(`invalid header '${text}': use name=value`);
  return [...headers, [text.slice(0, at), Buffer.from(text.slice(at + 1))]];
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
  return Math.floor(Number(match[1]) * SIZE_UNITS[(match[2] ?? 'b').toLowerCase()]!);
}

/** 1500 → "1.5s", 250 → "250ms", 120000 → "2m". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000 || ms % 60_000 !== 0) return `${Number((ms / 1000).toFixed(3))}s`;
  return `${ms / 60_000}m`;
}
