import { describe, expect, it } from 'vitest';
import { MemoryBroker, PARTITION_OVERHEAD_BYTES, TOPIC_OVERHEAD_BYTES } from '../../src/memory/broker.js';
import { encodeRecordBatch, ProducedBatch } from '../../src/wire/kafka/record-batch.js';
import { partitionForKey } from '../../src/wire/murmur2.js';
import { expandAcks, outgoingBatch } from '../../src/records/record-batch.js';
import type { ZpsError } from '../../src/pubsub/errors.js';
import { MAX_MESSAGE_BYTES } from '../../src/pubsub/limits.js';
import type { OutgoingRecord } from '../../src/records/record.js';

const record = (value: string, key: string | null = null, partition?: number): OutgoingRecord => ({
  key: key === null ? null : Buffer.from(key),
  value: Buffer.from(JSON.stringify(value)),
  headers: [],
  partition,
});

/** One ack per record, as the broker's services hand them out, with the record's key. */
function produce(broker: MemoryBroker, topic: string, records: OutgoingRecord[]) {
  return expandAcks(broker.produce(topic, records)).map((ack, i) => ({ ...ack, key: records[i]!.key }));
}

function values(broker: MemoryBroker, topic: string, partition = 0): unknown[] {
  return broker.fetch(topic, [[partition, 0]], 1000, Infinity).flatMap((batch) => batch.slice.toRecords().map((r) => JSON.parse(r.value!.toString())));
}

function thrown(work: () => unknown): ZpsError {
  try {
    work();
  } catch (error) {
    return error as ZpsError;
  }
  throw new Error('expected an error');
}

describe('memory broker: logs', () => {
  it('appends with increasing offsets and counts per topic', () => {
    const broker = new MemoryBroker();
    const acks = produce(broker, 't', [record('a'), record('b'), record('c')]);
    expect(broker.produce('t', [record('d'), record('e')])).toEqual([[0, 3, 2]]); // runs of offsets
    expect(acks.map((a) => a.offset)).toEqual([0, 1, 2]);
    expect(broker.count('t')).toBe(5);
    expect(broker.count('missing')).toBe(0);
    expect(broker.partitionOffsets('t')).toEqual([{ partition: 0, start: 0, end: 5 }]);
  });

  it('routes keys with murmur2 and spreads keyless messages round robin', () => {
    const broker = new MemoryBroker();
    broker.createTopic('t', 4);
    const keyed = produce(
      broker,
      't',
      ['a', 'b', 'c', 'd', 'e'].map((k) => record('v', k)),
    );
    for (const ack of keyed) expect(ack.partition).toBe(partitionForKey(ack.key!, 4));
    const keyless = produce(broker, 't', [record('1'), record('2'), record('3'), record('4')]);
    expect(new Set(keyless.map((a) => a.partition)).size).toBe(4);
  });

  it('refuses a whole batch when one record is bad, storing none of it', () => {
    const broker = new MemoryBroker();
    broker.createTopic('t', 2);
    const error = thrown(() => broker.produce('t', [record('ok'), record('bad', null, 5)]));
    expect(error.code).toBe('usage');
    expect(error.message).toBe('partition 5 does not exist: topic t has 2 partitions');
    const big: OutgoingRecord = { key: null, value: Buffer.alloc(MAX_MESSAGE_BYTES + 1), headers: [] };
    expect(thrown(() => broker.produce('t', [record('ok'), big])).message).toMatch(/over the 1 MiB limit/);
    expect(broker.count('t')).toBe(0);
  });

  it('refuses invalid topic names as Kafka does', () => {
    const broker = new MemoryBroker();
    for (const name of ['', '.', '..', 'has space', 'a/b', 'x'.repeat(250)]) {
      expect(thrown(() => broker.produce(name, [record('v')])).code).toBe('usage');
    }
    expect(() => broker.produce('ok.name_with-dashes.123', [record('v')])).not.toThrow();
  });

  it('drops the oldest messages past retention, and offsets keep counting', () => {
    const broker = new MemoryBroker({ retentionMessages: 3 });
    for (const v of ['a', 'b', 'c', 'd', 'e']) broker.produce('t', [record(v)]);
    expect(broker.count('t')).toBe(3);
    expect(broker.partitionOffsets('t')).toEqual([{ partition: 0, start: 2, end: 5 }]);
    expect(values(broker, 't')).toEqual(['c', 'd', 'e']);
  });

  it('applies byte retention per partition', () => {
    const broker = new MemoryBroker({ retentionBytes: 1000 });
    for (let i = 0; i < 50; i++) broker.produce('t', [record('x'.repeat(100))]);
    expect(broker.count('t')).toBeLessThan(10);
    expect(broker.count('t')).toBeGreaterThan(0);
  });

  it('refuses publishes past the memory cap with a clear error, and accepts them again after reset', () => {
    const broker = new MemoryBroker({ maxMemoryBytes: 10_000 });
    let stored = 0;
    let error: ZpsError | undefined;
    while (!error) {
      try {
        broker.produce('t', [record('y'.repeat(500))]);
        stored++;
      } catch (e) {
        error = e as ZpsError;
      }
    }
    expect(stored).toBeGreaterThan(5);
    expect(error.code).toBe('failed');
    expect(error.message).toMatch(/^broker memory is full: .* of 9\.8 KiB used$/);
    expect(broker.count('t')).toBe(stored);
    broker.reset(['t']);
    expect(() => broker.produce('t', [record('z')])).not.toThrow();
  });
});

