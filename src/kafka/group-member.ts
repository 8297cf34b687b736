import type { Consumer as KafkajsConsumer, EachBatchPayload } from 'kafkajs';
import type { GroupMember, PartitionRecords, PollResult, WaitOptions } from '../pubsub/driver.js';
import type { DeliveredRecord } from '../records/record.js';
import type { KafkaAdmin } from './admin.js';
import { subscriptionRoundRobin } from './assigner.js';
import { groupMember, withDeadline, type KafkaClient, type KafkaSettings } from './connection.js';
import { loadKafkajsModule } from './packed-kafkajs.js';
import { toDelivered } from './records.js';

/** Records handed to the caller, and what their eachBatch call waits for. */
interface Pending {
  batch: PartitionRecords;
  /** The offset after the batch, control records and aborted transactions included. */
  next: number;
  /** kafkajs's resolveOffset of the batch: what the caller committed is resolved, then committed by kafkajs. */
  resolveOffset: (offset: string) => void;
  /** Settles when the caller is done with the records (it polls again, releases or leaves). */
  handled: Deferred;
}

/** How often commits go out while following, and how often the group hears from a busy member. */
const COMMIT_INTERVAL_MS = 1_000;

/**
 * A group member over a kafkajs consumer, which pushes batches to eachBatch: each batch waits there
 * until the caller has polled it and is done with it, so kafkajs fetches no further than the caller
 * reads and what was committed is exactly what the caller handled. kafkajs commits it every second
 * and, with a rebalance, before the partition goes to another member (its rebalances are eager: a
 * partition is revoked from every member, then assigned again). Partitions without a committed
 * offset start at `starts`, sought when first assigned.
 */
