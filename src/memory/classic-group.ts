/**
 * Kafka's classic consumer-group protocol, as the coordinator of a one-broker cluster runs it:
 * members join (JoinGroup), the leader's assignment is handed out (SyncGroup), members stay by
 * heartbeating within their session timeout, and any join, leave or expiry starts a rebalance.
 * The rebalance delay is 0 (Kafka's group.initial.rebalance.delay.ms is for clusters of many).
 * Committed offsets are not kept here but in the group's record (group.ts), shared with zps's own
 * consumers; the coordinator (group-coordinator.ts) keeps one of these per group Kafka clients joined.
 */
import { randomUUID } from 'node:crypto';
import { KafkaErrorCode } from '../wire/kafka/errors.js';
import type { JoinGroupResponse, SyncGroupResponse } from '../wire/kafka/message-types.js';
import { decodeAssignment } from '../wire/kafka/consumer-protocol.js';
import type { MemberDescription } from './group.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

export interface Protocol {
  name: string;
  /** Null as the codec types every bytes field; a request always has it (it is not nullable). */
  metadata: Buffer | null;
}

interface Member {
  id: string;
  instanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: Protocol[];
  assignment: Buffer;
  sessionTimer?: NodeJS.Timeout;
  /** Set while its JoinGroup waits for the rebalance to complete. */
  joining?: (result: JoinResult) => void;
  /** Set while its SyncGroup waits for the leader's assignment. */
  syncing?: (result: SyncResult) => void;
}

export interface JoinRequest {
  memberId: string;
  instanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  /** From JoinGroup v4: a new member first gets its id with MEMBER_ID_REQUIRED, then joins with it. */
  requireKnownMemberId: boolean;
}

/** JoinGroup's and SyncGroup's answers, but for the throttle time the listener adds. */
export type JoinResult = Omit<JoinGroupResponse, 'throttleTimeMs'>;
export type SyncResult = Omit<SyncGroupResponse, 'throttleTimeMs'>;

const EMPTY: Buffer = Buffer.alloc(0);

export function failedJoin(errorCode: number, memberId: string): JoinResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] };
}

export class ClassicGroup {
  state: GroupState = 'Empty';
  generation = 0;
  protocolType: string | null = null;
  protocol: string | null = null;
  leader: string | null = null;
  readonly members = new Map<string, Member>();
  /** Ids handed out with MEMBER_ID_REQUIRED, not yet joined. */
  readonly pendingIds = new Set<string>();
  private rebalanceTimer: NodeJS.Timeout | undefined;