describe('memory broker: a large batch kept whole', () => {
  it('stores runs of partitions from the kept buffer: keys, headers, tombstones, timestamps, offsets and acks as given', () => {
    const broker = new MemoryBroker({ retentionMessages: 150 });
    broker.createTopic('big', 3);
    const records: OutgoingRecord[] = Array.from({ length: 300 }, (_, i) => ({
      key: i % 7 === 0 ? Buffer.from(`k${i}`) : null,
      value: i % 11 === 0 ? null : Buffer.from(`value-${i}-${'x'.repeat(40)}`),
      headers: i % 5 === 0 ? [['h', Buffer.from(String(i))]] : [],
      partition: Math.floor(i / 50) % 3, // runs of 50: 0, 1, 2, 0, 1, 2
    }));
    const stamped = Object.assign(outgoingBatch(records), { timestamp: (i: number) => 1_700_000_000_000 + i });
    expect(broker.produce('big', stamped)).toEqual([
      [0, 0, 50],
      [1, 0, 50],
      [2, 0, 50],
      [0, 50, 50],
      [1, 50, 50],
      [2, 50, 50],
    ]);
    for (const partition of [0, 1, 2]) {
      const read = broker.fetch('big', [[partition, 0]], 1000, Infinity).flatMap((batch) => batch.slice.toRecords());
      const sent = records.map((r, i) => ({ r, i })).filter(({ r }) => r.partition === partition);
      expect(read.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString() ?? null, r.headers.map(([n, v]) => `${n}=${v}`)])).toEqual(
        sent.map(({ r, i }, offset) => [
          offset,
          1_700_000_000_000 + i,
          r.key?.toString() ?? null,
          r.value?.toString() ?? null,
          r.headers.map(([n, v]) => `${n}=${v}`),
        ]),
      );
    }
    // retention trims kept records as any others
    broker.produce('big', Object.assign(outgoingBatch(records), { timestamp: () => 1 }));
    expect(broker.partitionOffsets('big')!.map((p) => [p.start, p.end])).toEqual([
      [50, 200],
      [50, 200],
      [50, 200],
    ]);
  });

  it('stores a producer batch without keys or headers column by column: values, tombstones, timestamps, after keyed records', () => {
    const broker = new MemoryBroker();
    broker.produce('plain', [{ key: Buffer.from('k'), value: Buffer.from('keyed'), headers: [['h', Buffer.from('v')]] }]);
    const plain: OutgoingRecord[] = Array.from({ length: 200 }, (_, i) => ({
      key: null,
      value: i % 13 === 0 ? null : Buffer.from(`plain-${i}-${'y'.repeat(30)}`),
      headers: [],
    }));
    const batch = ProducedBatch.read(
      encodeRecordBatch(
        outgoingBatch(plain),
        plain.map((_, i) => i),
        1_700_000_000_000,
      ),
      0,
    );
    expect(batch.plain()).toBeDefined(); // the column path is the one taken
    expect(broker.produce('plain', batch)).toEqual([[0, 1, 200]]);
    const read = broker.fetch('plain', [[0, 0]], 1000, Infinity).flatMap((b) => b.slice.toRecords());
    expect(read.map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString() ?? null, r.headers.length])).toEqual([
      [0, 'k', 'keyed', 1],
      ...plain.map((r, i) => [i + 1, null, r.value?.toString() ?? null, 0]),
    ]);
    expect(read.slice(1).every((r) => r.timestamp === 1_700_000_000_000)).toBe(true);
    // what the memory cap counts: key, value and header bytes and the per-record overhead of each,
    // and 1 KiB for the topic and for its partition
    const overhead = 96;
    const topic = 2 * 1024;
    expect(broker.stats().bytes).toBe(topic + 1 + 5 + 2 + overhead + plain.reduce((sum, r) => sum + (r.value?.byteLength ?? 0) + overhead, 0));
  });
});

