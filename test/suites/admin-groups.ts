/**
 * Group and cluster administration through the library's Admin, the same on every implementation
 * (in-process, daemon, Kafka): offset resets planned and executed, deletes, the cluster.
 */
import { describe, expect, it } from 'vitest';
import type { Admin, OffsetResetOptions, PubSubFactory } from '../../src/index.js';
import { unique, waitFor } from '../helpers/wait.js';
import type { ConformanceTarget } from './conformance.js';

/** A topic of two partitions holding 5 and 3 messages. */
async function twoPartitions(factory: PubSubFactory): Promise<string> {
  const topic = unique('admin');
  await factory.getAdmin().createTopic(topic, { partitions: 2 });
  const publisher = await factory.getPublisherFactory().create(topic);
  for (let i = 0; i < 5; i++) await publisher.publish(null, i, { partition: 0 });
  for (let i = 0; i < 3; i++) await publisher.publish(null, i, { partition: 1 });
  return topic;
}

/** The group's committed offsets as `topic/partition` → offset. */
async function committed(admin: Admin, group: string): Promise<Record<string, number | null>> {
  const described = await admin.describeGroup(group);
  return Object.fromEntries((described?.partitions ?? []).map((p) => [`${p.topic}/${p.partition}`, p.committed]));
}

export function describeAdminGroups(target: () => ConformanceTarget): void {
  describe('administration: groups and cluster', () => {
    let factories: PubSubFactory[] = [];
    const use = (options: Parameters<ConformanceTarget['factory']>[0] = {}) => {
      const factory = target().factory(options);
      factories.push(factory);
      return factory;
    };
    const closeAll = async () => {
      await Promise.all(factories.map((f) => f.close()));
      factories = [];
    };

    it('reset prints a plan and changes nothing; --execute applies it; each target, clamped to the partition', async () => {
      try {
        const factory = use();
        const admin = factory.getAdmin();
        const topic = await twoPartitions(factory);
        const group = unique('g');
        const reset = (options: Omit<OffsetResetOptions, 'topics'>) => admin.resetGroupOffsets(group, { topics: [topic], ...options });

        // a plan only: the group is not made
        expect(await reset({ to: { kind: 'offset', offset: 2 } })).toEqual([
          { topic, partition: 0, committed: null, offset: 2 },
          { topic, partition: 1, committed: null, offset: 2 },
        ]);
        expect(await admin.describeGroup(group)).toBeUndefined();

        await reset({ to: { kind: 'offset', offset: 2 }, execute: true });
        expect(await committed(admin, group)).toEqual({ [`${topic}/0`]: 2, [`${topic}/1`]: 2 });

        // past the end: the end, as Kafka's tool
        expect(await reset({ to: { kind: 'offset', offset: 100 }, execute: true })).toEqual([
          { topic, partition: 0, committed: 2, offset: 5 },
          { topic, partition: 1, committed: 2, offset: 3 },
        ]);
        await reset({ to: { kind: 'shift', by: -1 }, execute: true });
        expect(await committed(admin, group)).toEqual({ [`${topic}/0`]: 4, [`${topic}/1`]: 2 });
        // shifted before the start: the start
        await reset({ to: { kind: 'shift', by: -100 }, execute: true });
        expect(await committed(admin, group)).toEqual({ [`${topic}/0`]: 0, [`${topic}/1`]: 0 });

        await reset({ to: { kind: 'latest' }, partitions: [1], execute: true });
        expect(await committed(admin, group)).toEqual({ [`${topic}/0`]: 0, [`${topic}/1`]: 3 });
        await reset({ to: { kind: 'latest' }, execute: true });
        await reset({ to: { kind: 'earliest' }, partitions: [0], execute: true });
        expect(await committed(admin, group)).toEqual({ [`${topic}/0`]: 0, [`${topic}/1`]: 3 });

        // by time: the first message stored at or after it; none after: the end. The cut is one
        // the broker puts after every stored message (a wall clock can step back, as on CI hosts).
        const cut = await waitFor(async () => {
          const at = Date.now();
          const plan = await reset({ to: { kind: 'time', timestamp: at } });
          return plan[0]?.offset === 5 && plan[1]?.offset === 3 && at;
        }, 'a time after every stored message');
        await waitFor(() => Date.now() > cut + 5, 'the clock to pass the cut');
        const late = await factory.getPublisherFactory().create(topic);
        for (const value of ['late', 'later']) await late.publish(null, value, { partition: 0 });
        expect(await reset({ to: { kind: 'time', timestamp: cut } })).toEqual([
          { topic, partition: 0, committed: 0, offset: 5 },
          { topic, partition: 1, committed: 3, offset: 3 },
        ]);

        // every topic the group committed on, only the partitions it committed
        const other = unique('admin');
        await admin.createTopic(other, { partitions: 3 });
        await admin.resetGroupOffsets(group, { topics: [other], to: { kind: 'earliest' }, partitions: [2], execute: true });
        expect((await admin.resetGroupOffsets(group, { to: { kind: 'latest' } })).map((p) => `${p.topic}/${p.partition}`).sort()).toEqual(
          [`${topic}/0`, `${topic}/1`, `${other}/2`].sort(),
        );
        await expect(admin.resetGroupOffsets(group, { topics: [unique('missing')], to: { kind: 'earliest' } })).rejects.toMatchObject({ code: 'not-found' });
        await expect(reset({ to: { kind: 'earliest' }, partitions: [7] })).rejects.toMatchObject({ code: 'usage' });
      } finally {
        await closeAll();
      }
    }, 60_000);

    it('a group with active members is refused, naming them; once they left, it is reset and deleted', async () => {
      try {
        const group = unique('active');
        const factory = use({ consumerGroup: group });
        const topic = await twoPartitions(factory);
        const admin = factory.getAdmin();
        const consumer = factory.getConsumerFactory().create();
        let received = 0;
        await consumer.consume(topic, () => void received++, undefined, { fromBeginning: true });
        await waitFor(() => received === 8, 'the messages', target().caps.deliveryTimeoutMs);
        const { members } = (await admin.describeGroup(group))!;
        expect(members.length).toBe(1);
        const refused = { code: 'failed', message: expect.stringContaining(members[0]!.id) };
        await expect(admin.resetGroupOffsets(group, { topics: [topic], to: { kind: 'earliest' }, execute: true })).rejects.toMatchObject(refused);
        await expect(admin.deleteGroup(group)).rejects.toMatchObject(refused);
        await expect(admin.deleteGroup(group, { topic })).rejects.toMatchObject(refused);
        expect(await committed(admin, group)).toEqual({ [`${topic}/0`]: 5, [`${topic}/1`]: 3 });
        await consumer.close();
        await waitFor(async () => (await admin.describeGroup(group))?.members.length === 0, 'the member to leave', target().caps.deliveryTimeoutMs);
        await admin.resetGroupOffsets(group, { topics: [topic], to: { kind: 'earliest' }, execute: true });
        expect(await committed(admin, group)).toEqual({ [`${topic}/0`]: 0, [`${topic}/1`]: 0 });
      } finally {
        await closeAll();
      }
    }, 90_000);

    it('delete --topic deletes one topic of the group; delete the group; a missing group is not-found', async () => {
      try {
        const factory = use();
        const admin = factory.getAdmin();
        const [first, second] = [await twoPartitions(factory), await twoPartitions(factory)];
        const group = unique('g');
        for (const topic of [first, second]) await admin.resetGroupOffsets(group, { topics: [topic], to: { kind: 'latest' }, execute: true });
        // all checked before any is changed: a missing group or topic deletes nothing
        const missing = unique('missing');
        await expect(admin.deleteGroup([group, missing])).rejects.toMatchObject({ code: 'not-found', message: `group ${missing} does not exist` });
        await expect(admin.deleteGroup(group, { topic: missing })).rejects.toMatchObject({ code: 'not-found', message: `topic ${missing} does not exist` });
        expect(await committed(admin, group)).toEqual({ [`${first}/0`]: 5, [`${first}/1`]: 3, [`${second}/0`]: 5, [`${second}/1`]: 3 });
        await admin.deleteGroup(group, { topic: first });
        expect(await committed(admin, group)).toEqual({ [`${second}/0`]: 5, [`${second}/1`]: 3 });
        await admin.deleteGroup(group);
        expect(await admin.describeGroup(group)).toBeUndefined();
        expect(await admin.groups()).not.toContainEqual(expect.objectContaining({ group }));
        await expect(admin.deleteGroup(group)).rejects.toMatchObject({ code: 'not-found', message: `group ${group} does not exist` });
      } finally {
        await closeAll();
      }
    }, 60_000);

    it('cluster tells its id, brokers and controller', async () => {
      try {
        const admin = use().getAdmin();
        const cluster = await admin.cluster();
        expect(cluster.clusterId).toMatch(/^[\w-]{10,}$/);
        expect(cluster.brokers.length).toBeGreaterThan(0);
        expect(cluster.brokers.map((b) => b.id)).toContain(cluster.controller);
        expect(await admin.cluster()).toEqual(cluster);
      } finally {
        await closeAll();
      }
    });
  });
}
