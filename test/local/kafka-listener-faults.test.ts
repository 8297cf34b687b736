/**
 * zps's Kafka mode against faults the Kafka listener shows on request (src/daemon/kafka/faults.ts),
 * served in this process on two nodes over one memory broker: a Produce refused or its answer lost
 * mid-stream, a partition's leader moved under a producer and a reader, a slow topic beside a quick
 * one, a rebalance in the middle of a read. What a killed or paused broker tests only by chance.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTools } from '../../dist/index.js';
import { openKafkaListener, type KafkaListener } from '../../dist/daemon/kafka/open.js';
import { MemoryBroker } from '../../dist/memory/broker.js';
import { KafkaErrorCode } from '../../dist/wire/kafka/errors.js';
import type { DeliveredRecord, Reader, ToolsFactory } from '../../dist/index.js';
import { unique, waitFor } from '../helpers/wait.js';

let listener: KafkaListener;
const opened: ToolsFactory[] = [];

beforeAll(async () => {
  listener = await openKafkaListener(new MemoryBroker(), { host: '127.0.0.1', port: 0 }, () => {}, 2);
});
afterAll(() => listener.close());
afterEach(async () => {
  await Promise.all(opened.splice(0).map((tools) => tools.close()));
});

function tools(): ToolsFactory {
  const created = createTools({ environment: 'test', kafkaBrokers: [`127.0.0.1:${listener.address.port}`], timeoutMs: 20_000 });
  opened.push(created);
  return created;
}

/** The nodes requests of `api` come to from now on. */
function nodesAsked(api: string): Set<number> {
  const nodes = new Set<number>();
  listener.faults.control(api, (_, { node }) => void nodes.add(node), true);
  return nodes;
}

/** Reads until `count` records came, each batch's records marked done. */
async function readRecords(reader: Reader, count: number, into: DeliveredRecord[] = []): Promise<DeliveredRecord[]> {
  while (into.length < count) {
    const batch = await reader.next();
    if (!batch) break;
    for (const record of batch) reader.markDone(record);
    into.push(...batch);
  }
  return into;
}

/** Items of a request's array field. */
const items = (value: unknown) => (value ?? []) as Array<Record<string, unknown>>;
/**
 * Records as `zps consume -g -f` prints them: each batch marked done, the next one asked at once,
 * until the reader ends; with `pauseAfter`, no batch is asked after that many came until `resume()`
 * (as when its output blocks).
 */
function printing(reader: Reader, pauseAfter = Number.POSITIVE_INFINITY): { printed: DeliveredRecord[]; resume: () => void } {
  const printed: DeliveredRecord[] = [];
  let resume = () => {};
  const resumed = new Promise<void>((resolve) => (resume = resolve));
  void (async () => {
    await readRecords(reader, pauseAfter, printed);
    await resumed;
    await readRecords(reader, Number.POSITIVE_INFINITY, printed);
  })();
  return { printed, resume };
}

