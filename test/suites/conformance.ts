/**
 * ONE suite of pub/sub behaviour, run against every implementation (in-process, daemon, Kafka).
 * Scenarios use their own topic and group names, so the stress mode can run them all at once.
 */
import { describe, expect, it } from 'vitest';
import type { DeliveredRecord, FactoryOptions, MessageMeta, PubSubFactory, ToolsFactory } from '../../src/index.js';
import { unique, waitFor } from '../helpers/wait.js';
import { expandAcks } from '../../src/records/record-batch.js';

export interface Capabilities {
  /** How long a scenario may wait for a delivery (Kafka's group joins are slower). */
  deliveryTimeoutMs: number;
}

export interface ConformanceTarget {
  name: string;
  factory(options?: Partial<FactoryOptions>): ToolsFactory;
  caps: Capabilities;
}

interface Received {
  message: unknown;
  meta: MessageMeta;
}

/** A scenario gets its target and `use`, which registers each factory it makes for closing at its end. */
export type Scenario = (target: ConformanceTarget, use: <F extends PubSubFactory>(factory: F) => F) => Promise<void>;

/** Runs a scenario on the target, closing every factory it used, whatever happens. */
export async function runScenario(target: ConformanceTarget, scenario: Scenario): Promise<void> {
  const factories: PubSubFactory[] = [];
  try {
    await scenario(target, (factory) => {
      factories.push(factory);
      return factory;
    });
  } finally {
    await Promise.all(factories.map((f) => f.close()));
  }
}

const FAST_RETRY = { maxAttempts: 3, initialBackoffMs: 5, maxBackoffMs: 20 };

