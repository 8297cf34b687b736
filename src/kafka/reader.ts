import { randomUUID } from 'node:crypto';
import type { Consumer as KafkaJsConsumer, EachBatchPayload } from 'kafkajs';
import { ZpsError } from '../pubsub/errors.js';
import { resolveStart } from '../pubsub/offsets.js';
import type { DeliveredRecord, Reader, ReaderOptions } from '../pubsub/types.js';
import type { KafkaAdmin, PartitionOffsets } from './admin.js';
import { groupMember, withDeadline, type KafkaClient, type KafkaSettings } from './connection.js';
import { toDelivered } from './records.js';
import type { SchemaCodec } from './schema.js';
import { seekOnJoin } from './start-offsets.js';

/** Records handed to the printer, and what their eachBatch call waits for. */
interface Pending {
  records: DeliveredRecord[];
  /** kafkajs's resolveOffset of the batch: with a group, what was printed is committed from it. */
  resolveOffset: (offset: string) => void;
  /** Settles when next() hands the records out. */
  taken: Deferred;
  /** Settles when they were printed (or will never be). */
  printed: Deferred;
}

/** How often a follower commits what it printed, and the group learns it is alive while it prints. */
const COMMIT_INTERVAL_MS = 1_000;
/** How often a reader waiting for its topic to be created looks again. */
const TOPIC_POLL_MS = 500;

/**
 * `zps consume` on Kafka. kafkajs reads only through groups, so without --group the reader uses a
 * throwaway group that commits nothing and is deleted at close; its start offsets (and those of a
 * new --group) are set before joining, so reading starts exactly at --offset. A topic that does
 * not exist is an error, unless following: then the reader waits for it and reads it from its start.
 */
export async function openKafkaReader(
  kafka: KafkaClient,
  admin: KafkaAdmin,
  settings: KafkaSettings,
  options: ReaderOptions,
  schemas?: SchemaCodec,
): Promise<Reader> {
  const offsets = await admin.partitionOffsets(options.topic);
  if (!offsets && !options.follow) {
    throw new ZpsError(`topic ${options.topic} does not exist on ${settings.brokers.join(',')}`, { code: 'not-found' });
  }
  const reader = new KafkaReader(kafka, admin, settings, options, schemas);
  if (offsets) await reader.start(offsets, options.start);
  else reader.startWhenCreated();
  return reader;
}

