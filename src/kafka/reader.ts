import { randomUUID } from 'node:crypto';
import type { Consumer as KafkaJsConsumer } from 'kafkajs';
import { resolveStart } from '../pubsub/offsets.js';
import type { DeliveredRecord, Reader, ReaderOptions } from '../pubsub/types.js';
import type { KafkaAdmin } from './admin.js';
import { groupMember, withDeadline, type KafkaClient, type KafkaSettings } from './connection.js';
import { toDelivered } from './records.js';
import type { SchemaCodec } from './schema.js';
import { seekOnJoin } from './start-offsets.js';

interface Pending {
  records: DeliveredRecord[];
  taken: () => void;
}

/**
 * `zps consume` on Kafka. kafkajs reads only through groups, so without --group the reader uses a
 * throwaway group that commits nothing and is deleted at close; its start offsets (and those of a
 * new --group) are set before joining, so reading starts exactly at --offset.
 */
export async function openKafkaReader(
  kafka: KafkaClient,
  admin: KafkaAdmin,
  settings: KafkaSettings,
  options: ReaderOptions,
  schemas?: SchemaCodec,
): Promise<Reader> {
  const offsets = (await admin.partitionOffsets(options.topic)) ?? [];
  const throwaway = options.group === undefined;
  const group = options.group ?? `zps-consume-${randomUUID()}`;
  const committed = throwaway ? new Map<number, number>() : await admin.committed(group, options.topic);
  const starts = new Map(offsets.map((p) => [p.partition, committed.get(p.partition) ?? resolveStart(p, options.start)]));
  const endAtOpen = options.follow ? undefined : new Map(offsets.map((p) => [p.partition, p.end]));
  const reader = new KafkaReader(kafka, admin, settings, options.topic, group, throwaway, starts, endAtOpen, schemas);
  if (endAtOpen && [...starts].every(([partition, start]) => start >= endAtOpen.get(partition)!)) return reader; // nothing to read
  if (offsets.length === 0 && !options.follow) return reader;
  await reader.start(new Map([...starts].filter(([partition]) => !committed.has(partition))));
  return reader;
}

class KafkaReader implements Reader {
  private consumer: KafkaJsConsumer | undefined;
  private readonly queue: Pending[] = [];
  private wake: (() => void) | undefined;
  private closed = false;
  /** Next offset per assigned partition: what was read (starts from the committed/start offset). */
  private readonly positions = new Map<number, number>();
  private assigned: number[] | undefined;
  private readonly marked = new Map<number, number>();
  /** A batch that could not be decoded: next() reports it and the command stops. */
  private failure: unknown;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly admin: KafkaAdmin,
    private readonly settings: KafkaSettings,
    private readonly topic: string,
    private readonly group: string,
    private readonly throwaway: boolean,
    starts: Map<number, number>,
    private readonly endAtOpen: Map<number, number> | undefined,
    private readonly schemas: SchemaCodec | undefined,
  ) {
    for (const [partition, start] of starts) this.positions.set(partition, start);
  }

  /** Joins the group, starting the partitions it has no committed offset for at `starts`. */
  async start(starts: Map<number, number>): Promise<void> {
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
    consumer.on(consumer.events.CRASH, () => this.notify());
    await withDeadline(this.settings, `consume ${this.topic}`, async () => {
      await consumer.connect();
      await consumer.subscribe({ topic: this.topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, isRunning, isStale, heartbeat, resolveOffset }) => {
          if (!isRunning() || isStale() || this.closed) return;
          let records = this.withinEnd(batch.messages.map((m) => toDelivered(batch.topic, batch.partition, m)));
          const schemas = this.schemas;
          if (schemas) {
            try {
              records = await Promise.all(records.map((record) => schemas.decode(record)));
            } catch (error) {
              this.failure = error;
              this.notify();
              return;
            }
          }
          const last = batch.messages[batch.messages.length - 1];
          if (last) this.positions.set(batch.partition, Number(last.offset) + 1);
          if (records.length > 0) {
            await new Promise<void>((taken) => {
              this.queue.push({ records, taken });
              this.notify();
            });
          } else this.notify();
          // moves kafkajs's fetch position on (nothing is committed: autoCommit is off)
          if (last) resolveOffset(last.offset);
          await heartbeat();
        },
      });
    });
  }

  async next(): Promise<DeliveredRecord[] | null> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.closed) return null;
      const pending = this.queue.shift();
      if (pending) {
        pending.taken();
        return pending.records;
      }
      if (this.reachedEnd()) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  markDone(record: DeliveredRecord): void {
    this.marked.set(record.partition, record.offset + 1);
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
    for (const pending of this.queue.splice(0)) pending.taken();
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

  private withinEnd(records: DeliveredRecord[]): DeliveredRecord[] {
    const end = this.endAtOpen;
    return end ? records.filter((r) => r.offset < (end.get(r.partition) ?? 0)) : records;
  }

  private reachedEnd(): boolean {
    const end = this.endAtOpen;
    if (!end) return false;
    const partitions = this.assigned ?? [...end.keys()];
    if (this.consumer && this.assigned === undefined) return false; // not joined yet
    return partitions.every((p) => (this.positions.get(p) ?? 0) >= (end.get(p) ?? 0));
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