const values = (records: DeliveredRecord[]) => records.map((r) => JSON.parse(r.value!.toString()) as number);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe("zps's Kafka mode against the listener's faults", () => {
  it('a Produce refused and one whose answer is lost, mid-stream: the batches go again in order, each record stored once', async () => {
    const topic = unique('resend');
    const t = tools();
    const publisher = await t.getPublisherFactory().create(topic);
    await publisher.publish(null, -1); // the topic and the producer id, before the faults
    let produces = 0;
    const stopCounting = listener.faults.control('Produce', () => void produces++, true);
    listener.faults.failProduce(KafkaErrorCode.NOT_LEADER_OR_FOLLOWER, 3);
    listener.faults.dropConnection('Produce', 6);
    const acks: Array<Promise<{ offset: number }>> = [];
    for (let i = 0; i < 2_000; i++) {
      acks.push(publisher.publish(null, i));
      if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve)); // batches, several in flight
    }
    const offsets = (await Promise.all(acks)).map((ack) => ack.offset);
    stopCounting();
    expect(produces).toBeGreaterThan(8); // both faults met a Produce
    expect(offsets).toEqual(range(1, 2_001));
    const reader = await t.openReader({ topic, start: { kind: 'beginning' }, follow: false });
    expect(values(await readRecords(reader, 2_001))).toEqual(range(-1, 2_000));
    await reader.close();
  });

  it("a partition's leader moved: the producer and a follower find the new leader, nothing lost or doubled", async () => {
    const topic = unique('moved');
    const t = tools();
    await t.getAdmin().createTopic(topic, { partitions: 2 });
    // a client of its own: the producer's metadata refresh must not be what the reader follows
    const publisher = await tools().getPublisherFactory().create(topic);
    const publish = (from: number, to: number) => Promise.all(range(from, to).map((i) => publisher.publish(null, i, { partition: i % 2 })));
    await publish(0, 10);
    const reader = await t.openReader({ topic, start: { kind: 'beginning' }, follow: true });
    const read = await readRecords(reader, 10);
    const [fetchedFrom, producedTo] = [nodesAsked('Fetch'), nodesAsked('Produce')];
    listener.moveLeader(topic, 1, 1);
    await publish(10, 20);
    await readRecords(reader, 20, read);
    expect([fetchedFrom.has(1), producedTo.has(1)]).toEqual([true, true]); // partition 1 written to and read from its new leader
    const byPartition = (p: number) => values(read.filter((r) => r.partition === p));
    expect(byPartition(0)).toEqual(range(0, 20).filter((i) => i % 2 === 0));
    expect(byPartition(1)).toEqual(range(0, 20).filter((i) => i % 2 === 1));
    await reader.close();
  });

  it("a member whose commits are refused while it reads joins again at the group's older offset: it prints nothing twice, then commits what it printed", async () => {
    const [topic, group] = [unique('refused'), unique('g')];
    const t = tools();
    const publisher = await t.getPublisherFactory().create(topic);
    const publish = (from: number, to: number) => Promise.all(range(from, to).map((i) => publisher.publish(null, i)));
    await publish(0, 10);
    const reader = await t.openReader({ topic, group, start: { kind: 'beginning' }, follow: true });
    const { printed } = printing(reader);
    await waitFor(() => printed.length >= 10, 'ten printed', 20_000);
    await waitFor(async () => (await t.getAdmin().lag(group, topic)) === 0, 'the first ten committed', 20_000);

    // commits refused as in a rebalance: the member joins again, and again, at offset 10
    let joins = 0;
    const countJoins = listener.faults.control('JoinGroup', () => void joins++, true);
    const allowCommits = listener.faults.control(
      'OffsetCommit',
      (request) => ({
        respond: {
          throttleTimeMs: 0,
          topics: items(request.topics).map((t) => ({
            name: t.name,
            partitions: items(t.partitions).map((p) => ({ partitionIndex: p.partitionIndex, errorCode: KafkaErrorCode.REBALANCE_IN_PROGRESS })),
          })),
        },
      }),
      true,
    );
    await publish(10, 20);
    await waitFor(() => printed.length >= 20, 'twenty printed', 20_000);
    await waitFor(() => joins >= 2, 'the member to join again', 20_000);
    allowCommits();
    countJoins();
    await waitFor(async () => (await t.getAdmin().lag(group, topic)) === 0, 'what was printed committed', 20_000);
    await publish(20, 30);
    await waitFor(() => printed.length >= 30, 'thirty printed', 20_000);
    await reader.close();
    expect(joins).toBeGreaterThanOrEqual(2);
    expect(values(printed)).toEqual(range(0, 30));
  }, 90_000);

  it('a second member joins while the first holds a batch: the partitions handed over start where the first stopped printing, nothing printed twice, every print committed', async () => {
    const [topic, group] = [unique('handover'), unique('g')];
    const [first, second] = [tools(), tools()];
    await first.getAdmin().createTopic(topic, { partitions: 2 });
    const publisher = await first.getPublisherFactory().create(topic);
    const publish = (from: number, to: number) => Promise.all(range(from, to).map((i) => publisher.publish(null, i, { partition: i % 2 })));
    await publish(0, 40);
    const firstReader = await first.openReader({ topic, group, start: { kind: 'beginning' }, follow: true });
    // it stops asking for more after its first batch (one partition's), as if its output blocked
    const { printed: printedFirst, resume } = printing(firstReader, 1);
    await waitFor(() => printedFirst.length > 0, 'the first member to print a batch', 20_000);
    const secondReader = await second.openReader({ topic, group, start: { kind: 'beginning' }, follow: true });
    const { printed: printedSecond } = printing(secondReader);
    await publish(40, 80);
    // the second member takes a partition while the first holds its batch
    await waitFor(() => printedSecond.length >= 20, 'the second member to print its partition', 30_000);
    resume();
    await waitFor(() => printedFirst.length + printedSecond.length >= 80, 'every record printed', 30_000);
    await waitFor(async () => (await first.getAdmin().lag(group, topic)) === 0, 'what was printed committed', 20_000);
    await Promise.all([firstReader.close(), secondReader.close()]);
    expect(values([...printedFirst, ...printedSecond]).sort((a, b) => a - b)).toEqual(range(0, 80));
  }, 90_000);

  it("a consumer's handler that outlasts a rebalance: the rest of its batch is the next owner's, only the record in hand handled twice", async () => {
    const [topic, group] = [unique('slow-handler'), unique('g')];
    const [first, second] = [tools(), tools()];
    await first.getAdmin().createTopic(topic, { partitions: 2 });
    const publisher = await first.getPublisherFactory().create(topic);
    await Promise.all(range(0, 40).map((i) => publisher.publish(null, i, { partition: i % 2 })));
    const handled: number[] = [];
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const slow = first.getConsumerFactory().create({ group });
    // the first handler call holds a batch of both partitions until the second consumer took one
    await slow.consume(
      topic,
      async (message: number) => {
        if (handled.length === 0) await released;
        handled.push(message);
      },
      undefined,
      { fromBeginning: true },
    );
    await waitFor(async () => ((await first.getAdmin().describeGroup(group))?.members.length === 1 ? true : undefined), 'the first member', 20_000);
    const quick = second.getConsumerFactory().create({ group });
    await quick.consume(topic, async (message: number) => void handled.push(message), undefined, { fromBeginning: true });
    await waitFor(() => (handled.length >= 20 ? true : undefined), 'the second consumer to handle its partition', 30_000);
    release();
    await waitFor(() => (new Set(handled).size === 40 ? true : undefined), 'every record handled', 30_000);
    await waitFor(async () => ((await first.getAdmin().lag(group, topic)) === 0 ? true : undefined), 'every record committed', 20_000);
    await Promise.all([slow.close(), quick.close()]);
    expect(handled.length).toBeLessThanOrEqual(41);
  }, 90_000);

  it('rebalances mid-read, a JoinGroup held, the coordinator "moved" under each group request: nothing lost, nothing printed twice in the group', async () => {
    const [topic, group] = [unique('rebalance'), unique('g')];
    const [first, second] = [tools(), tools()];
    await first.getAdmin().createTopic(topic, { partitions: 4 });
    const publisher = await first.getPublisherFactory().create(topic);
    const publish = (from: number, to: number) => Promise.all(range(from, to).map((i) => publisher.publish(null, i, { partition: i % 4 })));
    await publish(0, 100);
    const firstReader = await first.openReader({ topic, group, start: { kind: 'beginning' }, follow: true });
    const { printed: printedFirst } = printing(firstReader);
    await waitFor(() => printedFirst.length >= 100, 'the first hundred printed', 20_000);

    // each group request answered once by a coordinator that says it is not the group's any more
    const moved = new Set<string>();
    const notCoordinator = { throttleTimeMs: 0, errorCode: KafkaErrorCode.NOT_COORDINATOR };
    const once = (api: string, respond: object) =>
      listener.faults.control(api as 'Heartbeat', () => {
        moved.add(api);
        return { respond: respond as never };
      });
    once('Heartbeat', notCoordinator);
    once('OffsetCommit', {
      throttleTimeMs: 0,
      topics: [{ name: topic, partitions: range(0, 4).map((partitionIndex) => ({ partitionIndex, errorCode: KafkaErrorCode.NOT_COORDINATOR })) }],
    });
    once('JoinGroup', { ...notCoordinator, generationId: -1, protocolName: null, leader: '', memberId: '', members: [] });
    once('SyncGroup', { ...notCoordinator, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) });
    once('OffsetFetch', { ...notCoordinator, topics: [] });
    // then a heartbeat says the group rebalances, and the JoinGroup after it is held
    let rebalances = 0;
    listener.faults.control('Heartbeat', () => {
      rebalances++;
      return { respond: { throttleTimeMs: 0, errorCode: KafkaErrorCode.REBALANCE_IN_PROGRESS } };
    });
    let held = 0;
    listener.faults.control('JoinGroup', () => {
      held++;
      return { delayMs: 2_000 };
    });
    await publish(100, 200);
    await waitFor(() => rebalances > 0 && held > 0, 'the rebalance and the held JoinGroup', 20_000);

    // a second member joins while the first reads: a real rebalance
    const secondReader = await second.openReader({ topic, group, start: { kind: 'beginning' }, follow: true });
    const { printed: printedSecond } = printing(secondReader);
    await publish(200, 300);
    await waitFor(() => printedFirst.length + printedSecond.length >= 300, 'every record printed', 30_000);
    await waitFor(async () => (await first.getAdmin().lag(group, topic)) === 0, 'what was printed committed', 20_000);
    await Promise.all([firstReader.close(), secondReader.close()]);
    expect([...moved].sort()).toEqual(['Heartbeat', 'JoinGroup', 'OffsetCommit', 'OffsetFetch', 'SyncGroup']);
    expect(printedSecond.length).toBeGreaterThan(0);
    expect(values([...printedFirst, ...printedSecond]).sort((a, b) => a - b)).toEqual(range(0, 300));
  }, 90_000);

  it("two topics read together, one whose leader answers fetches late: the other's records come without waiting for it", async () => {
    const [slow, quick] = [unique('slow'), unique('quick')];
    const t = tools();
    await t.getAdmin().createTopic(slow, { partitions: 1 });
    await t.getAdmin().createTopic(quick, { partitions: 1 });
    listener.moveLeader(slow, 0, 1);
    const reader = await t.openReader({ topic: [slow, quick], start: { kind: 'beginning' }, follow: true });
    const stopDelaying = listener.faults.delayFetches(slow, 10_000);
    const slowPublisher = await t.getPublisherFactory().create(slow);
    const quickPublisher = await t.getPublisherFactory().create(quick);
    await slowPublisher.publish(null, 'slow');
    const started = Date.now();
    await quickPublisher.publish(null, 'quick');
    const first = await reader.next();
    expect(first?.map((r) => r.topic)).toEqual([quick]);
    expect(Date.now() - started).toBeLessThan(7_000);
    stopDelaying();
    const second = await reader.next();
    expect(second?.map((r) => r.topic)).toEqual([slow]);
    await reader.close();
  }, 60_000);
});
