/**
 * The memory broker's consumer groups, whichever door their members come through: zps's own
 * consumers (the daemon's protocol, memory/service.ts) or Kafka clients (the Kafka listener's
 * classic protocol, daemon/kafka/groups.ts). It owns membership, generations, assignment and the
 * one store of committed offsets; the broker keeps the logs. A group has members on one door at a
 * time: the first to join decides until its members are gone.
 */
import { ZpsError, activeGroupError } from '../pubsub/errors.js';
import type { GroupInfo, PartitionOffsets, PollResult } from '../pubsub/driver.js';
import { validateTopicName } from '../pubsub/limits.js';
import { startingOffsets } from '../pubsub/offsets.js';
import type { StartOffset } from '../pubsub/types.js';
import { KafkaErrorCode } from '../wire/kafka/errors.js';
import type { PartitionSlice } from './log-slice.js';
import type { PartitionLog } from './partition-log.js';
import { ClassicGroup, type JoinRequest, type JoinResult, failedJoin } from './classic-group.js';
import { encodeAssignment } from '../wire/kafka/consumer-protocol.js';
import { Group, type Member, type MemberDescription, Subscription, desiredOwner } from './group.js';

/** What the coordinator reads of the broker's logs. */
export interface TopicLogs {
  /** The topic's partitions, or undefined when it does not exist. */
  logs(topic: string): readonly PartitionLog[] | undefined;
  partitionOffsets(topic: string, atTime?: number): PartitionOffsets[] | undefined;
  /** Wakes those watching the topic: its ownership changed. */
  changed(topic: string): void;
}

/** A group as both doors tell of it (`zps groups`, Kafka's DescribeGroups and ListGroups). */
export interface GroupDescription {
  group: string;
  /** Kafka's names: Stable, PreparingRebalance, CompletingRebalance, Empty. */
  state: string;
  /** The classic protocol's type and chosen protocol; zps's own consumers are told as Kafka consumers. */
  protocolType: string;
  protocol: string;
  members: MemberDescription[];
  committed: GroupInfo['committed'];
}

type Offsets = ReadonlyArray<readonly [partition: number, offset: number]>;

