import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from '../../src/wire/murmur2.js';

describe('murmur2', () => {
  // Apache Kafka's UtilsTest.testMurmur2: keys must land where every Java client puts them.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('hashes %s as Kafka does', (key, expected) => {
    expect(murmur2(Buffer.from(key))).toBe(expected);
  });

  it("picks the partition as Kafka's default partitioner: positive hash modulo partitions", () => {
    expect(partitionForKey(Buffer.from('21'), 3)).toBe((-973932308 & 0x7fffffff) % 3);
    expect(partitionForKey(Buffer.from('foobar'), 7)).toBe((-790332482 & 0x7fffffff) % 7);
    expect(partitionForKey(Buffer.from('anything'), 1)).toBe(0);
  });
});
