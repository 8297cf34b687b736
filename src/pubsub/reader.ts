import type { RecordDecoder } from './consumer.js';
import type { Driver, GroupMember, PartitionOffsets, PartitionRecords } from './driver.js';
import { ZpsError, describeError, isUnavailable, usageError } from './errors.js';
import { validateTopicName } from './limits.js';
import { resolveStart } from './offsets.js';
import { checkPartition } from './partitioner.js';
import { MergedReader, sharedWaits } from './merged-reader.js';
import type { RecordReader, ReaderOptions, StartOffset } from './types.js';
import type { DeliveredRecord } from '../records/record.js';

/**
 * 512 KiB a fetch: one fetch's records die young, in V8's new space, while the next is gathered.
 * With 8 MiB (110k small records at once) they outlived the scavenges that ran while they were
 * decoded and garbage collection took a third of a consume; with 1 MiB, one run in two still
 * promoted them (0.55 s instead of 0.4 s for 1M messages).
 */
const FETCH = { maxRecords: 10_000, maxBytes: 512 * 1024 };
/** How long one long poll waits before the reader looks again (new partitions, the end reached). */
const WAIT_MS = 1_000;
/** How long a follower waits before it reads again after a failure trying again may cure. */
const RETRY_MS = { initial: 100, max: 2_000 };
/** What a reader's work brings when the reader closed before it ended. */
const CLOSED = Symbol('closed');
/** Without --follow a group reader waits only this long for records its partitions still hold. */
const CATCH_UP_WAIT_MS = 200;

/**
 * The cursor of `zps consume`, the same in every environment. Without a group it reads partitions
 * directly and commits nothing; with one it is a group member that commits what was marked done.
 * Without follow it finishes at the end offsets seen when it opened; a topic that does not exist
 * is then an error, while a follower waits for it and reads it from its start. Values framed for
 * the schema registry are decoded; one that cannot be is marked `undecodable` and left as stored.
 */
export function openReader(driver: Driver, options: ReaderOptions, decode?: RecordDecoder): Promise<RecordReader> {
  const opening = openAnyReader(driver, options, decode);
  return options.signal ? untilAborted(opening, options.signal) : opening;
}

/** `opening`, unless `signal` aborts first: then interrupted at once, and the reader closed once it is open. */
function untilAborted(opening: Promise<RecordReader>, signal: AbortSignal): Promise<RecordReader> {
  return new Promise((resolve, reject) => {
    const interrupted = () => reject(new ZpsError('interrupted', { code: 'interrupted' }));
    if (signal.aborted) interrupted();
    signal.addEventListener('abort', interrupted, { once: true });
    opening.then(
      (reader) => {
        signal.removeEventListener('abort', interrupted);
        if (signal.aborted) void reader.close().catch(() => {});
        else resolve(reader);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', interrupted);
        reject(error);
      },
    );
  });
}

async function openAnyReader(driver: Driver, options: ReaderOptions, decode?: RecordDecoder): Promise<RecordReader> {
  const { topic } = options;
  if (typeof topic === 'string') return openTopicReader(driver, { ...options, topic }, decode);
  if (topic instanceof RegExp) return openPatternReader(driver, topic, options, decode);
  const merged = new MergedReader();
  const waits = sharedWaits(options.onWaiting);
  try {
    for (const name of new Set(topic)) merged.add(name, await openTopicReader(driver, { ...options, topic: name, onWaiting: waits() }, decode));
  } catch (error) {
    await merged.close();
    throw error;
  }
  return merged;
}

/**
 * The topics whose names match `pattern`, read together; following, topics created later that
 * match are read too, from their beginning, as soon as they are seen (they are looked for every second).
 */
async function openPatternReader(driver: Driver, pattern: RegExp, options: ReaderOptions, decode?: RecordDecoder): Promise<RecordReader> {
  const matching = async () => (await driver.listTopics()).filter((name) => pattern.test(name)).sort();
  const first = await matching();
  if (first.length === 0 && !options.follow) throw new ZpsError(`no topic matches /${pattern.source}/`, { code: 'not-found' });
  const looking = new AbortController();
  const merged = new MergedReader(options.follow, () => looking.abort());
  const waits = sharedWaits(options.onWaiting);
  const adopt = async (names: string[], start: StartOffset) => {
    for (const name of names)
      if (!merged.has(name)) merged.add(name, await openTopicReader(driver, { ...options, topic: name, start, onWaiting: waits() }, decode));
  };
  try {
    await adopt(first, options.start);
  } catch (error) {
    await merged.close();
    throw error;
  }
  if (options.follow) {
    void (async () => {
      while (!looking.signal.aborted) {
        await pause(WAIT_MS, looking.signal);
        if (!looking.signal.aborted) await adopt(await matching(), { kind: 'beginning' }).catch(() => {}); // looked for again in a second
      }
    })();
  }
  return merged;
}