export const scenarios: Record<string, Scenario> = {
  async 'round trip keeps key, type, headers and metadata'(target, use) {
    const factory = use(target.factory({ consumerGroup: unique('g') }));
    const topic = unique('roundtrip');
    const received: Received[] = [];
    const consumer = factory.getConsumerFactory().create();
    await consumer.consume(topic, (message, meta) => void received.push({ message, meta }), undefined, { fromBeginning: true });
    const publisher = await factory.getPublisherFactory().create(topic, 'order-created');
    const before = Date.now();
    const ack = await publisher.publish('customer-1', { id: 1, items: ['a', 'b'] }, { headers: { trace: 'abc' } });
    expect(ack).toMatchObject({ topic, partition: 0, offset: 0, key: 'customer-1' });
    await waitFor(() => received.length === 1, 'the message', target.caps.deliveryTimeoutMs);
    const [{ message, meta }] = received as [Received];
    expect(message).toEqual({ id: 1, items: ['a', 'b'] });
    expect(meta).toMatchObject({ topic, partition: 0, offset: 0, key: 'customer-1', type: 'order-created', headers: { trace: 'abc' } });
    expect(meta.timestamp).toBeGreaterThanOrEqual(before - 1000);
    expect(meta.timestamp).toBeLessThanOrEqual(Date.now() + 1000);
  },

  async 'a closed factory refuses further use, saying so, instead of connecting again'(target, use) {
    const factory = use(target.factory());
    const topic = unique('closed');
    await (await factory.getPublisherFactory().create(topic)).publish('k', 1);
    await factory.close();
    const refused = { code: 'usage', message: 'this factory is closed: create another to go on' };
    await expect((await factory.getPublisherFactory().create(topic)).publish('k', 2)).rejects.toMatchObject(refused);
    await expect(factory.getAdmin().count(topic)).rejects.toMatchObject(refused);
  },

  async 'a value, key or header that cannot be sent is a usage error, the same in every environment'(target, use) {
    const publisher = await use(target.factory()).getPublisherFactory().create(unique('bad-input'));
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const notJson = expect.stringMatching(/^the value cannot be encoded as JSON: [^\n]+$/); // V8's words after the colon
    const refusals: Array<[() => Promise<unknown>, unknown]> = [
      [() => publisher.publish(null, undefined), 'the value cannot be encoded as JSON: it is undefined'],
      [() => publisher.publish(null, 10n), notJson],
      [() => publisher.publish(null, cyclic), notJson],
      [() => publisher.publish(5 as unknown as string, 1), 'a key is a string, a Buffer or null'],
      [() => publisher.publish(null, 1, { headers: { a: 5 as unknown as string } }), 'header a: a value is a string, a Buffer or null'],
    ];
    for (const [publish, message] of refusals) await expect(publish()).rejects.toMatchObject({ code: 'usage', message });
    expect(await publisher.publish('k', 1, { headers: { a: 'x', b: null } })).toMatchObject({ offset: 0 });
  },

  async 'messages keep their order within each partition'(target, use) {
    const factory = use(target.factory({ consumerGroup: unique('g') }));
    const topic = unique('order');
    await factory.getAdmin().createTopic(topic, { partitions: 3 });
    const received: Received[] = [];
    const consumer = factory.getConsumerFactory().create();
    await consumer.consume(topic, (message, meta) => void received.push({ message, meta }), undefined, { fromBeginning: true });
    const publisher = await factory.getPublisherFactory().create(topic);
    const total = 300;
    await Promise.all(Array.from({ length: total }, (_, seq) => publisher.publish(`key-${seq % 7}`, { seq })));
    await waitFor(() => received.length >= total, `${total} messages`, target.caps.deliveryTimeoutMs);
    expect(received).toHaveLength(total);
    const lastSeqByKey = new Map<string, number>();
    const lastOffsetByPartition = new Map<number, number>();
    const partitionByKey = new Map<string, number>();
    for (const { message, meta } of received) {
      const seq = (message as { seq: number }).seq;
      expect(seq).toBeGreaterThan(lastSeqByKey.get(meta.key!) ?? -1);
      expect(meta.offset).toBeGreaterThan(lastOffsetByPartition.get(meta.partition) ?? -1);
      expect(partitionByKey.get(meta.key!) ?? meta.partition).toBe(meta.partition);
      lastSeqByKey.set(meta.key!, seq);
      lastOffsetByPartition.set(meta.partition, meta.offset);
      partitionByKey.set(meta.key!, meta.partition);
    }
    expect(new Set(partitionByKey.values()).size).toBeGreaterThan(1);
  },

  async 'many topics at once each get their own messages'(target, use) {
    const factory = use(target.factory({ consumerGroup: unique('g') }));
    const topics = Array.from({ length: 8 }, () => unique('many'));
    const received = new Map<string, number[]>(topics.map((t) => [t, []]));
    const consumer = factory.getConsumerFactory().create();
    await Promise.all(
      topics.map((topic) => consumer.consume(topic, (message) => void received.get(topic)!.push(message as number), undefined, { fromBeginning: true })),
    );
    await Promise.all(
      topics.map(async (topic) => {
        const publisher = await factory.getPublisherFactory().create(topic);
        for (let i = 0; i < 40; i++) await publisher.publish(null, i);
      }),
    );
    await waitFor(() => topics.every((t) => received.get(t)!.length >= 40), 'every topic', target.caps.deliveryTimeoutMs);
    for (const topic of topics) expect(received.get(topic)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  },

  async 'every group gets every message'(target, use) {
    const factory = use(target.factory());
    const topic = unique('groups');
    const byGroup = new Map<string, unknown[]>();
    for (const group of [unique('ga'), unique('gb')]) {
      const list: unknown[] = [];
      byGroup.set(group, list);
      await factory
        .getConsumerFactory()
        .create({ group })
        .consume(topic, (m) => void list.push(m), undefined, { fromBeginning: true });
    }
    const publisher = await factory.getPublisherFactory().create(topic);
    await Promise.all(Array.from({ length: 50 }, (_, i) => publisher.publish(null, i)));
    await waitFor(() => [...byGroup.values()].every((l) => l.length >= 50), 'both groups', target.caps.deliveryTimeoutMs);
    for (const list of byGroup.values()) expect(list).toEqual(Array.from({ length: 50 }, (_, i) => i));
  },

  async 'within a group each message is handled once, by one member'(target, use) {
    const group = unique('shared');
    const topic = unique('shared');
    const admin = use(target.factory()).getAdmin();
    await admin.createTopic(topic, { partitions: 4 });
    const handledBy = new Map<number, number[]>();
    const members = [0, 1, 2];
    for (const member of members) {
      const factory = use(target.factory({ consumerGroup: group }));
      await factory
        .getConsumerFactory()
        .create()
        .consume(topic, (message) => {
          const id = (message as { id: number }).id;
          handledBy.set(id, [...(handledBy.get(id) ?? []), member]);
        });
    }
    const publisher = await use(target.factory()).getPublisherFactory().create(topic);
    const total = 400;
    await Promise.all(Array.from({ length: total }, (_, id) => publisher.publish(`k${id}`, { id })));
    await waitFor(() => handledBy.size >= total, `${total} messages`, target.caps.deliveryTimeoutMs);
    await waitFor(async () => (await admin.lag(group, topic)) === 0, 'the group to commit everything', target.caps.deliveryTimeoutMs);
    expect(handledBy.size).toBe(total);
    for (const [, by] of handledBy) expect(by).toHaveLength(1);
    const busyMembers = new Set([...handledBy.values()].map(([m]) => m));
    expect(busyMembers.size).toBeGreaterThan(1);
  },

  async 'a group resumes at its committed offset after close'(target, use) {
    const group = unique('resume');
    const topic = unique('resume');
    const first: unknown[] = [];
    const factory = use(target.factory({ consumerGroup: group }));
    const consumer = factory.getConsumerFactory().create();
    await consumer.consume(topic, (m) => void first.push(m), undefined, { fromBeginning: true });
    const publisher = await factory.getPublisherFactory().create(topic);
    for (let i = 0; i < 10; i++) await publisher.publish(null, i);
    await waitFor(() => first.length >= 10, 'the first ten', target.caps.deliveryTimeoutMs);
    await consumer.close();
    for (let i = 10; i < 20; i++) await publisher.publish(null, i);
    const second: unknown[] = [];
    await factory
      .getConsumerFactory()
      .create()
      .consume(topic, (m) => void second.push(m), undefined, { fromBeginning: true });
    await waitFor(() => second.length >= 10, 'the next ten', target.caps.deliveryTimeoutMs);
    expect(first).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(second).toEqual(Array.from({ length: 10 }, (_, i) => i + 10));
  },

  async 'a handler that throws gets the message again'(target, use) {
    const errors: unknown[] = [];
    const factory = use(target.factory({ consumerGroup: unique('g'), retry: FAST_RETRY, onError: (e) => errors.push(e) }));
    const topic = unique('redeliver');
    const attempts: unknown[] = [];
    await factory
      .getConsumerFactory()
      .create()
      .consume(
        topic,
        (message) => {
          attempts.push(message);
          if (attempts.length < 3) throw new Error('not yet');
        },
        undefined,
        { fromBeginning: true },
      );
    const publisher = await factory.getPublisherFactory().create(topic);
    await publisher.publish(null, 'flaky');
    await publisher.publish(null, 'next');
    await waitFor(() => attempts.length >= 4, 'the retries and the next message', target.caps.deliveryTimeoutMs);
    expect(attempts).toEqual(['flaky', 'flaky', 'flaky', 'next']);
    expect(errors).toEqual([]);
  },

  async 'a consumer keeps going after a handler keeps failing'(target, use) {
    const failures: Array<{ error: unknown; message: unknown }> = [];
    const factory = use(target.factory({ consumerGroup: unique('g'), retry: FAST_RETRY, onError: (error, message) => failures.push({ error, message }) }));
    const topic = unique('poison');
    const handled: unknown[] = [];
    let poisonAttempts = 0;
    await factory
      .getConsumerFactory()
      .create()
      .consume(
        topic,
        async (message) => {
          if (message === 'poison') {
            poisonAttempts++;
            throw new Error('cannot handle poison');
          }
          handled.push(message);
        },
        undefined,
        { fromBeginning: true },
      );
    const publisher = await factory.getPublisherFactory().create(topic);
    for (const value of ['a', 'poison', 'b', 'c']) await publisher.publish(null, value);
    await waitFor(() => handled.length >= 3, 'the messages after the poison', target.caps.deliveryTimeoutMs);
    expect(handled).toEqual(['a', 'b', 'c']);
    expect(poisonAttempts).toBe(FAST_RETRY.maxAttempts);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.message).toBe('poison');
    expect((failures[0]!.error as Error).message).toBe('cannot handle poison');
  },

  async 'a new group starts at the end unless fromBeginning'(target, use) {
    const factory = use(target.factory());
    const topic = unique('start');
    const publisher = await factory.getPublisherFactory().create(topic);
    for (let i = 0; i < 5; i++) await publisher.publish(null, `old-${i}`);
    const fromBeginning: unknown[] = [];
    const fromEnd: unknown[] = [];
    await factory
      .getConsumerFactory()
      .create({ group: unique('b') })
      .consume(topic, (m) => void fromBeginning.push(m), undefined, { fromBeginning: true });
    await factory
      .getConsumerFactory()
      .create({ group: unique('e') })
      .consume(topic, (m) => void fromEnd.push(m));
    await publisher.publish(null, 'new');
    await waitFor(() => fromBeginning.length >= 6 && fromEnd.length >= 1, 'both consumers', target.caps.deliveryTimeoutMs);
    expect(fromBeginning).toEqual(['old-0', 'old-1', 'old-2', 'old-3', 'old-4', 'new']);
    expect(fromEnd).toEqual(['new']);
  },

  async 'a type filter skips messages of other types'(target, use) {
    const factory = use(target.factory({ consumerGroup: unique('g') }));
    const topic = unique('types');
    const received: unknown[] = [];
    await factory
      .getConsumerFactory()
      .create()
      .consume(topic, (m) => void received.push(m), 'wanted', { fromBeginning: true });
    const wanted = await factory.getPublisherFactory().create(topic, 'wanted');
    const other = await factory.getPublisherFactory().create(topic, 'other');
    const untyped = await factory.getPublisherFactory().create(topic);
    await other.publish(null, 'skip-me');
    await wanted.publish(null, 'take-me');
    await untyped.publish(null, 'untyped');
    await wanted.publish(null, 'last');
    await waitFor(() => received.length >= 3, 'the wanted messages', target.caps.deliveryTimeoutMs);
    expect(received).toEqual(['take-me', 'untyped', 'last']);
  },

  async 'consuming a topic never creates it; its messages arrive once a publisher does'(target, use) {
    const factory = use(target.factory({ consumerGroup: unique('g') }));
    const topic = unique('later');
    const received: string[] = [];
    await factory
      .getConsumerFactory()
      .create()
      .consume(topic, (m) => void received.push(m as string));
    expect((await factory.getAdmin().topics()).map((t) => t.topic)).not.toContain(topic);
    await factory.getAdmin().createTopic(topic, { partitions: 3 });
    const publisher = await factory.getPublisherFactory().create(topic);
    const sent = Array.from({ length: 12 }, (_, i) => `m${i}`);
    await Promise.all(sent.map((m, i) => publisher.publish(`k${i}`, m)));
    await waitFor(() => received.length >= sent.length, 'every message', target.caps.deliveryTimeoutMs);
    expect([...received].sort()).toEqual([...sent].sort());
    expect((await factory.getAdmin().topics()).find((t) => t.topic === topic)?.partitions).toBe(3);
  },

  async 'records keep their bytes: binary keys, repeated and null headers, tombstones'(target, use) {
    const factory = use(target.factory({ consumerGroup: unique('g') }));
    const topic = unique('bytes');
    const received: Received[] = [];
    await factory
      .getConsumerFactory()
      .create()
      .consume(topic, (message, meta) => void received.push({ message, meta }), undefined, { fromBeginning: true });
    const publisher = await factory.getPublisherFactory().create(topic, 'typed');
    const key = Buffer.from([0xff, 0x00, 0x7f]);
    await publisher.publish(
      key,
      { n: 1 },
      {
        headers: [
          ['a', '1'],
          ['a', Buffer.from([0x80])],
          ['n', null],
        ],
      },
    );
    await waitFor(() => received.length === 1, 'the message', target.caps.deliveryTimeoutMs);
    const [{ message, meta }] = received as [Received];
    expect(message).toEqual({ n: 1 });
    expect(meta.rawKey?.equals(key)).toBe(true);
    expect(meta.type).toBe('typed');
    expect(meta.rawHeaders).toEqual([
      ['a', Buffer.from('1')],
      ['a', Buffer.from([0x80])],
      ['n', null],
    ]);
    expect(meta.headers).toEqual({ a: '\ufffd', n: '' });
    expect(meta.tombstone).toBe(false);
  },

  async 'the sender stores a batch in order and acks each record with its partition and offset'(target, use) {
    const tools = use(target.factory());
    const topic = unique('sender');
    const sender = tools.getSender();
    const prepared = await sender.prepare(topic, { partitions: 2 });
    expect(prepared.partitions).toBe(2);
    const records = Array.from({ length: 6 }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`), headers: [], partition: i % 2 }));
    const acks = await sender.send(topic, batchOf(records));
    expect(expandAcks(acks)).toEqual(records.map((_, i) => ({ partition: i % 2, offset: Math.floor(i / 2) })));
    const keep = records.map((record) => ({ ...record, partition: 1 }));
    expect(await sender.send(topic, batchOf(keep))).toEqual([[1, 3, 6]]); // one run for consecutive offsets
    const refused = await sender.send(topic, batchOf([{ key: null, value: Buffer.from('x'), headers: [], partition: 5 }])).catch((e: Error) => e);
    expect((refused as Error).message).toBe(`partition 5 does not exist: topic ${topic} has 2 partitions`);
  },

  async 'a reader starts at the beginning, an offset or the last N, and ends at the end as of opening'(target, use) {
    const tools = use(target.factory());
    const topic = unique('reader');
    await publishTexts(tools, topic, ['a', 'b', 'c', 'd']);
    const read = async (start: Parameters<ToolsFactory['openReader']>[0]['start']) =>
      texts(await readAll(await tools.openReader({ topic, start, follow: false })));
    expect(await read({ kind: 'beginning' })).toEqual(['a', 'b', 'c', 'd']);
    expect(await read({ kind: 'absolute', offset: 2 })).toEqual(['c', 'd']);
    expect(await read({ kind: 'tail', count: 1 })).toEqual(['d']);
    expect(await read({ kind: 'end' })).toEqual([]);
    const missing = await tools.openReader({ topic: unique('missing'), start: { kind: 'beginning' }, follow: false }).catch((e: { code?: string }) => e);
    expect((missing as { code?: string }).code).toBe('not-found');
  },

  async 'a group reader commits what was marked done; the next reader of the group starts there'(target, use) {
    const tools = use(target.factory());
    const topic = unique('group-reader');
    const group = unique('g');
    await publishTexts(tools, topic, ['1', '2', '3', '4']);
    const first = await tools.openReader({ topic, group, start: { kind: 'beginning' }, follow: false });
    const batch = (await first.next())!;
    first.markDone(batch[1]!); // the first two are done
    await first.close();
    expect(await tools.getAdmin().lag(group, topic)).toBe(2);
    const second = await tools.openReader({ topic, group, start: { kind: 'beginning' }, follow: false });
    expect(texts(await readAll(second, true))).toEqual(['3', '4']);
    expect(await tools.getAdmin().lag(group, topic)).toBe(0);
  },

  async 'readers by partition, time and several topics; a described topic and group'(target, use) {
    const tools = use(target.factory());
    const topic = unique('inspect');
    const group = unique('g');
    await tools.getAdmin().createTopic(topic, { partitions: 2 });
    await publishTexts(tools, topic, ['p1-a', 'p1-b'], 1);
    const read = async (options: Partial<Parameters<ToolsFactory['openReader']>[0]>) =>
      texts(await readAll(await tools.openReader({ topic, start: { kind: 'beginning' }, follow: false, ...options })));
    expect(await read({ partitions: [0] })).toEqual([]);
    expect(await read({ partitions: [1] })).toEqual(['p1-a', 'p1-b']);
    expect(await read({ start: { kind: 'time', timestamp: Date.now() + 60_000 } })).toEqual([]);
    expect(await read({ start: { kind: 'time', timestamp: 0 } })).toEqual(['p1-a', 'p1-b']);
    expect(await read({ until: 0 })).toEqual([]);
    const other = unique('inspect-other');
    await publishTexts(tools, other, ['o']);
    expect((await read({ topic: [topic, other] })).sort()).toEqual(['o', 'p1-a', 'p1-b']);
    const described = await tools.getAdmin().describeTopic(topic);
    expect(described?.partitions.map((p) => [p.partition, p.first, p.next, p.count])).toEqual([
      [0, 0, 0, 0],
      [1, 0, 2, 2],
    ]);
    const reader = await tools.openReader({ topic, group, start: { kind: 'beginning' }, follow: false });
    const batch = (await reader.next())!;
    reader.markDone(batch[0]!);
    await reader.close();
    const info = await tools.getAdmin().describeGroup(group);
    expect(info?.partitions).toEqual([
      { topic, partition: 0, committed: 0, end: 0, lag: 0 }, // where the group started, committed when it joined
      { topic, partition: 1, committed: 1, end: 2, lag: 1 },
    ]);
    expect((await tools.getAdmin().groups()).find((g) => g.group === group)).toMatchObject({ group, members: 0, topics: [topic], lag: 1 });
    expect(await tools.getAdmin().describeGroup(unique('nobody'))).toBeUndefined();
  },

  async 'count, topics and reset'(target, use) {
    const tools = use(target.factory());
    const topic = unique('admin');
    await tools.getAdmin().createTopic(topic, { partitions: 3 });
    await publishTexts(tools, topic, ['x', 'y'], 0);
    expect(await tools.getAdmin().count(topic)).toBe(2);
    expect(await tools.getAdmin().count(unique('missing'))).toBe(0);
    expect((await tools.getAdmin().topics()).find((t) => t.topic === topic)).toEqual({ topic, count: 2, partitions: 3 });
    await tools.getAdmin().reset([topic]);
    expect(await tools.getAdmin().count(topic)).toBe(0);
    // as Kafka's DeleteRecords: the topic keeps its partitions and offsets
    expect((await tools.getAdmin().topics()).find((t) => t.topic === topic)).toEqual({ topic, count: 0, partitions: 3 });
    await publishTexts(tools, topic, ['z'], 0);
    const [record] = await readAll(await tools.openReader({ topic, start: { kind: 'beginning' }, follow: false }));
    expect(record!.offset).toBe(2); // partition 0 held x and y
  },

  async 'closing with messages in flight loses nothing acknowledged'(target, use) {
    const group = unique('inflight');
    const topic = unique('inflight');
    const producer = use(target.factory());
    const publisher = await producer.getPublisherFactory().create(topic);
    const total = 200;
    const acks = Array.from({ length: total }, (_, id) => publisher.publish(null, { id }));
    await publisher.close();
    // every publish made before close() has been acknowledged once close resolves
    expect((await Promise.allSettled(acks)).every((r) => r.status === 'fulfilled')).toBe(true);
    expect(await producer.getAdmin().count(topic)).toBe(total);

    const seen = new Set<number>();
    const first = use(target.factory({ consumerGroup: group }))
      .getConsumerFactory()
      .create();
    await first.consume(
      topic,
      async (message) => {
        seen.add((message as { id: number }).id);
        await new Promise((resolve) => setImmediate(resolve));
      },
      undefined,
      { fromBeginning: true },
    );
    await waitFor(() => seen.size >= 50, 'the first consumer to be busy', target.caps.deliveryTimeoutMs);
    await first.close();
    const second = use(target.factory({ consumerGroup: group }))
      .getConsumerFactory()
      .create();
    await second.consume(topic, (message) => void seen.add((message as { id: number }).id), undefined, { fromBeginning: true });
    await waitFor(() => seen.size >= total, 'every message across both consumers', target.caps.deliveryTimeoutMs);
    expect(seen.size).toBe(total);
  },
};

/** A batch of records, as the tools API sends them. */
function batchOf(records: Array<{ key: Buffer | null; value: Buffer; headers: []; partition?: number }>) {
  return {
    length: records.length,
    partition: (i: number) => records[i]!.partition,
    key: (i: number) => records[i]!.key,
    headers: () => [],
    size: (i: number) => records[i]!.value.length,
    value: (i: number) => records[i]!.value,
    valueLength: (i: number) => records[i]!.value.length,
    packedValues: () => {
      const starts = new Uint32Array(records.length);
      let at = 0;
      records.forEach((r, i) => {
        starts[i] = at;
        at += r.value.length;
      });
      return { bytes: Buffer.concat(records.map((r) => r.value)), starts };
    },
  };
}

async function publishTexts(tools: ToolsFactory, topic: string, values: string[], partition?: number): Promise<void> {
  await tools.getSender().send(topic, batchOf(values.map((v) => ({ key: null, value: Buffer.from(v), headers: [], partition }))));
}

/** Everything a reader gives until it ends (a group reader marks each batch done). */
async function readAll(reader: Awaited<ReturnType<ToolsFactory['openReader']>>, markDone = false): Promise<DeliveredRecord[]> {
  const records: DeliveredRecord[] = [];
  try {
    for (let batch = await reader.next(); batch; batch = await reader.next()) {
      records.push(...batch);
      if (markDone) for (const record of batch) reader.markDone(record);
    }
  } finally {
    await reader.close();
  }
  return records;
}

const texts = (records: DeliveredRecord[]) => records.map((r) => r.value?.toString());

/** Registers the suite for one implementation, plus its stress mode (ZPS_STRESS copies at once, default 3). */
export function describeConformance(target: () => ConformanceTarget): void {
  const run = (scenario: Scenario) => runScenario(target(), scenario);
  describe('conformance', () => {
    for (const [name, scenario] of Object.entries(scenarios)) it(name, () => run(scenario));
  });
  describe('conformance under stress', () => {
    const copies = Number(process.env.ZPS_STRESS ?? 3);
    it(`runs the whole suite ${copies} times in parallel`, async () => {
      await Promise.all(Array.from({ length: copies }, () => Object.values(scenarios).map(run)).flat());
    }, 120_000);
  });
}
