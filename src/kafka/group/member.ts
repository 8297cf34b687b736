import type { KafkaAdmin } from '../admin.js';
import type { GroupMember, PartitionRecords, PollResult, WaitOptions } from '../../pubsub/driver.js';
import { KafkaErrorCode } from '../../wire/kafka/errors.js';
import { brokerError, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch } from '../../wire/kafka/messages.js';
import { ZpsError } from '../../pubsub/errors.js';
import { kafkaError, type KafkaSettings } from '../connection.js';
import { KafkaFetcher } from '../fetcher.js';
import type { Cluster } from '../internals.js';
import { GroupCoordinator } from './coordinator.js';
import { joinGroup, partitionCounts } from './join.js';

/** How long the coordinator waits for a member it has not heard from, and how often it hears from this one (and gets its commits). */
const SESSION_TIMEOUT_MS = 10_000;
const HEARTBEAT_MS = 1_000;
/** How long a rebalance waits for the members to join again: this one first lets its caller finish what it holds. */
const REBALANCE_TIMEOUT_MS = 60_000;
/**
 * How long a rebalance waits for the caller to be done with what it took (its output blocked, say)
 * before the member gives its partitions up: the other members are not held for longer. What the
 * caller commits meanwhile of a partition it gets again is kept.
 */
const HOLD_WAIT_MS = 3_000;
/** How often the leader looks whether the group's topics grew partitions, which it then assigns (it joins again). */
const METADATA_CHECK_MS = 5_000;
/** How long a member waits before it joins again after a failed round, or fetches again after a failed read. */
const RETRY_MS = 1_000;

/** Heartbeat or commit answers by which the member is no longer in the group's generation: it joins again. */
const GENERATION_LOST: ReadonlySet<number> = new Set([KafkaErrorCode.ILLEGAL_GENERATION, KafkaErrorCode.UNKNOWN_MEMBER_ID, KafkaErrorCode.FENCED_INSTANCE_ID]);

/** What a member needs of its driver. */
export interface MemberContext {
  /** A cluster of its own: a JoinGroup held by the coordinator holds its connection, which no other member may wait behind. */
  cluster: Cluster;
  /**
   * Another, for its fetches: Kafka answers a connection's requests in turn, and a fetch's long
   * poll would hold the member's heartbeats, commits and leave behind it (Java's consumer keeps its
   * coordinator's connection apart too).
   */
  fetching: Cluster;
  settings: KafkaSettings;
  admin: KafkaAdmin;
  /** Commits as an admin (outside the group): what the member committed when its generation refused it, once it left. */
  commitAsAdmin(offsets: ReadonlyMap<number, number>): Promise<void>;
}

/**
 * A member of a classic consumer group (protocol "consumer", eager rebalances) on one topic,
 * pull-shaped: poll() fetches from the partitions the group assigned it (KafkaFetcher's Fetch
 * requests), from the offsets the group committed. Heartbeats and the caller's commits go to the
 * coordinator every second on a timer, whatever the caller does. When the group rebalances, the
 * member waits (up to HOLD_WAIT_MS) for the caller to be done with what it took (its next poll,
 * release or leave; past that, its poll's `lost` signal tells it to stop there), commits what the
 * caller committed, then joins again: a partition handed over resumes where the caller stopped.
 */