class KafkaReader implements Reader {
  private consumer: KafkaJsConsumer | undefined;
  private readonly queue: Pending[] = [];
  private wake: (() => void) | undefined;
  private closed = false;
  private readonly topic: string;
  private readonly group: string;
  private readonly throwaway: boolean;
  /** Next offset per assigned partition: what was read (starts from the committed/start offset). */
  private readonly positions = new Map<number, number>();
  /** Partition → end offset at open; undefined when following. */
  private endAtOpen: Map<number, number> | undefined;
  private assigned: number[] | undefined;
  private readonly marked = new Map<number, number>();
  /** The batch being printed, whose records markDone resolves (and so commits, with a group). */
  private current: Pending | undefined;
  /** Why reading cannot go on: next() reports it and the command stops. */
  private failure: unknown;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly admin: KafkaAdmin,
    private readonly settings: KafkaSettings,
    private readonly options: ReaderOptions,
    private readonly schemas: SchemaCodec | undefined,
  ) {
    this.topic = options.topic;
    this.throwaway = options.group === undefined;
    this.group = options.group ?? `zps-consume-${randomUUID()}`;
  }

  /** Joins the group, starting partitions it has no committed offset for at `start`. */
  async start(offsets: PartitionOffsets[], start: ReaderOptions['start']): Promise<void> {
    const committed = this.throwaway ? new Map<number, number>() : await this.admin.committed(this.group, this.topic);
    const starts = new Map(offsets.map((p) => [p.partition, committed.get(p.partition) ?? resolveStart(p, start)]));
    for (const [partition, offset] of starts) this.positions.set(partition, offset);
    if (!this.options.follow) {
      this.endAtOpen = new Map(offsets.map((p) => [p.partition, p.end]));
      if ([...starts].every(([partition, offset]) => offset >= this.endAtOpen!.get(partition)!)) return; // nothing to read
    }
    await this.join(new Map([...starts].filter(([partition]) => !committed.has(partition))));
  }

  /** Following a topic that does not exist yet: reads it from its start once it is created. */
  startWhenCreated(): void {
    void (async () => {
      let offsets: PartitionOffsets[] | undefined;
      while (!this.closed && !(offsets = await this.admin.partitionOffsets(this.topic))) {
        await new Promise((resolve) => setTimeout(resolve, TOPIC_POLL_MS));
      }
      if (offsets && !this.closed) await this.start(offsets, { kind: 'beginning' });
    })().catch((error: unknown) => this.fail(error));
  }

  private async join(starts: Map<number, number>): Promise<void> {
    const consumer = await groupMember(this.kafka, this.group, {
      maxWaitTimeInMs: 250,
      maxBytesPerPartition: 8 * 1024 * 1024,
      maxBytes: 16 * 1024 * 1024,
    });
    this.consumer = consumer;
    seekOnJoin(consumer, this.topic, starts);
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.assigned = payload.memberAssignment[this.topic] ?? [];
      this.notify();
    });
    // kafkajs restarts itself after a retriable crash; any other leaves it stopped, so reading ends.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.fail(payload.error);
    });
    await withDeadline(this.settings, `consume ${this.topic}`, async () => {
      await consumer.connect();
      await consumer.subscribe({ topic: this.topic, fromBeginning: true });
      await consumer.run({
        // With a group, kafkajs commits what markDone resolved: every second, and before it hands
        // partitions to another member, so a rebalance resumes exactly where printing stopped.
        autoCommit: !this.throwaway,
        autoCommitInterval: COMMIT_INTERVAL_MS,
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.eachBatch(payload),
      });
    });
  }

  private async eachBatch({ batch, isRunning, isStale, heartbeat, resolveOffset, commitOffsetsIfNecessary }: EachBatchPayload): Promise<void> {
    if (!isRunning() || isStale() || this.closed) return;
    let records: DeliveredRecord[];
    try {
      records = await this.decoded(this.withinEnd(batch.messages.map((m) => toDelivered(batch.topic, batch.partition, m))));
    } catch (error) {
      this.fail(error);
      return;
    }
    const last = batch.messages[batch.messages.length - 1];
    if (last) this.positions.set(batch.partition, Number(last.offset) + 1);
    if (records.length === 0) {
      this.notify(); // past the end: nothing to print, nothing to commit
      return;
    }
    const pending: Pending = { records, resolveOffset, taken: deferred(), printed: deferred() };
    this.queue.push(pending);
    this.notify();
    if (this.throwaway) {
      // Nothing is committed: read ahead while the records are printed.
      await pending.taken.promise;
      resolveOffset(last!.offset);
      return;
    }
    try {
      // The group must hear from this member while its records are printed.
      while (!(await settlesWithin(pending.printed.promise, COMMIT_INTERVAL_MS))) await heartbeat();
      await commitOffsetsIfNecessary();
      await heartbeat();
    } catch (error) {
      // A rebalance: kafkajs commits what was resolved, then rejoins. Unprinted records go back.
      const at = this.queue.indexOf(pending);
      if (at >= 0) this.queue.splice(at, 1);
      if (this.current === pending) this.current = undefined;
      throw error;
    }
  }

  /** Values framed for the schema registry, decoded; a value that cannot be is marked and shown as stored. */
  private async decoded(records: DeliveredRecord[]): Promise<DeliveredRecord[]> {
    const schemas = this.schemas;
    if (!schemas) return records;
    return Promise.all(
      records.map((record) =>
        schemas.decode(record).catch((error: unknown) => {
          if (error instanceof ZpsError && error.retriable) throw error; // the registry is unreachable: stop
          return { ...record, undecodable: error instanceof Error ? error.message : String(error) };
        }),
      ),
    );
  }

  async next(): Promise<DeliveredRecord[] | null> {
    this.current?.printed.resolve(); // the records handed out last were printed
    this.current = undefined;
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.closed) return null;
      const pending = this.queue.shift();
      if (pending) {
        pending.taken.resolve();
        this.current = pending;
        return pending.records;
      }
      if (this.reachedEnd()) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  markDone(record: DeliveredRecord): void {
    this.marked.set(record.partition, record.offset + 1);
    if (!this.throwaway && this.current?.records.includes(record)) this.current.resolveOffset(String(record.offset));
  }

  private closing: Promise<void> | undefined;

  /** Idempotent: a second caller (Ctrl-C racing the end of input) waits for the same close. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    this.closed = true;
    this.notify();
    for (const pending of [this.current, ...this.queue.splice(0)]) {
      pending?.taken.resolve();
      pending?.printed.resolve();
    }
    const consumer = this.consumer;
    if (!consumer) return;
    if (!this.throwaway && this.marked.size > 0) {
      await consumer
        .commitOffsets([...this.marked].map(([partition, offset]) => ({ topic: this.topic, partition, offset: String(offset) })))
        .catch(() => this.admin.setGroupOffsets(this.group, this.topic, this.marked).catch(() => {}));
    }
    await consumer.disconnect().catch(() => {});
    if (this.throwaway) await this.admin.deleteGroup(this.group).catch(() => {});
  }

  private fail(error: unknown): void {
    this.failure ??= error;
    this.notify();
  }

  private withinEnd(records: DeliveredRecord[]): DeliveredRecord[] {
    const end = this.endAtOpen;
    return end ? records.filter((r) => r.offset < (end.get(r.partition) ?? 0)) : records;
  }

  private reachedEnd(): boolean {
    const end = this.endAtOpen;
    if (!end) return false;
    if (this.consumer && this.assigned === undefined) return false; // not joined yet
    const partitions = this.assigned ?? [...end.keys()];
    return partitions.every((p) => (this.positions.get(p) ?? 0) >= (end.get(p) ?? 0));
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
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
