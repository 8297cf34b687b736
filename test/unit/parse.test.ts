import { describe, expect, it } from 'vitest';
import { collectPartitions, collectSchemaReference, parseStartOffset, parseTime } from '../../src/cli/parse.js';

describe('times (-o @<time>, --until)', () => {
  const now = Date.UTC(2026, 10, 27, 12, 0, 0);
  it('takes epoch milliseconds, RFC 3339 dates and date-times, and durations back from now', () => {
    expect(parseTime('1700000000000', now)).toBe(1_700_000_000_000);
    expect(parseTime('2026-11-27', now)).toBe(Date.UTC(2026, 10, 27));
    expect(parseTime('2026-11-27T10:00:00Z', now)).toBe(Date.UTC(2026, 10, 27, 10));
    expect(parseTime('2026-11-27T10:00:00+02:00', now)).toBe(Date.UTC(2026, 10, 27, 8));
    expect(parseTime('2026-11-27T10:00:00.250', now)).toBe(Date.UTC(2026, 10, 27, 10, 0, 0, 250)); // no offset: UTC
    expect(parseTime('-15m', now)).toBe(now - 15 * 60_000);
    expect(parseTime('-2h', now)).toBe(now - 2 * 3_600_000);
    expect(parseTime('-1d', now)).toBe(now - 86_400_000);
  });

  it('refuses anything else, as a usage error', () => {
    expect(parseTime('2028-02-29', now)).toBe(Date.UTC(2028, 1, 29)); // a leap day
    for (const text of ['yesterday', '2026-13-45', '2026-02-30', '2026-02-29', '2026-04-31T10:00:00Z', '15m', '-15', '2026-11-27T25:00:00Z', '']) {
      expect(() => parseTime(text, now), text).toThrow(/invalid time/);
    }
  });

  it('-o @<time> is a start at a time', () => {
    expect(parseStartOffset('@-1h', now)).toEqual({ kind: 'time', timestamp: now - 3_600_000 });
    expect(parseStartOffset('-5', now)).toEqual({ kind: 'tail', count: 5 });
  });
});

describe('-p', () => {
  it('is repeatable and takes comma-separated lists, each partition once, in order', () => {
    expect(collectPartitions('3', collectPartitions('0,2'))).toEqual([0, 2, 3]);
    expect(collectPartitions('1,1')).toEqual([1]);
    expect(() => collectPartitions('a')).toThrow(/invalid partition/);
  });
});

describe('--schema-reference', () => {
  it('takes name=subject with an optional :version (a number or latest, the default), repeatable', () => {
    const references = ['zps.test.Address=addresses-value', 'address.json=a:b:3', 'x=s:latest'].reduce(
      (all: ReturnType<typeof collectSchemaReference>, text) => collectSchemaReference(text, all),
      [],
    );
    expect(references).toEqual([
      { name: 'zps.test.Address', subject: 'addresses-value', version: 'latest' },
      { name: 'address.json', subject: 'a:b', version: 3 },
      { name: 'x', subject: 's', version: 'latest' },
    ]);
  });

  it('refuses a reference without a subject', () => {
    for (const text of ['Address', '=subject', 'Address=']) expect(() => collectSchemaReference(text), text).toThrow(/invalid schema reference/);
  });
});