  join(request: JoinRequest): Promise<JoinResult> | JoinResult {
    const fail = (errorCode: number, memberId = request.memberId) => failedJoin(errorCode, memberId);
    if (this.members.size > 0 && this.protocolType !== request.protocolType) return fail(KafkaErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    if (request.protocols.length === 0) return fail(KafkaErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    let id = request.memberId;
    if (id === '') {
      id = `${request.clientId}-${randomUUID()}`;
      if (request.requireKnownMemberId) {
        this.pendingIds.add(id);
        return fail(KafkaErrorCode.MEMBER_ID_REQUIRED, id);
      }
    } else if (!this.members.has(id) && !this.pendingIds.delete(id)) {
      return fail(KafkaErrorCode.UNKNOWN_MEMBER_ID);
    }
    const others = [...this.members.values()].filter((m) => m.id !== id);
    if (others.length > 0 && !request.protocols.some((p) => others.every((m) => m.protocols.some((q) => q.name === p.name)))) {
      return fail(KafkaErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    const member = this.members.get(id) ?? { id, assignment: EMPTY, ...request };
    Object.assign(member, {
      instanceId: request.instanceId,
      clientId: request.clientId,
      clientHost: request.clientHost,
      sessionTimeoutMs: request.sessionTimeoutMs,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs,
      protocols: request.protocols,
    });
    this.members.set(id, member);
    this.protocolType = request.protocolType;
    this.keepAlive(member);
    const joined = new Promise<JoinResult>((resolve) => {
      member.joining?.(fail(KafkaErrorCode.UNKNOWN_MEMBER_ID)); // a JoinGroup it sent before, superseded
      member.joining = resolve;
    });
    this.prepareRebalance();
    this.tryCompleteJoin();
    return joined;
  }

  sync(memberId: string, generation: number, assignments: ReadonlyArray<{ memberId: string; assignment: Buffer | null }>): Promise<SyncResult> | SyncResult {
    const answer = (errorCode: number, assignment = EMPTY): SyncResult => ({
      errorCode,
      protocolType: this.protocolType,
      protocolName: this.protocol,
      assignment,
    });
    const member = this.members.get(memberId);
    if (!member) return answer(KafkaErrorCode.UNKNOWN_MEMBER_ID);
    if (generation !== this.generation) return answer(KafkaErrorCode.ILLEGAL_GENERATION);
    if (this.state === 'PreparingRebalance') return answer(KafkaErrorCode.REBALANCE_IN_PROGRESS);
    this.keepAlive(member);
    if (this.state === 'Stable') return answer(KafkaErrorCode.NONE, member.assignment);
    const synced = new Promise<SyncResult>((resolve) => (member.syncing = resolve));
    if (memberId === this.leader) {
      const given = new Map(assignments.map((a) => [a.memberId, a.assignment]));
      for (const m of this.members.values()) m.assignment = given.get(m.id) ?? EMPTY;
      this.state = 'Stable';
      for (const m of this.members.values()) {
        m.syncing?.(answer(KafkaErrorCode.NONE, m.assignment));
        m.syncing = undefined;
      }
    }
    return synced;
  }

  heartbeat(memberId: string, generation: number): number {
    const member = this.members.get(memberId);
    if (!member) return KafkaErrorCode.UNKNOWN_MEMBER_ID;
    if (generation !== this.generation) return KafkaErrorCode.ILLEGAL_GENERATION;
    this.keepAlive(member);
    return this.state === 'PreparingRebalance' ? KafkaErrorCode.REBALANCE_IN_PROGRESS : KafkaErrorCode.NONE;
  }

  /** Whether a member of this generation may commit now (an error code when not). */
  checkCommit(memberId: string, generation: number): number {
    if (generation < 0 && memberId === '') return KafkaErrorCode.NONE; // a commit from outside the group (assign mode)
    const member = this.members.get(memberId);
    if (!member) return KafkaErrorCode.UNKNOWN_MEMBER_ID;
    if (generation !== this.generation) return KafkaErrorCode.ILLEGAL_GENERATION;
    this.keepAlive(member);
    // as Kafka: members commit what they read while a rebalance gathers them, not before they synced
    return this.state === 'CompletingRebalance' ? KafkaErrorCode.REBALANCE_IN_PROGRESS : KafkaErrorCode.NONE;
  }

  leave(memberId: string): number {
    const member = this.members.get(memberId);
    if (!member) return KafkaErrorCode.UNKNOWN_MEMBER_ID;
    this.remove(member);
    return KafkaErrorCode.NONE;
  }

  /** Members and what they were given, for DescribeGroups and `zps groups`. */
  describe(): MemberDescription[] {
    return [...this.members.values()].map((m) => ({
      id: m.id,
      instanceId: m.instanceId,
      clientId: m.clientId,
      host: m.clientHost,
      partitions: decodeAssignment(m.assignment),
      metadata: m.protocols.find((p) => p.name === this.protocol)?.metadata ?? EMPTY,
      assignment: m.assignment,
    }));
  }

  private keepAlive(member: Member): void {
    clearTimeout(member.sessionTimer);
    // a member waiting in JoinGroup is alive: it waits for the others, up to the rebalance timeout
    member.sessionTimer = setTimeout(() => (member.joining ? this.keepAlive(member) : this.remove(member)), member.sessionTimeoutMs);
    member.sessionTimer.unref();
  }

  private remove(member: Member): void {
    clearTimeout(member.sessionTimer);
    this.members.delete(member.id);
    member.joining?.(failedJoin(KafkaErrorCode.UNKNOWN_MEMBER_ID, member.id));
    member.syncing?.({ errorCode: KafkaErrorCode.UNKNOWN_MEMBER_ID, protocolType: null, protocolName: null, assignment: EMPTY });
    if (this.leader === member.id) this.leader = null;
    if (this.members.size === 0) {
      clearTimeout(this.rebalanceTimer);
      this.state = 'Empty';
      this.generation++;
      this.protocol = null;
      return;
    }
    this.prepareRebalance();
    this.tryCompleteJoin();
  }

  /** Every member must join again; those that do not within the rebalance timeout are dropped. */
  private prepareRebalance(): void {
    if (this.state === 'PreparingRebalance') return;
    for (const m of this.members.values()) {
      m.syncing?.({ errorCode: KafkaErrorCode.REBALANCE_IN_PROGRESS, protocolType: this.protocolType, protocolName: this.protocol, assignment: EMPTY });
      m.syncing = undefined;
    }
    this.state = 'PreparingRebalance';
    const timeout = Math.max(...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
    clearTimeout(this.rebalanceTimer);
    this.rebalanceTimer = setTimeout(() => {
      for (const m of [...this.members.values()]) if (!m.joining) this.remove(m);
      this.completeJoin();
    }, timeout);
    this.rebalanceTimer.unref();
  }

  private tryCompleteJoin(): void {
    if (this.state === 'PreparingRebalance' && [...this.members.values()].every((m) => m.joining)) this.completeJoin();
  }

  private completeJoin(): void {
    clearTimeout(this.rebalanceTimer);
    if (this.state !== 'PreparingRebalance' || this.members.size === 0) return;
    const members = [...this.members.values()];
    this.protocol = members[0]!.protocols.find((p) => members.every((m) => m.protocols.some((q) => q.name === p.name)))!.name;
    if (this.leader === null || !this.members.has(this.leader)) this.leader = members[0]!.id;
    this.generation++;
    this.state = 'CompletingRebalance';
    const listed = members.map((m) => ({
      memberId: m.id,
      groupInstanceId: m.instanceId,
      metadata: m.protocols.find((p) => p.name === this.protocol)!.metadata,
    }));
    for (const m of members) {
      const resolve = m.joining!;
      m.joining = undefined;
      resolve({
        errorCode: KafkaErrorCode.NONE,
        generationId: this.generation,
        protocolType: this.protocolType,
        protocolName: this.protocol,
        leader: this.leader,
        memberId: m.id,
        members: m.id === this.leader ? listed : [],
      });
    }
  }
}
