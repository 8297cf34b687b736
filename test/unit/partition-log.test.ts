import { describe, expect, it } from 'vitest';
import { PartitionLog } from '../../src/memory/partition-log.js';
import type { RecordHeaders } from '../../src/records/record.js';

/**
 * Appends a value copied into the log's chunks, or (every 7th) kept in a buffer of its own, behind
 * a gap; a null value is a tombstone.
 */
function append(log: PartitionLog, timestamp: number, key: string | Buffer | null, value: Buffer | null, headers: RecordHeaders, size: number): number {
  const keyBytes = typeof key === 'string' ? Buffer.from(key) : key;
  if (value === null) return log.append(timestamp, keyBytes, headers, size, Buffer.alloc(0), 0, -1, false);
  if (timestamp % 7 !== 3) return log.append(timestamp, keyBytes, headers, size, value, 0, value.length, false);
  const kept = Buffer.concat([Buffer.from('\n\n'), value, Buffer.from('\n')]);
  return log.append(timestamp, keyBytes, headers, size, kept, 2, value.length, true);
}

const valueAt = (offset: number) =>
  // mostly small values, now and then one large enough to get a chunk of its own, and tombstones
  offset % 11 === 0 ? null : Buffer.from(offset % 97 === 0 ? `${offset}:`.padEnd(300_000, 'x') : `{"n":${offset}}`);

/** Keys of every kind: text, bytes that are not UTF-8, empty. */
const keyOf = (offset: number) =>
  offset % 4 === 0 ? Buffer.from([0xff, offset & 0xff, 0x00]) : offset % 4 === 1 ? Buffer.alloc(0) : Buffer.from(`k${offset}`);

/** Headers with a repeated name and a null value. */
const headersOf = (offset: number): RecordHeaders => [
  ['h', Buffer.from(String(offset))],
  ['h', null],
  ['bin', Buffer.from([0x80, 0x00])],
];

const same = (a: Buffer | null, b: Buffer | null) => (a === null ? b === null : b !== null && a.equals(b));

describe('partition log', () => {
  it('reads back every record exactly as appended, across growth, trimming and moves', () => {
    const log = new PartitionLog('t', 0);
    const keep = 1_000;
    for (let offset = 0; offset < 20_000; offset++) {
      // keys and headers appear only after the log has grown, trimmed and moved a few times
      const key = offset < 5_000 || offset % 3 === 0 ? null : keyOf(offset);
      const headers = offset >= 7_000 && offset % 5 === 0 ? headersOf(offset) : [];
      expect(append(log, offset * 10, key, valueAt(offset), headers, 100)).toBe(offset);
      if (offset % 250 === 0) log.trim(keep, Number.POSITIVE_INFINITY);
    }
    log.trim(keep, Number.POSITIVE_INFINITY);
    expect(log.startOffset).toBe(19_000);
    expect(log.endOffset).toBe(20_000);
    expect(log.count).toBe(keep);
    expect(log.bytes).toBe(keep * 100);

    const early = log.slice(0, 10_000, Number.POSITIVE_INFINITY).toRecords();
    expect(early.every((r) => r.key === null)).toBe(false);
    const records = early;
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: keep }, (_, i) => 19_000 + i));
    for (const record of records) {
      expect(same(record.value, valueAt(record.offset))).toBe(true);
      expect(record.timestamp).toBe(record.offset * 10);
      expect(same(record.key, record.offset % 3 === 0 ? null : keyOf(record.offset))).toBe(true);
      expect(record.headers).toEqual(record.offset % 5 === 0 ? headersOf(record.offset) : []);
      expect([record.topic, record.partition]).toEqual(['t', 0]);
    }
  });

  it('reads keys and headers that first appear after thousands of records without', () => {
    const log = new PartitionLog('t', 0);
    for (let offset = 0; offset < 3_000; offset++) {
      append(log, offset, offset < 2_000 ? null : `k${offset}`, valueAt(offset), offset < 2_500 ? [] : [['h', Buffer.from('v')]], 100);
      if (offset % 500 === 0) log.trim(1_200, Number.POSITIVE_INFINITY);
    }
    const records = log.slice(0, 10_000, Number.POSITIVE_INFINITY).toRecords();
    expect(records[0]!.offset).toBe(1_301); // trimmed to 1,200 at offset 2,500
    for (const record of records) {
      expect(record.key?.toString() ?? null).toBe(record.offset < 2_000 ? null : `k${record.offset}`);
      expect(record.headers).toEqual(record.offset < 2_500 ? [] : [['h', Buffer.from('v')]]);
      expect(same(record.value, valueAt(record.offset))).toBe(true);
    }
  });

  it('stops a read at the record and byte limits, but always returns at least one record', () => {
    const log = new PartitionLog('t', 0);
    for (let offset = 0; offset < 10; offset++) append(log, 0, null, valueAt(offset), [], 100);
    expect(
      log
        .slice(3, 4, Number.POSITIVE_INFINITY)
        .toRecords()
        .map((r) => r.offset),
    ).toEqual([3, 4, 5, 6]);
    expect(
      log
        .slice(3, 100, 250)
        .toRecords()
        .map((r) => r.offset),
    ).toEqual([3, 4, 5]);
    expect(
      log
        .slice(3, 100, 1)
        .toRecords()
        .map((r) => r.offset),
    ).toEqual([3]);
    expect(log.slice(10, 100, 1).toRecords()).toEqual([]);
  });

  it('trims by bytes, oldest first', () => {
    const log = new PartitionLog('t', 0);
    for (let offset = 0; offset < 10; offset++) append(log, 0, null, valueAt(offset), [], 100);
    expect(log.trim(Number.POSITIVE_INFINITY, 350)).toBe(700);
    expect([log.startOffset, log.count, log.bytes]).toEqual([7, 3, 300]);
  });
});
