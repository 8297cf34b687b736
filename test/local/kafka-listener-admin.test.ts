/**
 * zps's Kafka-mode administration (src/kafka/admin.ts) against what the Kafka listener shows on
 * request, served in this process on two nodes over one memory broker: a group coordinator moving
 * or loading, a partition's leader moved. Each request is asked again of the node that now has it.
 * And on one node, the requests one-shot commands send: only those they need, no second Metadata.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTools } from '../../dist/index.js';
import { openKafkaListener, type KafkaListener } from '../../dist/daemon/kafka/open.js';
import { MemoryBroker } from '../../dist/memory/broker.js';
import { KafkaErrorCode } from '../../dist/wire/kafka/errors.js';
import type { ToolsFactory } from '../../dist/index.js';
import { unique } from '../helpers/wait.js';

let listener: KafkaListener;
const opened: ToolsFactory[] = [];
const stops: Array<() => void> = [];

beforeAll(async () => {
  listener = await openKafkaListener(new MemoryBroker(), { host: '127.0.0.1', port: 0 }, () => {}, 2);
});
afterAll(() => listener.close());
afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  await Promise.all(opened.splice(0).map((tools) => tools.close()));
});

function tools(): ToolsFactory {
  const created = createTools({ environment: 'test', kafkaBrokers: [`127.0.0.1:${listener.address.port}`], timeoutMs: 20_000 });
  opened.push(created);
  return created;
}

/** How many requests of `api` came, and to which nodes, from now on. */
function counting(api: Parameters<KafkaListener['faults']['control']>[0]): { count: number; nodes: Set<number> } {
  const seen = { count: 0, nodes: new Set<number>() };
  stops.push(
    listener.faults.control(
      api,
      (_, { node }) => {
        seen.count++;
        seen.nodes.add(node);
        return undefined;
      },
      true,
    ),
  );
  return seen;
}

/** A topic of two partitions with 3 and 2 records. */
async function twoPartitions(t: ToolsFactory): Promise<string> {
  const topic = unique('admin');
  await t.getAdmin().createTopic(topic, { partitions: 2 });
  const publisher = await t.getPublisherFactory().create(topic);
  await Promise.all([0, 1, 2, 3, 4].map((i) => publisher.publish(null, i, { partition: i < 3 ? 0 : 1 })));
  return topic;
}

describe("zps's Kafka-mode administration against the listener's faults", () => {
  it('a group coordinator moving or loading: offsets committed, described and deleted once it answers, found anew after each refusal', async () => {
    const t = tools();
    const admin = t.getAdmin();
    const [topic, group] = [await twoPartitions(t), unique('g')];
    const findCoordinator = counting('FindCoordinator');
    const refused: string[] = [];
    listener.faults.control('OffsetCommit', (request) => {
      refused.push('OffsetCommit');
      const topics = request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: KafkaErrorCode.NOT_COORDINATOR })),
      }));
      return { respond: { topics } };
    });
    await admin.resetGroupOffsets(group, { topics: [topic], to: { kind: 'offset', offset: 2 }, execute: true });

    listener.faults.control('DescribeGroups', () => {
      refused.push('DescribeGroups');
      return { respond: { groups: [{ groupId: group, errorCode: KafkaErrorCode.COORDINATOR_LOAD_IN_PROGRESS }] } };
    });
    listener.faults.control('OffsetFetch', () => {
      refused.push('OffsetFetch');
      return { respond: { errorCode: KafkaErrorCode.NOT_COORDINATOR, topics: [] } };
    });
    const described = await admin.describeGroup(group);
    expect(described?.partitions.map((p) => [p.partition, p.committed, p.end])).toEqual([
      [0, 2, 3],
      [1, 2, 2],
    ]);
    expect(await admin.lag(group, topic)).toBe(1);

    listener.faults.control('DeleteGroups', () => {
      refused.push('DeleteGroups');
      return { respond: { results: [{ groupId: group, errorCode: KafkaErrorCode.COORDINATOR_NOT_AVAILABLE }] } };
    });
    await admin.deleteGroup(group);
    expect(await admin.describeGroup(group)).toBeUndefined();

    expect(refused.sort()).toEqual(['DeleteGroups', 'DescribeGroups', 'OffsetCommit', 'OffsetFetch']);
    // the coordinator found once and kept, and found again after each of the 3 refusals (describing's two were one)
    expect(findCoordinator.count).toBe(1 + 3);
  });

  it("a partition's leader moved: its offsets are listed, and its records deleted, on the new leader after the metadata is asked again", async () => {
    const t = tools();
    const admin = t.getAdmin();
    const topic = await twoPartitions(t);
    expect(await admin.count(topic)).toBe(5);

    listener.moveLeader(topic, 1, 1);
    const [listed, metadata] = [counting('ListOffsets'), counting('Metadata')];
    // the first ListOffsets answered as by a broker that no longer leads (what a client with old metadata meets)
    listener.faults.control('ListOffsets', (request) => ({
      respond: {
        topics: request.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: KafkaErrorCode.NOT_LEADER_OR_FOLLOWER })),
        })),
      },
    }));
    expect((await admin.describeTopic(topic))?.partitions.map((p) => [p.partition, p.first, p.next])).toEqual([
      [0, 0, 3],
      [1, 0, 2],
    ]);
    expect(listed.nodes).toEqual(new Set([0, 1]));
    expect(metadata.count).toBeGreaterThanOrEqual(2);

    const deletedOn = counting('DeleteRecords');
    await admin.reset([topic]);
    expect(deletedOn.nodes).toEqual(new Set([0, 1]));
    expect(await admin.count(topic)).toBe(0);
  });
});