const CONSUMER_PROTOCOL = 'consumer';
/** The assignor Kafka's tools are told zps's own members use. */
const LOCAL_ASSIGNOR = 'range';

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  /** zps's own members by id. */
  private readonly members = new Map<string, Member>();
  private memberSeq = 0;

  constructor(private readonly topics: TopicLogs) {}

  /** How many groups list() names, each costing the broker's memory. */
  get size(): number {
    let count = 0;
    for (const group of this.groups.values()) if (!group.isEmpty) count++;
    return count;
  }

  // The one offset store, and what both doors tell of a group.

  /** The group's committed offset of each partition of the topic that has one. */
  committed(groupName: string, topicName: string): Array<[number, number]> {
    return [...(this.groups.get(groupName)?.committed.get(topicName) ?? [])];
  }

  /** Commits for a group as a whole, no member of zps's needed (Kafka clients' OffsetCommit). */
  commitOffsets(groupName: string, topicName: string, offsets: Offsets): void {
    const group = this.group(groupName);
    for (const [partition, offset] of offsets) group.commit(topicName, partition, offset);
  }

  /** Every group with members or offsets, in name order. */
  list(): string[] {
    return [...this.groups]
      .filter(([, group]) => !group.isEmpty)
      .map(([name]) => name)
      .sort();
  }

  describe(groupName: string): GroupDescription | undefined {
    const group = this.groups.get(groupName);
    if (!group || group.isEmpty) return undefined;
    const committed = [...group.committed].flatMap(([topic, offsets]) => [...offsets].map(([partition, offset]) => ({ topic, partition, offset })));
    const classic = group.classic;
    if (classic && group.hasKafkaMembers) {
      return {
        group: groupName,
        state: classic.state,
        protocolType: classic.protocolType ?? '',
        protocol: classic.protocol ?? '',
        members: classic.describe(),
        committed,
      };
    }
    const members: MemberDescription[] = [];
    for (const [topic, subscription] of group.subscriptions) {
      for (const member of subscription.members) {
        const owned = [...subscription.owners].filter(([, owner]) => owner === member).map(([partition]) => partition);
        const partitions = [{ topic, partitions: owned.sort((a, b) => a - b) }];
        members.push({
          id: member.id,
          instanceId: null,
          clientId: 'zps',
          host: 'local',
          partitions,
          metadata: Buffer.alloc(0),
          assignment: encodeAssignment(partitions),
        });
      }
    }
    const state = members.length > 0 ? 'Stable' : 'Empty';
    return { group: groupName, state, protocolType: CONSUMER_PROTOCOL, protocol: members.length > 0 ? LOCAL_ASSIGNOR : '', members, committed };
  }

  /** describe() as zps's commands read it (the daemon's protocol). */
  info(groupName: string): GroupInfo | undefined {
    const described = this.describe(groupName);
    if (!described) return undefined;
    const { group, state, members, committed } = described;
    return { group, state, members: members.map(({ id, clientId, host, partitions }) => ({ id, clientId, host, partitions })), committed };
  }

  // Administration: a group changed from outside it (zps groups reset and delete, Kafka's admin APIs).

  /** Sets the group's offsets on the topic, as an admin does: only while no member is in the group. */
  setOffsets(groupName: string, topicName: string, offsets: Offsets): void {
    this.mustBeInactive(groupName, 'set offsets of');
    this.commitOffsets(groupName, topicName, offsets);
  }

  /** Deletes the group and its offsets; a missing group is not-found, one with members refused. */
  deleteGroup(groupName: string): void {
    this.mustExist(groupName);
    this.mustBeInactive(groupName, 'delete');
    this.groups.delete(groupName);
  }

  /** Deletes the group's offsets on the topic (only of `partitions` when given); refused while the group has members. */
  deleteOffsets(groupName: string, topicName: string, partitions?: readonly number[]): void {
    const group = this.mustExist(groupName);
    this.mustBeInactive(groupName, `delete offsets on ${topicName} of`);
    if (partitions) for (const partition of partitions) group.forgetPartition(topicName, partition);
    else group.forgetTopic(topicName);
    if (group.isEmpty) this.groups.delete(groupName);
  }

  /** Whether the group has members on either door. */
  isActive(groupName: string): boolean {
    const group = this.groups.get(groupName);
    return group !== undefined && (group.hasLocalMembers || group.hasKafkaMembers);
  }

  private mustExist(groupName: string): Group {
    const group = this.groups.get(groupName);
    if (!group || group.isEmpty) throw new ZpsError(`group ${groupName} does not exist`, { code: 'not-found' });
    return group;
  }

  /** Refuses to change a group its members are reading: they would not see the change (Kafka refuses too). */
  private mustBeInactive(groupName: string, action: string): void {
    const members = this.describe(groupName)?.members ?? [];
    if (members.length > 0) throw activeGroupError(groupName, action, members);
  }

  // zps's own consumers (the daemon's protocol).

  /** Joins `group` on `topic`; a group new to the topic starts at `start`, fixed and committed now. */
  join(groupName: string, topicName: string, start: StartOffset): string {
    validateTopicName(topicName);
    if (this.groups.get(groupName)?.hasKafkaMembers) {
      throw new ZpsError(`group ${groupName} has Kafka clients as members: a group has members on one door of the daemon at a time`, {
        reason: 'group-on-kafka-door',
      });
    }
    const group = this.group(groupName);
    if (!group.committed.has(topicName) && !group.startAt.has(topicName)) {
      const offsets = this.topics.partitionOffsets(topicName, start.kind === 'time' ? start.timestamp : undefined) ?? [];
      // nothing committed on the topic yet: every partition starts at `start`
      const positions = startingOffsets(offsets, new Map(), start);
      group.startAt.set(topicName, positions);
      for (const [partition, offset] of positions) group.commit(topicName, partition, offset);
    }
    let subscription = group.subscriptions.get(topicName);
    if (!subscription) group.subscriptions.set(topicName, (subscription = new Subscription()));
    const member: Member = { id: `m${++this.memberSeq}`, group: groupName, topic: topicName, positions: new Map(), revoking: new Set() };
    subscription.members.push(member);
    this.members.set(member.id, member);
    this.rebalance(group, topicName);
    return member.id;
  }

  /** The member's next records from the partitions it owns, and what it must release. */
  poll(memberId: string, maxRecords: number, maxBytes: number): PollResult<PartitionSlice> {
    const member = this.member(memberId);
    const logs = this.topics.logs(member.topic);
    const batches: PartitionSlice[] = [];
    if (logs) {
      let budget = maxRecords;
      for (const [partition, position] of member.positions) {
        if (budget <= 0) break;
        if (member.revoking.has(partition)) continue;
        const log = logs[partition]!;
        const from = readableFrom(log, position);
        if (from !== position) member.positions.set(partition, from);
        const slice = log.slice(from, budget, maxBytes);
        if (slice.length === 0) continue;
        member.positions.set(partition, slice.lastOffset + 1);
        batches.push({ partition, slice });
        budget -= slice.length;
      }
    }
    return { batches, revoked: [...member.revoking], positions: [...member.positions] };
  }

  /** Commits offsets of partitions the member owns; commits for partitions it lost are ignored. */
  commit(memberId: string, offsets: Offsets): void {
    const member = this.member(memberId);
    const group = this.groups.get(member.group)!;
    for (const [partition, offset] of offsets) {
      if (member.positions.has(partition)) group.commit(member.topic, partition, offset);
    }
  }

  /** Gives up revoked partitions so their new owners start at the committed offsets. */
  release(memberId: string, partitions: readonly number[]): void {
    const member = this.member(memberId);
    const group = this.groups.get(member.group)!;
    for (const partition of partitions) {
      if (!member.revoking.has(partition)) continue;
      member.revoking.delete(partition);
      member.positions.delete(partition);
      group.subscriptions.get(member.topic)?.owners.delete(partition);
    }
    this.rebalance(group, member.topic);
  }

  leave(memberId: string): void {
    const member = this.members.get(memberId);
    if (!member) return;
    this.members.delete(memberId);
    const group = this.groups.get(member.group)!;
    const subscription = group.subscriptions.get(member.topic)!;
    subscription.members.splice(subscription.members.indexOf(member), 1);
    for (const partition of member.positions.keys()) subscription.owners.delete(partition);
    if (subscription.members.length === 0) group.subscriptions.delete(member.topic);
    this.rebalance(group, member.topic);
  }

  memberTopic(memberId: string): string {
    return this.member(memberId).topic;
  }

  // Kafka clients (the listener's classic protocol).

  /** JoinGroup: refused as Kafka refuses a group of another protocol while zps's own consumers are in it. */
  joinClassic(groupName: string, request: JoinRequest): Promise<JoinResult> | JoinResult {
    const group = this.group(groupName);
    if (group.hasLocalMembers) return failedJoin(KafkaErrorCode.INCONSISTENT_GROUP_PROTOCOL, request.memberId);
    group.classic ??= new ClassicGroup();
    return group.classic.join(request);
  }

  /** The group's classic-protocol state, for the requests of its joined Kafka clients. */
  classic(groupName: string): ClassicGroup | undefined {
    return this.groups.get(groupName)?.classic;
  }

  // The broker's topics coming and going.

  topicCreated(topicName: string): void {
    for (const group of this.groups.values()) {
      if (group.subscriptions.has(topicName)) this.rebalance(group, topicName);
    }
  }

  /**
   * Forgets the offsets on the named topics (deleted), or with no names every offset. Live members
   * keep their subscription and start over when the topic comes back.
   */
  reset(topicNames?: readonly string[]): void {
    for (const [name, group] of this.groups) {
      for (const [topic, subscription] of group.subscriptions) if (!topicNames || topicNames.includes(topic)) subscription.restart();
      if (topicNames) for (const topic of topicNames) group.forgetTopic(topic);
      else {
        group.committed.clear();
        group.startAt.clear();
      }
      if (group.isEmpty) this.groups.delete(name);
    }
  }

  /**
   * Moves partitions toward the round-robin assignment. A partition changes hands only after its
   * owner released it (having committed what it handled), so no two members ever read it at once.
   */
  private rebalance(group: Group, topicName: string): void {
    const subscription = group.subscriptions.get(topicName);
    const logs = this.topics.logs(topicName);
    if (subscription && logs) {
      logs.forEach((log, partition) => {
        const desired = desiredOwner(partition, subscription.members)!;
        const owner = subscription.owners.get(partition);
        if (owner === undefined) {
          subscription.owners.set(partition, desired);
          desired.positions.set(partition, readableFrom(log, group.positionFor(topicName, partition) ?? log.startOffset));
          desired.revoking.delete(partition);
        } else if (owner !== desired) {
          owner.revoking.add(partition);
        } else {
          owner.revoking.delete(partition);
        }
      });
    }
    this.topics.changed(topicName);
  }

  private group(groupName: string): Group {
    let group = this.groups.get(groupName);
    if (!group) this.groups.set(groupName, (group = new Group()));
    return group;
  }

  private member(memberId: string): Member {
    const member = this.members.get(memberId);
    if (!member) throw new ZpsError(`unknown group member ${memberId}: it left or was never joined`);
    return member;
  }
}

/**
 * Where a member reads a partition from: `position`, unless its records were deleted (below the
 * log's start) or it is past the end; then the log's start, as Kafka's auto.offset.reset=earliest.
 */
function readableFrom(log: PartitionLog, position: number): number {
  return position < log.startOffset || position > log.endOffset ? log.startOffset : position;
}
