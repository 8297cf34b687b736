/**
 * The memory broker's group coordinator: zps's own consumers (the daemon's protocol), Kafka clients
 * (the listener's classic protocol), and what the two doors share: one door per group at a time,
 * one store of committed offsets, one description.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryBroker } from '../../src/memory/broker.js';
import type { JoinRequest } from '../../src/memory/classic-group.js';
import { ClassicGroup } from '../../src/memory/classic-group.js';
import { decodeAssignment, encodeAssignment } from '../../src/wire/kafka/consumer-protocol.js';
import type { ZpsError } from '../../src/pubsub/errors.js';
import type { OutgoingRecord } from '../../src/pubsub/types.js';
import { KafkaErrorCode } from '../../src/wire/kafka/errors.js';

const record = (value: string, key: string | null = null, partition?: number): OutgoingRecord => ({
  key: key === null ? null : Buffer.from(key),
  value: Buffer.from(JSON.stringify(value)),
  headers: [],
  partition,
});

/** A Kafka client's JoinGroup. */
const joiner = (memberId: string, protocols = ['range']): JoinRequest => ({
  memberId,
  instanceId: null,
  clientId: 'c',
  clientHost: '/127.0.0.1',
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: 30_000,
  protocolType: 'consumer',
  protocols: protocols.map((name) => ({ name, metadata: Buffer.from(name) })),
  requireKnownMemberId: true,
});

describe("the group coordinator: zps's own consumers", () => {
  it('a new group starts at the end as of joining; positions are per group', () => {
    const broker = new MemoryBroker();
    broker.produce('t', [record('old')]);
    const member = broker.groups.join('g', 't', { kind: 'end' });
    broker.produce('t', [record('new')]);
    const polled = broker.groups.poll(member, 100, Infinity);
    expect(polled.batches.flatMap((b) => b.slice.toRecords().map((r) => r.offset))).toEqual([1]);
    expect(broker.groups.committed('g', 't')).toEqual([[0, 1]]); // where it started, committed on joining (as on Kafka)
    broker.groups.commit(member, [[0, 2]]);
    expect(broker.groups.committed('g', 't')).toEqual([[0, 2]]);
    expect(broker.groups.committed('other', 't')).toEqual([]);
  });

  it('hands a partition to a new member only after its owner released it', () => {
    const broker = new MemoryBroker();
    broker.createTopic('t', 2);
    const first = broker.groups.join('g', 't', { kind: 'beginning' });
    expect(broker.groups.poll(first, 10, Infinity).positions.map(([p]) => p)).toEqual([0, 1]);
    const second = broker.groups.join('g', 't', { kind: 'beginning' });
    expect(broker.groups.poll(second, 10, Infinity).positions).toEqual([]);
    expect(broker.groups.poll(first, 10, Infinity).revoked).toEqual([1]);
    broker.produce('t', [record('p1', null, 1)]);
    expect(broker.groups.poll(first, 10, Infinity).batches).toEqual([]); // revoking: not read any more
    broker.groups.commit(first, [[1, 0]]);
    broker.groups.release(first, [1]);
    const taken = broker.groups.poll(second, 10, Infinity);
    expect(taken.positions).toEqual([[1, 1]]);
    expect(taken.batches[0]!.slice.toRecords().map((r) => r.offset)).toEqual([0]);
  });

  it("gives a leaving member's partitions back to the group at the committed offset", () => {
    const broker = new MemoryBroker();
    const a = broker.groups.join('g', 't', { kind: 'beginning' });
    const b = broker.groups.join('g', 't', { kind: 'beginning' });
    broker.produce('t', [record('1'), record('2'), record('3')]);
    expect(broker.groups.poll(a, 10, Infinity).batches[0]!.slice).toHaveLength(3);
    broker.groups.commit(a, [[0, 1]]);
    broker.groups.leave(a); // 2 and 3 were delivered but not committed: they come again
    expect(
      broker.groups
        .poll(b, 10, Infinity)
        .batches[0]!.slice.toRecords()
        .map((r) => r.offset),
    ).toEqual([1, 2]);
  });

  it("reset of a topic empties it as Kafka's DeleteRecords (partitions and offsets stay) and drops its groups' offsets; reset() drops everything", () => {
    const broker = new MemoryBroker();
    broker.produce('a', [record('1')]);
    broker.produce('b', [record('2')]);
    const member = broker.groups.join('g', 'a', { kind: 'beginning' });
    broker.groups.commit(member, [[0, 1]]);
    broker.groups.leave(member);
    broker.reset(['a']);
    expect(broker.listTopics()).toEqual([
      { topic: 'a', count: 0, partitions: 1 },
      { topic: 'b', count: 1, partitions: 1 },
    ]);
    expect(broker.produce('a', [record('again')])).toEqual([[0, 1, 1]]); // partition 0, offset 1, one record
    expect(broker.groups.committed('g', 'a')).toEqual([]);
    broker.reset();
    expect(broker.listTopics()).toEqual([]);
    expect(broker.stats()).toMatchObject({ topics: 0, messages: 0, bytes: 0, groups: 0 });
  });
});