describe('one-shot requests, on a listener of one node', () => {
  let single: KafkaListener;
  beforeAll(async () => {
    single = await openKafkaListener(new MemoryBroker(), { host: '127.0.0.1', port: 0 }, () => {}, 1);
  });
  afterAll(() => single.close());

  const fresh = () => {
    const created = createTools({ environment: 'test', kafkaBrokers: [`127.0.0.1:${single.address.port}`], timeoutMs: 20_000 });
    opened.push(created);
    return created;
  };
  /** The requests of these APIs the listener gets from now on, in order. */
  const asked = (): string[] => {
    const names: string[] = [];
    for (const api of ['Metadata', 'ListOffsets', 'FindCoordinator', 'InitProducerId', 'DescribeConfigs', 'Produce', 'Fetch'] as const) {
      stops.push(single.faults.control(api, () => void names.push(api), true));
    }
    return names;
  };

  it('count: one Metadata, then both ListOffsets at once; a read then fetches from those leaders; a publish asks its Metadata once', async () => {
    const topic = unique('one-shot');
    const setup = fresh();
    await setup.getAdmin().createTopic(topic, { partitions: 2 });
    const publisher = await setup.getPublisherFactory().create(topic);
    await Promise.all([0, 1, 2].map((i) => publisher.publish(null, i, { partition: i % 2 })));

    const counted = asked();
    expect(await fresh().getAdmin().count(topic)).toBe(3);
    expect(counted).toEqual(['Metadata', 'ListOffsets', 'ListOffsets']);

    const read = asked();
    const reader = await fresh().openReader({ topic, start: { kind: 'beginning' } });
    const records = [];
    for (let batch = await reader.next(); batch; batch = await reader.next()) records.push(...batch);
    await reader.close();
    expect(records).toHaveLength(3);
    expect(read.slice(0, 4)).toEqual(['Metadata', 'ListOffsets', 'ListOffsets', 'Fetch']);
    expect(read.filter((api) => api !== 'Fetch')).toEqual(['Metadata', 'ListOffsets', 'ListOffsets']);

    const published = asked();
    await (await fresh().getPublisherFactory().create(topic)).publish(null, 3);
    expect(published.slice(0, 3).sort()).toEqual(['DescribeConfigs', 'InitProducerId', 'Metadata']);
    expect(published.slice(3)).toEqual(['Produce']);
  });
});