export class KafkaGroupMember implements GroupMember {
  private consumer: KafkajsConsumer | undefined;
  private readonly queue: Pending[] = [];
  /** Handed out by poll(), waiting for the caller to be done with them. */
  private readonly taken: Pending[] = [];
  private wake: (() => void) | undefined;
  private assigned: number[] | undefined;
  private revoked: number[] = [];
  /** The next offset to read per partition: what was handed out, or where reading starts. */
  private readonly positions = new Map<number, number>();
  private readonly committed = new Map<number, number>();
  /** A batch of nothing but control records or aborted transactions moved a position. */
  private moved = false;
  private failure: unknown;
  private leaving: Promise<void> | undefined;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly admin: KafkaAdmin,
    private readonly settings: KafkaSettings,
    private readonly group: string,
    private readonly topic: string,
  ) {}

  /** Joins: `starts` are where partitions without a committed offset begin (`initial`: every known partition's position). */
  async start(starts: Map<number, number>, initial: Map<number, number>): Promise<void> {
    for (const [partition, offset] of initial) this.positions.set(partition, offset);
    const kafkajs = await loadKafkajsModule();
    const consumer = await groupMember(this.kafka, this.group, {
      partitionAssigners: [subscriptionRoundRobin(kafkajs)],
      maxWaitTimeInMs: 250,
      maxBytesPerPartition: 8 * 1024 * 1024,
      maxBytes: 16 * 1024 * 1024,
    });
    this.consumer = consumer;
    const unsought = new Map(starts);
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const assigned = payload.memberAssignment[this.topic] ?? [];
      // kafkajs emits GROUP_JOIN before it fetches: seeking here starts a partition exactly there
      for (const partition of assigned) {
        const offset = unsought.get(partition);
        if (offset === undefined) continue;
        unsought.delete(partition);
        consumer.seek({ topic: this.topic, partition, offset: String(offset) });
      }
      const lost = (this.assigned ?? []).filter((p) => !assigned.includes(p));
      this.revoked.push(...lost);
      for (let i = this.queue.length - 1; i >= 0; i--) {
        if (lost.includes(this.queue[i]!.batch.partition)) this.settle(this.queue.splice(i, 1)[0]!);
      }
      this.assigned = assigned;
      this.notify();
    });
    // kafkajs passes over batches of only transaction markers or aborted records without eachBatch
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize > 0 || payload.topic !== this.topic) return;
      const next = Number(payload.lastOffset) + 1;
      if (next <= (this.positions.get(payload.partition) ?? 0)) return;
      this.positions.set(payload.partition, next);
      this.moved = true;
      this.notify();
    });
    // kafkajs restarts itself after a retriable crash; any other leaves it stopped
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.fail(payload.error);
    });
    await withDeadline(this.settings, `join group ${this.group} on ${this.topic}`, async () => {
      await consumer.connect();
      await consumer.subscribe({ topic: this.topic, fromBeginning: true });
      await consumer.run({
        autoCommit: true,
        autoCommitInterval: COMMIT_INTERVAL_MS,
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.eachBatch(payload),
      });
    });
  }

  private async eachBatch({ batch, isRunning, isStale, heartbeat, resolveOffset, commitOffsetsIfNecessary }: EachBatchPayload): Promise<void> {
    if (!isRunning() || isStale() || this.leaving) return;
    let records: DeliveredRecord[];
    try {
      records = batch.messages.map((m) => toDelivered(batch.topic, batch.partition, m));
    } catch (error) {
      this.fail(error); // a record zps cannot represent must end reading, never hang it
      return;
    }
    // Printed already: the group lost this member while commits failed (a broker stall) and it
    // joined again at the group's older offset. It goes on from what it printed, committed now.
    const printed = this.committed.get(batch.partition);
    if (printed !== undefined && records.length > 0 && records[0]!.offset < printed) {
      const unseen = records.findIndex((record) => record.offset >= printed);
      records = unseen < 0 ? [] : records.slice(unseen);
      resolveOffset(String(Math.min(printed, Number(batch.lastOffset()) + 1) - 1));
      if (records.length === 0) {
        await commitOffsetsIfNecessary();
        return;
      }
    }
    if (records.length === 0) return;
    const next = Number(batch.lastOffset()) + 1;
    const pending: Pending = { batch: { partition: batch.partition, records }, next, resolveOffset, handled: deferred() };
    this.queue.push(pending);
    this.notify();
    try {
      // The group must hear from this member while the caller works through its records.
      while (!(await settlesWithin(pending.handled.promise, COMMIT_INTERVAL_MS))) await heartbeat();
      await commitOffsetsIfNecessary();
      await heartbeat();
    } catch (error) {
      // A rebalance: kafkajs commits what was resolved, then joins again; what was not handled goes back.
      const at = this.queue.indexOf(pending);
      if (at >= 0) this.queue.splice(at, 1);
      throw error;
    }
  }

  async poll(options: WaitOptions): Promise<PollResult> {
    this.doneWithTaken();
    const deadline = Date.now() + options.waitMs;
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.leaving || options.signal?.aborted) break;
      if (this.queue.length > 0 || this.revoked.length > 0 || this.moved) break;
      // before its first assignment a member has nothing to say, whatever the wait
      const waitMs = this.assigned === undefined ? COMMIT_INTERVAL_MS : deadline - Date.now();
      if (waitMs <= 0) break;
      await this.sleep(waitMs, options.signal);
    }
    this.moved = false;
    const batches: PartitionRecords[] = [];
    for (const pending of this.queue.splice(0)) {
      this.taken.push(pending);
      batches.push(pending.batch);
      this.positions.set(pending.batch.partition, pending.next);
    }
    const revoked = this.revoked.splice(0);
    return { batches, revoked, positions: (this.assigned ?? []).map((p) => [p, this.positions.get(p) ?? 0]) };
  }

  commit(partition: number, offset: number): void {
    this.committed.set(partition, offset);
    for (const pending of this.taken) {
      const { records } = pending.batch;
      if (pending.batch.partition !== partition || records.length === 0) continue;
      if (offset > records[0]!.offset && offset <= records[records.length - 1]!.offset + 1) pending.resolveOffset(String(offset - 1));
    }
  }

  /** kafkajs gave the partitions up itself, having committed what was resolved. */
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
    this.notify();
    this.doneWithTaken();
    for (const pending of this.queue.splice(0)) this.settle(pending);
    const consumer = this.consumer;
    if (!consumer) return;
    if (this.committed.size > 0) {
      const offsets = [...this.committed].map(([partition, offset]) => ({ topic: this.topic, partition, offset: String(offset) }));
      await consumer.commitOffsets(offsets).catch(() => this.admin.setGroupOffsets(this.group, this.topic, this.committed).catch(() => {}));
    }
    await consumer.disconnect().catch(() => {});
  }

  /** The caller polls again (or releases, or leaves): it is done with what it took. */
  private doneWithTaken(): void {
    for (const pending of this.taken.splice(0)) this.settle(pending);
  }

  private settle(pending: Pending): void {
    pending.handled.resolve();
  }

  private fail(error: unknown): void {
    this.failure ??= error;
    this.notify();
  }

  private sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  private notify(): void {
    this.wake?.();
  }
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((settle) => (resolve = settle));
  return { promise, resolve };
}

/** Whether `promise` settles within `ms` milliseconds. */
async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(resolve, ms, false)))]);
  clearTimeout(timer);
  return settled;
}