/** Waits `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

async function openTopicReader(driver: Driver, options: ReaderOptions & { topic: string }, decode?: RecordDecoder): Promise<RecordReader> {
  validateTopicName(options.topic);
  if (options.partitions && options.group !== undefined) throw usageError('a group assigns its members their partitions: use either --partition or --group');
  const all = await driver.listOffsets(options.topic, options.start.kind === 'time' ? options.start.timestamp : undefined);
  if (!all && !options.follow) throw new ZpsError(`topic ${options.topic} does not exist`, { code: 'not-found' });
  for (const partition of options.partitions ?? []) if (all) checkPartition(options.topic, partition, all.length);
  const selected = new Set(options.partitions ?? []);
  const offsets = options.partitions && all ? all.filter((p) => selected.has(p.partition)) : all;
  const endAtOpen = options.follow ? undefined : new Map(offsets!.map((p) => [p.partition, p.end]));
  const decoder = decode && undecodableMarked(decode);
  const bounds: Bounds = { endAtOpen, until: options.until };
  if (options.group === undefined) return new DirectReader(driver, options, offsets ?? [], bounds, decoder);
  options.onJoining?.();
  const member = await driver.join(options.group, options.topic, options.start, all);
  return new GroupReader(member, bounds, decoder, options.onWaiting);
}

/** Where a reader ends: the end offsets seen at open (none when following), and a time. */
interface Bounds {
  /** Partition → end offset at open; undefined when following. */
  endAtOpen: Map<number, number> | undefined;
  /** Records stored after it end their partition (ms since the epoch). */
  until: number | undefined;
}

/** A decoder that marks records it cannot decode instead of failing; a registry that cannot be asked still fails. */
function undecodableMarked(decode: RecordDecoder): RecordDecoder {
  const marked = (record: DeliveredRecord) =>
    decode(record).catch((error: unknown) => {
      if (isUnavailable(error)) throw error;
      return { ...record, value: record.value, undecodable: describeError(error) }; // value: a FetchedRecord's is its prototype's
    });
  return Object.assign(marked, { waitsOn: decode.waitsOn });
}

abstract class BaseReader implements RecordReader {
  protected readonly abort = new AbortController();
  protected readonly endAtOpen: Map<number, number> | undefined;
  private readonly until: number | undefined;
  /** Partitions that reached a record after `until`: nothing more of them is handed out. */
  protected readonly finished = new Set<number>();

  /** Following, records not handed out yet because the registry could not decode the first of them. */
  protected undecoded: DeliveredRecord[] = [];

  stalledOn: ZpsError | undefined;
  /** Following, a wait was told (onWaiting) and its end not yet. */
  private waiting = false;

  constructor(
    bounds: Bounds,
    private readonly decode: RecordDecoder | undefined,
    private readonly onWaiting: ReaderOptions['onWaiting'],
  ) {
    this.endAtOpen = bounds.endAtOpen;
    this.until = bounds.until;
  }

  /**
   * Following, a failure that trying again may cure (a broker or the schema registry that stalls
   * or restarts) is waited for: `work` is tried again, backing off, until it succeeds or the reader
   * closes (then undefined). onWaiting hears of the wait as it begins and when it ends. `failed`:
   * how work already failed, the wait's start.
   */
  protected async retried<T>(work: () => Promise<T>, { beforeRetry, failed }: { beforeRetry?: () => void; failed?: unknown } = {}): Promise<T | undefined> {
    for (let backoff = RETRY_MS.initial; ; backoff = Math.min(backoff * 2, RETRY_MS.max)) {
      if (failed === undefined) {
        try {
          const result = await work();
          if (this.closed) return undefined; // what work brought at the close: no end of the wait
          this.recovered();
          return result;
        } catch (error) {
          failed = error;
        }
      }
      if (this.endAtOpen !== undefined || !(failed instanceof ZpsError && failed.retriable)) throw failed;
      if (this.closed) return undefined;
      beforeRetry?.();
      if (!this.waiting) this.onWaiting?.(failed);
      this.waiting = true;
      failed = undefined;
      await pause(backoff, this.abort.signal);
      if (this.closed) return undefined;
    }
  }