describe('the classic group protocol', () => {
  afterEach(() => vi.useRealTimers());

  it('a new member gets its id first, joins, and the leader assigns through SyncGroup', async () => {
    const group = new ClassicGroup();
    const first = await group.join(joiner(''));
    expect(first.errorCode).toBe(KafkaErrorCode.MEMBER_ID_REQUIRED);
    const joined = await group.join(joiner(first.memberId));
    expect(joined).toMatchObject({ errorCode: 0, generationId: 1, leader: first.memberId, protocolName: 'range' });
    expect(joined.members.map((m) => m.memberId)).toEqual([first.memberId]);
    const synced = await group.sync(first.memberId, 1, [{ memberId: first.memberId, assignment: Buffer.from('all') }]);
    expect(synced).toMatchObject({ errorCode: 0, assignment: Buffer.from('all') });
    expect(group.state).toBe('Stable');
    expect(group.heartbeat(first.memberId, 1)).toBe(0);
    expect(group.heartbeat(first.memberId, 0)).toBe(KafkaErrorCode.ILLEGAL_GENERATION);
    expect(group.heartbeat('stranger', 1)).toBe(KafkaErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a second member starts a rebalance: the first hears it by heartbeat, may commit, rejoins; both get the new generation', async () => {
    const group = new ClassicGroup();
    const a = (await group.join(joiner(''))).memberId;
    await group.join(joiner(a));
    await group.sync(a, 1, [{ memberId: a, assignment: Buffer.from('a') }]);
    const b = (await group.join(joiner(''))).memberId;
    const bJoined = group.join(joiner(b));
    expect(group.state).toBe('PreparingRebalance');
    expect(group.heartbeat(a, 1)).toBe(KafkaErrorCode.REBALANCE_IN_PROGRESS);
    expect(group.checkCommit(a, 1)).toBe(0); // what it read before giving its partitions up
    const aJoined = await group.join(joiner(a));
    expect((await bJoined).generationId).toBe(2);
    expect(aJoined).toMatchObject({ generationId: 2, leader: a });
    expect(aJoined.members).toHaveLength(2);
    const bSynced = group.sync(b, 2, []);
    expect(group.checkCommit(b, 2)).toBe(KafkaErrorCode.REBALANCE_IN_PROGRESS); // assignments not handed out yet
    await group.sync(a, 2, [
      { memberId: a, assignment: Buffer.from('a') },
      { memberId: b, assignment: Buffer.from('b') },
    ]);
    expect((await bSynced).assignment).toEqual(Buffer.from('b'));
  });

  it('refuses a member whose protocols no other member speaks, and another protocol type', async () => {
    const group = new ClassicGroup();
    const a = (await group.join(joiner(''))).memberId;
    await group.join(joiner(a, ['range']));
    expect((await group.join(joiner('', ['sticky']))).errorCode).toBe(KafkaErrorCode.MEMBER_ID_REQUIRED);
    const other = { ...joiner('', ['cooperative-sticky']), requireKnownMemberId: false };
    expect((await group.join(other)).errorCode).toBe(KafkaErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await group.join({ ...joiner(a), protocolType: 'connect' })).errorCode).toBe(KafkaErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('a member that stops heartbeating is dropped after its session timeout; the group empties', async () => {
    vi.useFakeTimers();
    const group = new ClassicGroup();
    const a = (await group.join(joiner(''))).memberId;
    await group.join(joiner(a));
    await group.sync(a, 1, [{ memberId: a, assignment: Buffer.alloc(0) }]);
    vi.advanceTimersByTime(9_000);
    expect(group.heartbeat(a, 1)).toBe(0);
    vi.advanceTimersByTime(9_000);
    expect(group.members.size).toBe(1); // the heartbeat kept it
    vi.advanceTimersByTime(11_000);
    expect(group.members.size).toBe(0);
    expect(group.state).toBe('Empty');
    expect(group.leave(a)).toBe(KafkaErrorCode.UNKNOWN_MEMBER_ID);
  });
});

describe('the group coordinator: both doors', () => {
  /** A Kafka client in group `g`, given `assignment` by SyncGroup as its group's leader. */
  async function kafkaMember(broker: MemoryBroker, assignment: Buffer): Promise<string> {
    const id = (await broker.groups.joinClassic('g', joiner(''))).memberId;
    expect((await broker.groups.joinClassic('g', joiner(id))).errorCode).toBe(KafkaErrorCode.NONE);
    expect((await broker.groups.classic('g')!.sync(id, 1, [{ memberId: id, assignment }])).errorCode).toBe(KafkaErrorCode.NONE);
    return id;
  }

  it('a group has members on one door at a time: each door refuses while the other has members, and takes the group once they left', async () => {
    const broker = new MemoryBroker();
    broker.createTopic('t', 2);
    const local = broker.groups.join('g', 't', { kind: 'beginning' });
    expect(await broker.groups.joinClassic('g', joiner(''))).toMatchObject({ errorCode: KafkaErrorCode.INCONSISTENT_GROUP_PROTOCOL, generationId: -1 });
    broker.groups.leave(local);
    const kafka = await kafkaMember(broker, Buffer.alloc(0));
    let refused: ZpsError | undefined;
    try {
      broker.groups.join('g', 't', { kind: 'beginning' });
    } catch (error) {
      refused = error as ZpsError;
    }
    expect(refused).toMatchObject({ reason: 'group-on-kafka-door', message: expect.stringMatching(/^group g has Kafka clients as members/) });
    expect(broker.groups.classic('g')!.leave(kafka)).toBe(KafkaErrorCode.NONE);
    expect(broker.groups.poll(broker.groups.join('g', 't', { kind: 'beginning' }), 10, Infinity).positions).toEqual([
      [0, 0],
      [1, 0],
    ]);
  });

  it("committed offsets are one store: a zps member starts where a Kafka client's commit left the group", () => {
    const broker = new MemoryBroker();
    broker.produce('t', [record('a'), record('b'), record('c')]);
    broker.groups.commitOffsets('g', 't', [[0, 2]]);
    const member = broker.groups.join('g', 't', { kind: 'beginning' });
    expect(
      broker.groups
        .poll(member, 10, Infinity)
        .batches[0]!.slice.toRecords()
        .map((r) => r.offset),
    ).toEqual([2]);
    expect(broker.groups.committed('g', 't')).toEqual([[0, 2]]);
    expect(broker.groups.describe('g')!.committed).toEqual([{ topic: 't', partition: 0, offset: 2 }]);
  });

  it("describes zps's members as Kafka consumers whose assignment decodes to their partitions; zps's commands get the same, without Kafka's fields", () => {
    const broker = new MemoryBroker();
    broker.createTopic('t', 3);
    const member = broker.groups.join('g', 't', { kind: 'end' });
    const described = broker.groups.describe('g')!;
    expect(described).toMatchObject({ group: 'g', state: 'Stable', protocolType: 'consumer', protocol: 'range' });
    expect(described.members).toMatchObject([
      { id: member, instanceId: null, clientId: 'zps', host: 'local', partitions: [{ topic: 't', partitions: [0, 1, 2] }] },
    ]);
    expect(decodeAssignment(described.members[0]!.assignment)).toEqual(described.members[0]!.partitions);
    expect(broker.groups.info('g')).toEqual({
      group: 'g',
      state: 'Stable',
      members: [{ id: member, clientId: 'zps', host: 'local', partitions: [{ topic: 't', partitions: [0, 1, 2] }] }],
      committed: [0, 1, 2].map((partition) => ({ topic: 't', partition, offset: 0 })),
    });
    broker.groups.leave(member);
    expect(broker.groups.describe('g')).toMatchObject({ state: 'Empty', protocol: '', members: [] });
  });

  it("describes Kafka clients with their assignment as given and decoded, the same to zps's commands", async () => {
    const broker = new MemoryBroker();
    broker.createTopic('t', 2);
    const partitions = [{ topic: 't', partitions: [0, 1] }];
    const id = await kafkaMember(broker, encodeAssignment(partitions));
    expect(broker.groups.describe('g')).toMatchObject({ state: 'Stable', protocolType: 'consumer', protocol: 'range' });
    expect(broker.groups.describe('g')!.members).toEqual([
      { id, instanceId: null, clientId: 'c', host: '/127.0.0.1', partitions, metadata: Buffer.from('range'), assignment: encodeAssignment(partitions) },
    ]);
    expect(broker.groups.info('g')).toEqual({ group: 'g', state: 'Stable', members: [{ id, clientId: 'c', host: '/127.0.0.1', partitions }], committed: [] });
    expect(broker.groups.list()).toEqual(['g']);
    // gone with its last member when it committed nothing, as before anyone joined
    broker.groups.classic('g')!.leave(id);
    expect(broker.groups.describe('g')).toBeUndefined();
    expect(broker.groups.list()).toEqual([]);
  });

  it("an admin's changes (set offsets, delete offsets of a partition, delete the group) wait until the group has no member on either door", async () => {
    const broker = new MemoryBroker();
    broker.createTopic('t', 2);
    const id = await kafkaMember(broker, encodeAssignment([{ topic: 't', partitions: [0, 1] }]));
    const refused = { message: `cannot set offsets of group g: it has active members: ${id} (c@/127.0.0.1)` };
    expect(() => broker.groups.setOffsets('g', 't', [[0, 1]])).toThrow(refused.message);
    expect(() => broker.groups.deleteGroup('g')).toThrow(/^cannot delete group g: it has active members/);
    expect(broker.groups.isActive('g')).toBe(true);
    broker.groups.classic('g')!.leave(id);
    broker.groups.setOffsets('g', 't', [
      [0, 1],
      [1, 0],
    ]);
    broker.groups.deleteOffsets('g', 't', [0]);
    expect(broker.groups.committed('g', 't')).toEqual([[1, 0]]);
    broker.groups.deleteGroup('g');
    expect(broker.groups.describe('g')).toBeUndefined();
    expect(() => broker.groups.deleteGroup('g')).toThrow('group g does not exist');
  });
});
