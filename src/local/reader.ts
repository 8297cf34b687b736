import type { PartitionBatch } from '../memory/broker.js';
import type { BrokerService } from '../memory/service.js';
import { ZpsError } from '../pubsub/errors.js';
import { resolveStart } from '../pubsub/offsets.js';
import type { DeliveredRecord, Reader, ReaderOptions } from '../pubsub/types.js';
import { CommitTracker, deliveredRecords } from './records.js';

const FETCH = { maxRecords: 10_000, maxBytes: 8 * 1024 * 1024 };
/** How long one long poll waits before the reader looks again (new partitions, end reached). */
const WAIT_MS = 1_000;

/**
 * A cursor for `zps consume`. Without a group it reads partitions directly and commits nothing;
 * with one it is a group member that commits what was marked done. Without follow it finishes at
 * the end offsets seen when it opened.
 */
export async function openLocalReader(service: BrokerService, options: ReaderOptions): Promise<Reader> {
  const existing = await service.partitionOffsets(options.topic);
  if (!existing && !options.follow) throw new ZpsError(`topic ${options.topic} does not exist`, { code: 'not-found' });
  const offsets = existing ?? [];
  const endAtOpen = options.follow ? undefined : new Map(offsets.map((p) => [p.partition, p.end]));
  if (options.group === undefined) return new DirectReader(service, options, endAtOpen, offsets);
  const member = await service.join(options.group, options.topic, options.start);
  return new GroupReader(service, options.topic, member, endAtOpen);
}

abstract class BaseReader implements Reader {
  protected readonly abort = new AbortController();

  constructor(
    protected readonly service: BrokerService,
    protected readonly topic: string,
    /** Partition → end offset at open; undefined when following. */
    protected readonly endAtOpen: Map<number, number> | undefined,
  ) {}

  abstract next(): Promise<DeliveredRecord[] | null>;
  abstract markDone(record: DeliveredRecord): void;
  abstract close(): Promise<void>;

  /** Drops what lies past the end offsets seen at open (unread, so never committed). */
  protected withinEnd(records: DeliveredRecord[]): DeliveredRecord[] {
    const end = this.endAtOpen;
    if (!end) return records;
    return records.filter((record) => record.offset < (end.get(record.partition) ?? 0));
  }

  protected get closed(): boolean {
    return this.abort.signal.aborted;
  }
}

class DirectReader extends BaseReader {
  private readonly positions = new Map<number, number>();
  private ahead: Promise<PartitionBatch[]> | undefined;

  constructor(
    service: BrokerService,
    options: ReaderOptions,
    endAtOpen: Map<number, number> | undefined,
    offsets: Array<{ partition: number; start: number; end: number }>,
  ) {
    super(service, options.topic, endAtOpen);
    this.adopt(offsets, options.start);
  }

  async next(): Promise<DeliveredRecord[] | null> {
    while (!this.closed && !this.reachedEnd()) {
      const batches = await (this.ahead ?? this.fetch());
      this.ahead = undefined;
      const records = this.withinEnd(deliveredRecords(batches));
      for (const batch of batches) {
        this.positions.set(batch.partition, batch.records[batch.records.length - 1]!.offset + 1);
      }
      if (records.length > 0) {
        // Ask for the next records now: the broker gathers them while the caller prints these.
        if (!this.reachedEnd()) this.ahead = this.fetch();
        return records;
      }
      // Nothing new: the topic may have been created or grown partitions, which start at their beginning.
      if (this.endAtOpen === undefined) this.adopt((await this.service.partitionOffsets(this.topic)) ?? [], { kind: 'beginning' });
    }
    return null;
  }

  markDone(): void {}

  async close(): Promise<void> {
    this.abort.abort();
  }

  private fetch(): Promise<PartitionBatch[]> {
    const batches = this.service.fetch(this.topic, [...this.positions], { ...FETCH, waitMs: WAIT_MS, signal: this.abort.signal });
    batches.catch(() => {}); // a fetch ahead that close() cut short is never awaited
    return batches;
  }

  private adopt(offsets: Array<{ partition: number; start: number; end: number }>, start: ReaderOptions['start']): void {
    for (const partition of offsets) {
      if (!this.positions.has(partition.partition)) this.positions.set(partition.partition, resolveStart(partition, start));
    }
  }

  private reachedEnd(): boolean {
    if (!this.endAtOpen) return false;
    for (const [partition, end] of this.endAtOpen) if ((this.positions.get(partition) ?? 0) < end) return false;
    return true;
  }
}

class GroupReader extends BaseReader {
  private readonly commits = new CommitTracker();
  private leaving: Promise<void> | undefined;

  constructor(
    service: BrokerService,
    topic: string,
    private readonly member: string,
    endAtOpen: Map<number, number> | undefined,
  ) {
    super(service, topic, endAtOpen);
  }

  async next(): Promise<DeliveredRecord[] | null> {
    while (!this.closed) {
      const result = await this.service.poll(this.member, this.commits.take(), {
        ...FETCH,
        waitMs: this.endAtOpen ? 0 : WAIT_MS,
        signal: this.abort.signal,
      });
      if (result.revoked.length > 0) await this.service.release(this.member, this.commits.take(), result.revoked);
      const records = this.withinEnd(deliveredRecords(result.batches));
      if (records.length > 0) return records;
      if (this.endAtOpen && this.ownedPartitionsDone(result.positions)) return null;
    }
    return null;
  }

  markDone(record: DeliveredRecord): void {
    this.commits.mark(record.partition, record.offset);
  }

  /** Idempotent: a second caller waits for the same leave. */
  close(): Promise<void> {
    this.abort.abort();
    this.leaving ??= this.service.leave(this.member, this.commits.take());
    return this.leaving;
  }

  private ownedPartitionsDone(positions: Array<[number, number]>): boolean {
    return positions.every(([partition, position]) => position >= (this.endAtOpen!.get(partition) ?? 0));
  }
}