  /**
   * A read that waited got an answer: the wait is over (told once), also while work goes on
   * without records to return (an idle topic), so that the next outage is told as a new wait.
   */
  protected recovered(): void {
    if (!this.waiting || this.closed) return;
    this.waiting = false;
    this.onWaiting?.(undefined);
  }

  /**
   * What `promise` brings, or CLOSED as soon as the reader closes: for the registry's answers, which
   * the reader's signal does not cut short (Kafka's requests end at it themselves, and are awaited
   * so that none is still going when the driver closes).
   */
  private unlessClosed<T>(promise: Promise<T>): Promise<T | typeof CLOSED> {
    const { signal } = this.abort;
    if (signal.aborted) {
      promise.catch(() => {}); // dropped
      return Promise.resolve(CLOSED);
    }
    return new Promise((resolve, reject) => {
      const closed = () => resolve(CLOSED);
      signal.addEventListener('abort', closed, { once: true });
      promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', closed));
    });
  }

  abstract next(wanted?: number): Promise<DeliveredRecord[] | null>;
  abstract markDone(record: DeliveredRecord): void;
  abstract close(): Promise<void>;

  /**
   * The records of the batches, those past the end offsets seen at open or after `until` dropped
   * (unread, so never committed); a record after `until` finishes its partition.
   */
  protected async records(batches: readonly PartitionRecords[]): Promise<DeliveredRecord[]> {
    let records: DeliveredRecord[] = [];
    for (const batch of batches) {
      if (this.finished.has(batch.partition)) continue;
      // offsets rise within a batch: what lies past the end is a tail, cut off in one go
      const limit = this.endAtOpen?.get(batch.partition) ?? Number.POSITIVE_INFINITY;
      let kept = batch.records.length;
      while (kept > 0 && batch.records[kept - 1]!.offset >= limit) kept--;
      if (this.until !== undefined) {
        const after = batch.records.findIndex((record, i) => i < kept && record.timestamp > this.until!);
        if (after >= 0) {
          kept = after;
          this.finished.add(batch.partition);
        }
      }
      const within = kept === batch.records.length ? batch.records : batch.records.slice(0, kept);
      records = batches.length === 1 ? within : records.concat(within);
    }
    return this.decoded(records);
  }

  /**
   * The records decoded. Following, when the registry cannot be reached for one of them, those
   * before it are handed out now and the rest wait for it, in order, none skipped: the next read
   * starts with them (heldBack), and the first of them waits there for the registry to answer.
   */
  private async decoded(records: DeliveredRecord[]): Promise<DeliveredRecord[]> {
    const decode = this.decode;
    if (!decode || records.length === 0) return records;
    const settled = await this.unlessClosed(Promise.allSettled(records.map(decode)));
    if (settled === CLOSED) return this.stalledOnRegistry();
    const waiting = settled.findIndex((result) => result.status === 'rejected');
    const values = () => settled.slice(0, waiting < 0 ? settled.length : waiting).map((result) => (result as PromiseFulfilledResult<DeliveredRecord>).value);
    if (waiting < 0) return values();
    const { reason } = settled[waiting] as PromiseRejectedResult;
    if (this.endAtOpen !== undefined || !(reason instanceof ZpsError && reason.retriable)) throw reason;
    if (waiting > 0) {
      this.undecoded = records.slice(waiting);
      return values();
    }
    const decodedAll = async () => {
      const all = await this.unlessClosed(Promise.all(records.map(decode)));
      return all === CLOSED ? this.stalledOnRegistry() : all;
    };
    return (await this.retried(decodedAll, { failed: reason })) ?? [];
  }

  /** Closed while the registry's answers were awaited: nothing to hand out, and that is what it waited for. */
  private stalledOnRegistry(): DeliveredRecord[] {
    const waitsOn = this.decode?.waitsOn ?? 'the schema registry';
    this.stalledOn ??= new ZpsError(`no answer from ${waitsOn} yet`, { code: 'unavailable', reason: 'registry-unreachable' });
    return [];
  }

  /** The records that waited for the registry (undecoded), decoded before anything read after them; null when closed meanwhile. */
  protected async heldBack(): Promise<DeliveredRecord[] | null> {
    const held = this.undecoded;
    this.undecoded = [];
    const records = await this.decoded(held);
    return records.length > 0 ? records : null; // none only when closed
  }

  protected get closed(): boolean {
    return this.abort.signal.aborted;
  }

  /** Following with `until`: once its time has passed, a read that brought nothing new ends the reader. */
  protected get untilPassed(): boolean {
    return this.endAtOpen === undefined && this.until !== undefined && Date.now() > this.until;
  }
}

