/**
 * Topic administration, run against every implementation (in-process, daemon, Kafka): topics
 * created with settings, settings that take effect, partitions that only grow (keys then hash over
 * the new count), a deleted topic created again from offset 0, and the refusals.
 */
import { describe, expect, it } from 'vitest';
import { partitionForKey } from '../../src/wire/murmur2.js';
import { unique, waitFor } from '../helpers/wait.js';
import { type ConformanceTarget, runScenario, type Scenario } from './conformance.js';

const isKafka = (target: ConformanceTarget) => target.name === 'kafka';

const scenarios: Record<string, Scenario> = {
  async 'a topic is created with its settings, once'(target, use) {
    const admin = use(target.factory()).getAdmin();
    const topic = unique('admin-create');
    expect(await admin.createTopicWith(topic, { partitions: 2, configs: { 'retention.ms': '3600000', 'max.message.bytes': '50000' } })).toBe(true);
    expect(await admin.createTopicWith(topic, { partitions: 5 })).toBe(false);
    const described = await waitFor(() => admin.describeTopic(topic), 'the topic');
    expect(described.partitions).toHaveLength(2);
    expect(described.configs).toMatchObject({ 'retention.ms': '3600000', 'max.message.bytes': '50000' });
  },

  async 'max.message.bytes refuses a larger message'(target, use) {
    const factory = use(target.factory());
    const topic = unique('admin-max');
    await factory.getAdmin().createTopicWith(topic, { partitions: 1, configs: { 'max.message.bytes': '2000' } });
    const publisher = await factory.getPublisherFactory().create(topic);
    await expect(publisher.publish(null, 'x'.repeat(3000))).rejects.toMatchObject({ code: 'too-large' });
    await publisher.publish(null, 'small');
    expect(await factory.getAdmin().count(topic)).toBe(1);
  },

  async 'retention.bytes and retention.ms take effect (Kafka: they read back)'(target, use) {
    const factory = use(target.factory());
    const admin = factory.getAdmin();
    const bySize = unique('admin-retention-bytes');
    await admin.createTopicWith(bySize, { partitions: 1, configs: { 'retention.bytes': '1000' } });
    const byTime = unique('admin-retention-ms');
    await admin.createTopicWith(byTime, { partitions: 1 });
    if (isKafka(target)) {
      await admin.alterTopic(byTime, { set: { 'retention.ms': '100' } });
      expect((await admin.describeTopic(bySize))?.configs).toMatchObject({ 'retention.bytes': '1000' });
      expect((await admin.describeTopic(byTime))?.configs).toMatchObject({ 'retention.ms': '100' });
      return;
    }
    const publisher = await factory.getPublisherFactory().create(bySize);
    for (let i = 0; i < 20; i++) await publisher.publish(null, 'x'.repeat(200));
    const kept = await admin.count(bySize);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(10);
    const timed = await factory.getPublisherFactory().create(byTime);
    await timed.publish(null, 'soon gone');
    await timed.publish(null, 'soon gone too');
    expect(await admin.count(byTime)).toBe(2);
    await admin.alterTopic(byTime, { set: { 'retention.ms': '50' } });
    await waitFor(async () => (await admin.count(byTime)) === 0, 'retention.ms to drop the messages');
    const offsets = (await admin.describeTopic(byTime))!.partitions[0]!;
    expect(offsets).toMatchObject({ first: 2, next: 2, count: 0 });
    await admin.alterTopic(byTime, { unset: ['retention.ms'] });
    expect((await admin.describeTopic(byTime))?.configs?.['retention.ms']).toBeUndefined();
  },

  async "more partitions than Kafka creates in one request are refused in Kafka's words, and no topic is left"(target, use) {
    const admin = use(target.factory()).getAdmin();
    const topic = unique('admin-huge');
    await expect(admin.createTopicWith(topic, { partitions: 10_000 })).rejects.toMatchObject({
      code: 'failed',
      message: expect.stringMatching(/unable to perform excessively large batch operation/i), // 10,000 partitions and the topic: 10,001 records
    });
    expect(await admin.describeTopic(topic)).toBeUndefined();
  },

  async "names that differ only by '.' and '_' collide, as in Kafka: the second is refused, created or published to"(target, use) {
    const factory = use(target.factory());
    const admin = factory.getAdmin();
    const base = unique('admin-collide');
    const [dotted, underscored] = [`${base}.a_b`, `${base}_a.b`];
    await admin.createTopicWith(dotted, { partitions: 1 });
    const collision = { code: 'usage', message: expect.stringContaining(`Topic '${underscored}' collides with existing topic: ${dotted}`) };
    await expect(admin.createTopicWith(underscored, { partitions: 1 })).rejects.toMatchObject(collision);
    const publisher = await factory.getPublisherFactory().create(underscored);
    await expect(publisher.publish('x')).rejects.toMatchObject({ code: 'usage' });
    expect(await admin.describeTopic(underscored)).toBeUndefined();
    expect(await admin.createTopicWith(dotted, { partitions: 1 })).toBe(false); // the same name: it exists, no collision
  },

  async 'unsetting a setting the topic does not have, even one Kafka has not, changes nothing, as in Kafka'(target, use) {
    const admin = use(target.factory()).getAdmin();
    const topic = unique('admin-unset');
    await admin.createTopicWith(topic, { partitions: 1, configs: { 'retention.ms': '3600000' } });
    // set with it, a marker of the change having taken effect
    await admin.alterTopic(topic, { set: { 'max.message.bytes': '50000' }, unset: ['retention.bytes', 'no.such.setting'] });
    await waitFor(async () => (await admin.describeTopic(topic))?.configs?.['max.message.bytes'] === '50000', 'the change applied');
    expect((await admin.describeTopic(topic))?.configs).toMatchObject({ 'retention.ms': '3600000' });
  },

  async 'partitions only grow, and keys then hash over the new count'(target, use) {
    const admin = use(target.factory()).getAdmin();
    const topic = unique('admin-grow');
    await admin.createTopicWith(topic, { partitions: 1 });
    await expect(admin.alterTopic(topic, { partitions: 1 })).rejects.toMatchObject({ code: 'usage', message: expect.stringContaining('partitions only grow') });
    await admin.alterTopic(topic, { partitions: 4 });
    await expect(admin.alterTopic(topic, { partitions: 2 })).rejects.toMatchObject({ code: 'usage' });
    await waitFor(async () => (await admin.describeTopic(topic))?.partitions.length === 4, '4 partitions');
    // a publisher that learns the topic now, as a Kafka producer after its metadata refresh
    const publisher = await use(target.factory()).getPublisherFactory().create(topic);
    const keys = Array.from({ length: 12 }, (_, i) => `key-${i}`);
    for (const key of keys) {
      const ack = await publisher.publish(key, { key });
      expect(ack.partition).toBe(partitionForKey(Buffer.from(key), 4));
    }
    expect(new Set(keys.map((key) => partitionForKey(Buffer.from(key), 4))).size).toBeGreaterThan(1);
  },

  async "a deleted topic is created again from offset 0, its groups' offsets gone"(target, use) {
    const group = unique('admin-g');
    const factory = use(target.factory({ consumerGroup: group }));
    const admin = factory.getAdmin();
    const topic = unique('admin-delete');
    await admin.createTopicWith(topic, { partitions: 1 });
    const publisher = await factory.getPublisherFactory().create(topic);
    for (let i = 0; i < 3; i++) await publisher.publish(null, i);
    await publisher.close();
    const consumer = factory.getConsumerFactory().create();
    let received = 0;
    await consumer.consume(topic, () => void received++, undefined, { fromBeginning: true });
    await waitFor(() => received === 3, '3 messages', target.caps.deliveryTimeoutMs);
    await consumer.close();
    await waitFor(async () => (await admin.lag(group, topic)) === 0, 'the commit', target.caps.deliveryTimeoutMs);
    expect(await admin.deleteTopic(topic)).toBe(true);
    expect(await admin.deleteTopic(topic)).toBe(false);
    await waitFor(async () => (await admin.describeTopic(topic)) === undefined, 'the topic gone', target.caps.deliveryTimeoutMs);
    await waitFor(() => admin.createTopicWith(topic, { partitions: 1 }).catch(() => false), 'the topic created again', target.caps.deliveryTimeoutMs);
    const again = await use(target.factory()).getPublisherFactory().create(topic);
    expect(await again.publish(null, 'first again')).toMatchObject({ partition: 0, offset: 0 });
    await waitFor(
      async () => !(await admin.describeGroup(group))?.partitions.some((p) => p.topic === topic && p.committed !== null),
      "the group's offsets of the deleted topic gone",
      target.caps.deliveryTimeoutMs,
    );
  },

  async 'refusals: a missing topic, an unknown setting, compaction in local mode'(target, use) {
    const admin = use(target.factory()).getAdmin();
    const missing = unique('admin-missing');
    await expect(admin.alterTopic(missing, { partitions: 3 })).rejects.toMatchObject({ code: 'not-found' });
    expect(await admin.deleteTopic(missing)).toBe(false);
    const topic = unique('admin-refusals');
    await expect(admin.createTopicWith(topic, { partitions: 1, configs: { 'retention.mss': '1' } })).rejects.toMatchObject({
      code: 'usage',
      message: expect.stringContaining('retention.mss'),
    });
    await admin.createTopicWith(topic, { partitions: 1 });
    await expect(admin.alterTopic(topic, { set: { 'retention.ms': 'soon' } })).rejects.toMatchObject({
      code: 'usage',
      message: expect.stringContaining('retention.ms'),
    });
    if (!isKafka(target)) {
      await expect(admin.alterTopic(topic, { set: { 'cleanup.policy': 'compact' } })).rejects.toMatchObject({
        code: 'usage',
        message: expect.stringContaining('local mode cannot honour'),
      });
    }
    expect((await admin.describeTopic(topic))?.configs?.['retention.ms'] ?? 'unset').not.toBe('soon');
  },
};

/** Registers the topic administration suite for one implementation. */
export function describeAdminTopics(target: () => ConformanceTarget): void {
  describe('topic administration', () => {
    for (const [name, scenario] of Object.entries(scenarios)) {
      it(name, () => runScenario(target(), scenario), 60_000);
    }
  });
}
