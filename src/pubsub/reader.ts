import type { RecordDecoder } from './consumer.js';
import type { Driver, GroupMember, PartitionOffsets, PartitionRecords } from './driver.js';
import { ZpsError, describeError } from './errors.js';
import { validateTopicName } from './limits.js';
import { resolveStart } from './offsets.js';
import type { DeliveredRecord, Reader, ReaderOptions } from './types.js';

/**
 * 512 KiB a fetch: one fetch's records die young, in V8's new space, while the next is gathered.
 * With 8 MiB (110k small records at once) they outlived the scavenges that ran while they were
 * decoded and garbage collection took a third of a consume; with 1 MiB, one run in two still
 * promoted them (0.55 s instead of 0.4 s for 1M messages).
 */
const FETCH = { maxRecords: 10_000, maxBytes: 512 * 1024 };
/** How long one long poll waits before the reader looks again (new partitions, the end reached). */
const WAIT_MS = 1_000;
/** Without --follow a group reader waits only this long for records its partitions still hold. */
const CATCH_UP_WAIT_MS = 200;

/**
 * The cursor of `zps consume`, the same in every environment. Without a group it reads partitions
 * directly and commits nothing; with one it is a group member that commits what was marked done.
 * Without follow it finishes at the end offsets seen when it opened; a topic that does not exist
 * is then an error, while a follower waits for it and reads it from its start. Values framed for
 * the schema registry are decoded; one that cannot be is marked `undecodable` and left as stored.
 */
export async function openReader(driver: Driver, options: ReaderOptions, decode?: RecordDecoder): Promise<Reader> {
  validateTopicName(options.topic);
  const offsets = await driver.listOffsets(options.topic);
  if (!offsets && !options.follow) throw new ZpsError(`topic ${options.topic} does not exist`, { code: 'not-found' });
  const endAtOpen = options.follow ? undefined : new Map(offsets!.map((p) => [p.partition, p.end]));
  const decoder = decode && undecodableMarked(decode);
  if (options.group === undefined) return new DirectReader(driver, options, offsets ?? [], endAtOpen, decoder);
  const member = await driver.join(options.group, options.topic, options.start);
  return new GroupReader(member, endAtOpen, decoder);
}

/** A decoder that marks records it cannot decode instead of failing; an unreachable registry still fails. */
function undecodableMarked(decode: RecordDecoder): RecordDecoder {
  return (record) =>
    decode(record).catch((error: unknown) => {
      if (error instanceof ZpsError && error.retriable) throw error;
      return { ...record, undecodable: describeError(error) };
    });
}

abstract class BaseReader implements Reader {
  protected readonly abort = new AbortController();

  constructor(
    /** Partition → end offset at open; undefined when following. */
    protected readonly endAtOpen: Map<number, number> | undefined,
    private readonly decode: RecordDecoder | undefined,
  ) {}

  abstract next(): Promise<DeliveredRecord[] | null>;
  abstract markDone(record: DeliveredRecord): void;
  abstract close(): Promise<void>;

  /** The records of the batches, those past the end offsets seen at open dropped (unread, so never committed). */
  protected async records(batches: readonly PartitionRecords[]): Promise<DeliveredRecord[]> {
    let records: DeliveredRecord[] = [];
    for (const batch of batches) {
      // offsets rise within a batch: what lies past the end is a tail, cut off in one go
      const limit = this.endAtOpen?.get(batch.partition) ?? Number.POSITIVE_INFINITY;
      let kept = batch.records.length;
      while (kept > 0 && batch.records[kept - 1]!.offset >= limit) kept--;
      const within = kept === batch.records.length ? batch.records : batch.records.slice(0, kept);
      records = batches.length === 1 ? within : records.concat(within);
    }
    if (this.decode && records.length > 0) records = await Promise.all(records.map(this.decode));
    return records;
  }

  protected get closed(): boolean {
    return this.abort.signal.aborted;
  }
}