class DirectReader extends BaseReader {
  private readonly topic: string;
  private readonly positions = new Map<number, number>();
  private ahead: Promise<PartitionRecords[]> | undefined;

  private readonly only: ReadonlySet<number> | undefined;

  constructor(
    private readonly driver: Driver,
    options: ReaderOptions & { topic: string },
    offsets: PartitionOffsets[],
    bounds: Bounds,
    decode: RecordDecoder | undefined,
  ) {
    super(bounds, decode, options.onWaiting);
    this.topic = options.topic;
    this.only = options.partitions && new Set(options.partitions);
    this.adopt(offsets, options.start);
  }

  /** Following, a broker that stalls or restarts is waited for, as kcat does (a request timed out, a connection lost). */
  async next(wanted?: number): Promise<DeliveredRecord[] | null> {
    if (this.undecoded.length > 0) return this.heldBack();
    return (
      (await this.retried(() => this.read(wanted), {
        beforeRetry: () => {
          this.ahead = undefined;
        },
      })) ?? null
    );
  }

  private async read(wanted = Number.POSITIVE_INFINITY): Promise<DeliveredRecord[] | null> {
    while (!this.closed && !this.reachedEnd()) {
      if (this.finished.size > 0 && this.positions.size === 0) break; // every partition went past `until`
      if (this.positions.size === 0) {
        // Following a topic that does not exist yet: all of it will be new.
        await pause(WAIT_MS, this.abort.signal);
        if (this.closed) break;
        this.adopt((await this.driver.listOffsets(this.topic)) ?? [], { kind: 'beginning' });
        this.recovered();
        continue;
      }
      const batches = await (this.ahead ?? this.fetch());
      this.ahead = undefined;
      this.recovered();
      for (const batch of batches) {
        const last = batch.records[batch.records.length - 1];
        const next = batch.next ?? (last ? last.offset + 1 : undefined);
        if (next !== undefined) this.positions.set(batch.partition, next);
      }
      const records = await this.records(batches);
      for (const partition of this.finished) this.positions.delete(partition);
      if (records.length > 0) {
        // Ask for the next records now: the broker gathers them while the caller prints these
        // (not when these are all it wants: a fetch never read, for the daemon a long poll to cancel).
        if (records.length < wanted && !this.reachedEnd()) this.ahead = this.fetch();
        return records;
      }
      if (this.finished.size > 0 && this.positions.size === 0) break;
      if (this.untilPassed || this.closed) break;
      // Nothing new: the topic may have grown partitions, which start at their beginning, or been
      // deleted: its positions are then forgotten, and once created again it is read from its start.
      if (this.endAtOpen === undefined) {
        const offsets = await this.driver.listOffsets(this.topic);
        if (offsets) this.adopt(offsets, { kind: 'beginning' });
        else this.positions.clear();
      }
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
      if (this.only && !this.only.has(partition.partition)) continue;
      if (this.positions.has(partition.partition) || this.finished.has(partition.partition)) continue;
      this.positions.set(partition.partition, resolveStart(partition, start));
    }
  }

  private reachedEnd(): boolean {
    if (!this.endAtOpen) return false;
    for (const [partition, end] of this.endAtOpen) if (!this.finished.has(partition) && (this.positions.get(partition) ?? 0) < end) return false;
    return true;
  }
}

class GroupReader extends BaseReader {
  private leaving: Promise<void> | undefined;
  lost: AbortSignal | undefined;

  constructor(
    private readonly member: GroupMember,
    bounds: Bounds,
    decode: RecordDecoder | undefined,
    onWaiting: ReaderOptions['onWaiting'],
  ) {
    super(bounds, decode, onWaiting);
  }

  async next(): Promise<DeliveredRecord[] | null> {
    if (this.undecoded.length > 0) return this.heldBack();
    while (!this.closed) {
      const result = await this.member.poll({ ...FETCH, waitMs: this.endAtOpen ? CATCH_UP_WAIT_MS : WAIT_MS, signal: this.abort.signal });
      if (result.revoked.length > 0) await this.member.release(result.revoked);
      const records = await this.records(result.batches);
      if (records.length > 0) {
        this.lost = result.lost;
        return records;
      }
      if (this.endAtOpen && this.ownedPartitionsDone(result.positions)) return null;
      if (this.finished.size > 0 && result.positions.every(([partition]) => this.finished.has(partition))) return null;
      if (this.untilPassed && result.batches.length === 0) return null;
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
    return positions.every(([partition, position]) => this.finished.has(partition) || position >= (this.endAtOpen!.get(partition) ?? 0));
  }
}