export class KafkaGroupMember implements GroupMember {
  private readonly coordinator: GroupCoordinator;
  private readonly fetcher: KafkaFetcher;
  private memberId = '';
  /** While it joins: the id it joins as, whose JoinGroup or SyncGroup the coordinator may be holding. */
  private joiningAs: string | undefined;
  /** The generation the member is in; undefined when it is not (joining, or out of it). */
  private generation: number | undefined;
  /** The member's partitions in its generation; undefined until assigned (first join, rejoin). */
  private assigned: number[] | undefined;
  /** The partitions of its last assignment, kept while it joins again. */
  private held: number[] = [];
  private joinedOnce = false;
  private readonly positions = new Map<number, number>();
  /** What the caller committed (and the starts resolved on assignment), and what of it reached the coordinator. */
  private readonly committed = new Map<number, number>();
  private readonly sent = new Map<number, number>();
  private revoked: number[] = [];
  /** The coordinator asked for a rebalance (or the member lost its generation). */
  private rejoin = false;
  /** The caller holds records of the last poll, not yet done with them: aborted if the member must give them up first. */
  private holding: AbortController | undefined;
  private failure: unknown;
  private leaving: Promise<void> | undefined;
  private heartbeats: NodeJS.Timeout | undefined;
  private ticking = false;
  private lastCommit = 0;
  /** The leader's: the partition counts it assigned over, and when it last looked at them. */
  private assignedOver: Map<string, number> | undefined;
  private lastMetadataCheck = 0;
  private stopFetch: (() => void) | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly context: MemberContext,
    readonly group: string,
    private readonly topic: string,
  ) {
    const { cluster, fetching, settings } = context;
    this.coordinator = new GroupCoordinator(cluster, group, settings.timeoutMs);
    this.fetcher = new KafkaFetcher(async () => fetching, settings, context.admin);
  }

  /**
   * Joins, and resolves once the member has its first partitions (it goes on taking part in the
   * group's rebalances meanwhile). Partitions without a committed offset begin at `starts` (else at
   * their first offset).
   */
  async start(starts: ReadonlyMap<number, number>): Promise<void> {
    this.run(starts).catch((error: unknown) => {
      if (!this.leaving) this.fail(error);
    });
    await this.until(() => this.assigned !== undefined || this.failure !== undefined);
    if (this.failure) throw this.failure;
  }

  /**
   * Joins and takes part in the group's rebalances until the member leaves. Once it had partitions,
   * a round that failed in a way trying again may cure (a broker stalled or restarting) is tried
   * again, as a new join, for as long as it takes.
   */
  private async run(starts: ReadonlyMap<number, number>): Promise<void> {
    let previous: number[] = [];
    while (!this.leaving) {
      try {
        previous = await this.round(starts, previous);
      } catch (error) {
        const failure = kafkaError(error, this.context.settings, `join group ${this.group} on ${this.topic}`, this.topic);
        if (!this.joinedOnce || !failure.retriable || this.leaving) throw failure;
        clearInterval(this.heartbeats);
        previous = this.assigned ?? previous;
        this.assigned = undefined;
        this.generation = undefined;
        await this.changed(RETRY_MS);
      }
    }
  }

  /** One generation: joins, takes its partitions, and gives them up when the group rebalances; resolves them. */
  private async round(starts: ReadonlyMap<number, number>, previous: number[]): Promise<number[]> {
    const joined = await joinGroup(this.coordinator, this.context.cluster, this.context.settings.timeoutMs, {
      memberId: this.memberId,
      topic: this.topic,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
      stopped: () => this.leaving !== undefined,
      joiningAs: (memberId) => {
        this.joiningAs = memberId;
      },
    }).finally(() => {
      this.joiningAs = undefined;
    });
    if (!joined || this.leaving) return previous;
    this.memberId = joined.memberId;
    this.generation = joined.generation;
    this.assignedOver = joined.assignedOver;
    this.lastMetadataCheck = Date.now();
    this.rejoin = false;
    this.heartbeats = setInterval(() => void this.tick(), HEARTBEAT_MS);
    // partitions new to the member may be new to the topic (grown), which the cluster's metadata does not know yet
    if (this.joinedOnce && joined.partitions.some((p) => !this.held.includes(p))) await this.context.fetching.refreshMetadata();
    await this.takePositions(joined.partitions, starts);
    this.revoked.push(...previous.filter((p) => !joined.partitions.includes(p)));
    this.assigned = joined.partitions;
    this.held = joined.partitions;
    this.joinedOnce = true;
    this.notify();
    // the starts resolved, and what the caller committed while out of the group
    await this.sendCommits();
    await this.until(() => this.rejoin);
    // eager: the caller finishes with what it holds (for a while), its commits go out, then every partition is given up
    this.stopFetch?.();
    await this.until(() => !this.holding, HOLD_WAIT_MS);
    if (this.leaving) return previous;
    // held too long: the caller commits what it handled now and drops the rest, which the next owner reads
    const lost = this.holding;
    this.holding = undefined;
    lost?.abort();
    await this.sendCommits().catch(() => {});
    clearInterval(this.heartbeats);
    const given = this.assigned;
    this.assigned = undefined;
    return given;
  }

  /**
   * Each assigned partition's position: the group's committed offset, or what this member's caller
   * committed past it (its commit was refused while it was out of the group), or where it starts
   * when the group has none or its records are gone (the offset resolved is committed).
   */
  private async takePositions(partitions: number[], starts: ReadonlyMap<number, number>): Promise<void> {
    this.positions.clear();
    if (partitions.length === 0) return;
    const [fetched, offsets] = await Promise.all([
      this.coordinator.send(OffsetFetch, { groupId: this.group, topics: [{ name: this.topic, partitionIndexes: partitions }] }, (r) => r.errorCode),
      this.context.admin.listOffsets(this.topic),
    ]);
    if (fetched.errorCode !== KafkaErrorCode.NONE) throw brokerError(fetched.errorCode, `fetching the offsets of group ${this.group}`);
    const groupOffsets = new Map<number, number>();
    for (const p of fetched.topics.flatMap((t) => (t.name === this.topic ? t.partitions : []))) {
      if (p.errorCode !== KafkaErrorCode.NONE) throw brokerError(p.errorCode, `fetching the offsets of group ${this.group} on ${this.topic}`);
      if (p.committedOffset >= 0) groupOffsets.set(p.partitionIndex, p.committedOffset);
    }
    for (const partition of partitions) {
      const log = offsets?.find((o) => o.partition === partition) ?? { start: 0, end: 0 };
      const fromGroup = groupOffsets.get(partition);
      const mine = this.committed.get(partition);
      let position = Math.max(fromGroup ?? -1, mine ?? -1);
      if (position < 0) position = starts.get(partition) ?? log.start;
      else if (position < log.start || position > log.end) position = log.start;
      this.positions.set(partition, position);
      this.committed.set(partition, position);
      if (position === fromGroup) this.sent.set(partition, position);
      else this.sent.delete(partition);
    }
  }

  async poll(options: WaitOptions): Promise<PollResult> {
    this.doneWithTaken();
    // what the caller committed goes out as it asks for more, at most once between heartbeats (and at every heartbeat)
    if (Date.now() - this.lastCommit >= HEARTBEAT_MS) this.sendCommits().catch(() => {});
    const deadline = Date.now() + options.waitMs;
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.leaving || options.signal?.aborted) return this.result([]);
      if (this.revoked.length > 0) return this.result([]);
      // before an assignment a member has nothing to say, whatever the wait
      const assigned = this.rejoin ? undefined : this.assigned;
      if (assigned === undefined) {
        await this.changed(undefined, options.signal);
        continue;
      }
      const waitMs = deadline - Date.now();
      if (waitMs <= 0) return this.result([]);
      if (assigned.length === 0) {
        await this.changed(waitMs, options.signal);
        continue;
      }
      let batches: PartitionRecords[] | undefined;
      try {
        batches = await this.fetch(assigned, { ...options, waitMs });
      } catch (error) {
        // a broker that stalls or restarts is waited for, as the group's heartbeats do
        if (!(error instanceof ZpsError && error.retriable)) throw error;
        await this.changed(Math.min(RETRY_MS, waitMs), options.signal);
        continue;
      }
      if (batches === undefined) continue; // a rebalance began meanwhile: what came is not this member's to hand out
      if (batches.length > 0) {
        if (batches.some((b) => b.records.length > 0)) this.holding = new AbortController();
        return this.holding ? { ...this.result(batches), lost: this.holding.signal } : this.result(batches);
      }
    }
  }

  /** Fetches from the assigned partitions; undefined when their assignment changed meanwhile. */
  private async fetch(assigned: number[], options: WaitOptions): Promise<PartitionRecords[] | undefined> {
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    this.stopFetch = onAbort;
    let fetched: PartitionRecords[];
    try {
      fetched = await this.fetcher.fetch(
        this.topic,
        assigned.map((p) => [p, this.positions.get(p)!]),
        { ...options, signal: stop.signal },
      );
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      this.stopFetch = undefined;
    }
    if (this.rejoin || this.assigned !== assigned) return undefined;
    const batches: PartitionRecords[] = [];
    for (const batch of fetched) {
      const position = this.positions.get(batch.partition)!;
      const records = batch.records.filter((r) => r.offset >= position);
      const next = batch.next ?? (records.length > 0 ? records[records.length - 1]!.offset + 1 : position);
      if (records.length === 0) {
        // past control records, or to the start of a log whose records went: committed when the caller has caught up
        if (next !== position && this.committed.get(batch.partition) === position) this.committed.set(batch.partition, next);
        this.positions.set(batch.partition, next);
        batches.push({ partition: batch.partition, records });
        continue;
      }
      this.positions.set(batch.partition, next);
      batches.push({ partition: batch.partition, records, ...(batch.next === undefined ? {} : { next: batch.next }) });
    }
    return batches;
  }

  commit(partition: number, offset: number): void {
    if (!(this.assigned ?? this.held).includes(partition)) return;
    this.committed.set(partition, offset);
    // handled by the caller past the position (records it took before its partition came back): not read again
    if (this.assigned?.includes(partition) && offset > (this.positions.get(partition) ?? offset)) this.positions.set(partition, offset);
  }

  /** Its partitions went already: the member gave them up when the group rebalanced, having committed what the caller committed. */
  async release(): Promise<void> {
    this.doneWithTaken();
  }

  leave(): Promise<void> {
    this.leaving ??= this.leaveOnce();
    return this.leaving;
  }

  get isLeaving(): boolean {
    return this.leaving !== undefined;
  }

  /** Ends the member's reading with this error (its next poll throws it). */
  failWith(error: unknown): void {
    this.fail(error);
  }

  private async leaveOnce(): Promise<void> {
    this.doneWithTaken();
    this.stopFetch?.();
    clearInterval(this.heartbeats);
    const unsent = (): Map<number, number> => new Map([...this.committed].filter(([p, offset]) => this.held.includes(p) && this.sent.get(p) !== offset));
    await this.sendCommits().catch(() => {});
    // Joining, it leaves as the id it joins as, on a connection of its own: the one its JoinGroup
    // or SyncGroup went on answers nothing else until the group's members have joined. Else the
    // group would wait for it until its session timed out.
    const joining = this.joiningAs;
    const memberId = joining ?? this.memberId;
    if (memberId !== '') {
      const members = [{ memberId, groupInstanceId: null }];
      await this.coordinator.send(LeaveGroup, { groupId: this.group, memberId, members }, (r) => r.errorCode, 0, joining !== undefined).catch(() => {});
    }
    // refused while the member was out of its generation: committed from outside the group, which it has left
    if (unsent().size > 0) await this.context.commitAsAdmin(unsent()).catch(() => {});
    this.notify();
    // not awaited: a JoinGroup or long poll in flight would hold it
    for (const cluster of [this.context.cluster, this.context.fetching]) void cluster.disconnect().catch(() => {});
  }

  /** Sends the commits the coordinator has not got; a refusal for the generation makes the member join again. */
  private async sendCommits(): Promise<void> {
    const generation = this.generation;
    const assigned = this.assigned;
    if (generation === undefined || assigned === undefined) return;
    const offsets = [...this.committed].filter(([p, offset]) => assigned.includes(p) && this.sent.get(p) !== offset);
    if (offsets.length === 0) return;
    this.lastCommit = Date.now();
    const response = await this.coordinator.send(
      OffsetCommit,
      {
        groupId: this.group,
        generationIdOrMemberEpoch: generation,
        memberId: this.memberId,
        groupInstanceId: null,
        retentionTimeMs: -1,
        topics: [
          {
            name: this.topic,
            partitions: offsets.map(([partitionIndex, committedOffset]) => ({
              partitionIndex,
              committedOffset,
              committedLeaderEpoch: -1,
              committedMetadata: null,
            })),
          },
        ],
      },
      (r) => r.topics[0]?.partitions[0]?.errorCode ?? KafkaErrorCode.NONE,
    );
    const sentNow = new Map(offsets);
    for (const p of response.topics.flatMap((t) => t.partitions)) {
      if (p.errorCode === KafkaErrorCode.NONE) this.sent.set(p.partitionIndex, sentNow.get(p.partitionIndex)!);
      else if (!this.rejoinFor(p.errorCode, generation)) throw brokerError(p.errorCode, `committing offsets of group ${this.group} on ${this.topic}`);
    }
  }

  /** Every second while in a generation: the caller's commits, then a heartbeat. */
  private async tick(): Promise<void> {
    const generation = this.generation;
    if (this.ticking || generation === undefined || this.leaving) return;
    this.ticking = true;
    try {
      await this.sendCommits();
      const { errorCode } = await this.coordinator.send(
        Heartbeat,
        { groupId: this.group, generationId: generation, memberId: this.memberId, groupInstanceId: null },
        (r) => r.errorCode,
      );
      if (errorCode !== KafkaErrorCode.NONE && !this.rejoinFor(errorCode, generation)) throw brokerError(errorCode, `heartbeat of group ${this.group}`);
      if (this.assignedOver && Date.now() - this.lastMetadataCheck >= METADATA_CHECK_MS) await this.checkPartitionCounts(this.assignedOver, generation);
    } catch (error) {
      // a coordinator out of reach is tried again at the next tick; anything else ends the reading
      if ((error as { retriable?: boolean }).retriable !== true && (error as { type?: string }).type !== undefined)
        this.fail(kafkaError(error, this.context.settings));
    } finally {
      this.ticking = false;
    }
  }

  /** The leader joins again, for a new assignment, when a topic of the group has more partitions than it assigned (Java's leader does too). */
  private async checkPartitionCounts(assignedOver: Map<string, number>, generation: number): Promise<void> {
    this.lastMetadataCheck = Date.now();
    const counts = await partitionCounts(this.context.cluster, this.context.settings.timeoutMs, [...assignedOver.keys()]);
    const grown = [...counts].some(([topic, count]) => count !== assignedOver.get(topic));
    if (grown && this.generation === generation && !this.rejoin) {
      this.rejoin = true;
      this.stopFetch?.();
      this.notify();
    }
  }

  /** Whether `errorCode` is one the member answers by joining again (out of `generation` too when it lost it), then does so. */
  private rejoinFor(errorCode: number, generation: number): boolean {
    if (errorCode !== KafkaErrorCode.REBALANCE_IN_PROGRESS && !GENERATION_LOST.has(errorCode)) return false;
    if (this.generation !== generation) return true; // an answer about a generation the member left already
    if (GENERATION_LOST.has(errorCode)) {
      this.generation = undefined;
      if (errorCode === KafkaErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
    }
    this.rejoin = true;
    this.stopFetch?.();
    this.notify();
    return true;
  }

  private result(batches: PartitionRecords[]): PollResult {
    const revoked = this.revoked.splice(0);
    const assigned = this.assigned ?? [];
    return { batches, revoked, positions: assigned.map((p) => [p, this.positions.get(p) ?? 0]) };
  }

  /** The caller polls again (or releases, or leaves): it is done with what it took. */
  private doneWithTaken(): void {
    if (!this.holding) return;
    this.holding = undefined;
    this.notify();
  }

  private fail(error: unknown): void {
    this.failure ??= error;
    this.notify();
  }

  /** Resolves once `condition` holds, the member leaves, or `ms` passed. */
  private async until(condition: () => boolean, ms = Number.POSITIVE_INFINITY): Promise<void> {
    const deadline = Date.now() + ms;
    while (!condition() && !this.leaving && Date.now() < deadline) await this.changed(Number.isFinite(ms) ? deadline - Date.now() : undefined);
  }

  /** Resolves at the member's next change, after `ms`, or when `signal` aborts. */
  private changed(ms?: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }

  private notify(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