describe('memory broker: topic administration', () => {
  it('retention.ms drops records older than it by their timestamps, at the next read', () => {
    const broker = new MemoryBroker();
    broker.createTopicWith('t', 1, { 'retention.ms': '60000' });
    const old = Date.now() - 120_000;
    const stamped = outgoingBatch([record('old'), record('new')]);
    broker.produce('t', { ...stamped, timestamp: (i) => (i === 0 ? old : Date.now() - 30_000) }); // as a producer's CreateTime
    expect(values(broker, 't')).toEqual(['new']);
    expect(broker.partitionOffsets('t')).toEqual([{ partition: 0, start: 1, end: 2 }]);
    broker.alterTopic('t', { set: { 'retention.ms': '10000' } });
    expect(broker.count('t')).toBe(0);
    expect(broker.stats().bytes).toBe(TOPIC_OVERHEAD_BYTES + PARTITION_OVERHEAD_BYTES); // the records' bytes are freed
  });

  it('a group member gets the partitions a topic grows by, from their beginning', () => {
    const broker = new MemoryBroker();
    broker.createTopicWith('t', 1);
    const member = broker.groups.join('g', 't', { kind: 'beginning' });
    expect(broker.groups.poll(member, 10, 1000).positions.map(([partition]) => partition)).toEqual([0]);
    broker.alterTopic('t', { partitions: 3 });
    broker.produce('t', [record('two', null, 2)]);
    const polled = broker.groups.poll(member, 10, 1000);
    expect(polled.positions.map(([partition]) => partition).sort()).toEqual([0, 1, 2]);
    expect(polled.batches.map((b) => b.partition)).toEqual([2]);
  });

  it('checks every part of a change before applying any', () => {
    const broker = new MemoryBroker();
    broker.createTopicWith('t', 2, { 'retention.ms': '1000' });
    expect(thrown(() => broker.alterTopic('t', { partitions: 4, set: { 'cleanup.policy': 'compact' } })).code).toBe('usage');
    expect(broker.partitionOffsets('t')).toHaveLength(2);
    expect(thrown(() => broker.alterTopic('t', { set: { 'retention.bytes': '10' }, partitions: 1 })).message).toContain('partitions only grow');
    expect(broker.topicConfigs('t')).toEqual({ 'retention.ms': '1000' });
    broker.alterTopic('t', { partitions: 4 }, true); // validate only
    expect(broker.partitionOffsets('t')).toHaveLength(2);
  });
});