class DirectReader extends BaseReader {
  private readonly topic: string;
  private readonly positions = new Map<number, number>();
  private ahead: Promise<PartitionRecords[]> | undefined;

  constructor(
    private readonly driver: Driver,
    options: ReaderOptions,
    offsets: PartitionOffsets[],
    endAtOpen: Map<number, number> | undefined,
    decode: RecordDecoder | undefined,
  ) {
    super(endAtOpen, decode);
    this.topic = options.topic;
    this.adopt(offsets, options.start);
  }

  async next(): Promise<DeliveredRecord[] | null> {
    while (!this.closed && !this.reachedEnd()) {
      if (this.positions.size === 0) {
        // Following a topic that does not exist yet: all of it will be new.
        await this.pause(WAIT_MS);
        this.adopt((await this.driver.listOffsets(this.topic)) ?? [], { kind: 'beginning' });
        continue;
      }
      const batches = await (this.ahead ?? this.fetch());
      this.ahead = undefined;
      for (const batch of batches) {
        const last = batch.records[batch.records.length - 1];
        const next = batch.next ?? (last ? last.offset + 1 : undefined);
        if (next !== undefined) this.positions.set(batch.partition, next);
      }
      const records = await this.records(batches);
      if (records.length > 0) {
        // Ask for the next records now: the broker gathers them while the caller prints these.
        if (!this.reachedEnd()) this.ahead = this.fetch();
        return records;
      }
      // Nothing new: the topic may have grown partitions, which start at their beginning.
      if (this.endAtOpen === undefined) this.adopt((await this.driver.listOffsets(this.topic)) ?? [], { kind: 'beginning' });
    }
    return null;
  }

  markDone(): void {}

  async close(): Promise<void> {
    this.abort.abort();
  }

  private fetch(): Promise<PartitionRecords[]> {
    const batches = this.driver.fetch(this.topic, [...this.positions], { ...FETCH, waitMs: WAIT_MS, signal: this.abort.signal });
    batches.catch(() => {}); // a fetch ahead that close() cut short is never awaited
    return batches;
  }

  private adopt(offsets: PartitionOffsets[], start: ReaderOptions['start']): void {
    for (const partition of offsets) {
      if (!this.positions.has(partition.partition)) this.positions.set(partition.partition, resolveStart(partition, start));
    }
  }

  private reachedEnd(): boolean {
    if (!this.endAtOpen) return false;
    for (const [partition, end] of this.endAtOpen) if ((this.positions.get(partition) ?? 0) < end) return false;
    return true;
  }

  /** Waits `ms`, or less when the reader is closed. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.abort.signal.addEventListener('abort', done, { once: true });
    });
  }
}

class GroupReader extends BaseReader {
  private leaving: Promise<void> | undefined;

  constructor(
    private readonly member: GroupMember,
    endAtOpen: Map<number, number> | undefined,
    decode: RecordDecoder | undefined,
  ) {
    super(endAtOpen, decode);
  }

  async next(): Promise<DeliveredRecord[] | null> {
    while (!this.closed) {
      const result = await this.member.poll({ ...FETCH, waitMs: this.endAtOpen ? CATCH_UP_WAIT_MS : WAIT_MS, signal: this.abort.signal });
      if (result.revoked.length > 0) await this.member.release(result.revoked);
      const records = await this.records(result.batches);
      if (records.length > 0) return records;
      if (this.endAtOpen && this.ownedPartitionsDone(result.positions)) return null;
    }
    return null;
  }

  markDone(record: DeliveredRecord): void {
    this.member.commit(record.partition, record.offset + 1);
  }

  /** Idempotent: a second caller waits for the same leave. */
  close(): Promise<void> {
    this.abort.abort();
    this.leaving ??= this.member.leave();
    return this.leaving;
  }

  private ownedPartitionsDone(positions: Array<[number, number]>): boolean {
    return positions.every(([partition, position]) => position >= (this.endAtOpen!.get(partition) ?? 0));
  }
}
