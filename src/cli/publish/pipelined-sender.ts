import { BATCH_RECORDS, LINGER_MS, batchIsFull } from '../../pubsub/batching.js';
import { ZpsError, codeOf, describeError } from '../../pubsub/errors.js';
import { plural } from '../../pubsub/wording.js';
import { checkPartition } from '../../pubsub/partitioner.js';
import { ackedCount, type AckRun } from '../../records/record-batch.js';
import type { PreparedTopic } from '../../pubsub/types.js';
import type { RecordHeaders } from '../../records/record.js';
import type { EncodedLine } from './line-encoder.js';
import { LineBatch } from './line-batch.js';

/** What a publish reads: lines of stdin, or value arguments. */
export type InputKind = 'line' | 'argument';

export function itemLabel(kind: InputKind, position: number): string {
  return `${kind} ${position}`;
}

export interface PipelineOptions {
  kind: InputKind;
  headers: RecordHeaders;
  partition?: number;
  /** Called with each batch's acks, in order, once they are all in. */
  onAcks?: (batch: LineBatch, acks: readonly AckRun[]) => Promise<void> | void;
}

/** Batches sent before the oldest must be acknowledged: overlaps reading input with storing it. */
const MAX_IN_FLIGHT = 4;

interface Failure {
  error: unknown;
  /** The line or argument number that failed: a bad one, or the first of a batch not acknowledged. */
  position: number;
}

/**
 * Sends messages in batches (src/pubsub/batching.ts: up to 8,000 messages or 1 MiB), several in
 * flight at once, in order; a part batch goes once input pauses for LINGER_MS (a `tail -f` is
 * published as it grows); stops at the first failure and says exactly what was published. A message is checked (its size)
 * as it is added, so one the broker could never take is refused before anything of it is sent.
 */
export class PipelinedSender {
  private batch: LineBatch;
  private batches = 0;
  private readonly inFlight: Array<{ batch: LineBatch; acks: Promise<AckRun[]> }> = [];
  /** Every batch sent, once settled: what the report of a failure is made of. */
  private readonly outcomes: Array<{ first: number; last: number; acked: number }> = [];
  private failure: Failure | undefined;
  private lingering: NodeJS.Timeout | undefined;
  /** The position of the last message added. */
  private lastAdded = 0;

  constructor(
    private readonly topic: string,
    private readonly prepared: PreparedTopic,
    private readonly options: PipelineOptions,
  ) {
    this.batch = this.newBatch();
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Adds the message of item `position`; throws (adding nothing) when it is too big for the broker. */
  add(message: EncodedLine, position: number): void {
    if (this.lingering) {
      clearTimeout(this.lingering); // input came: the batch fills on
      this.lingering = undefined;
    }
    const length = message.end - message.start;
    this.prepared.check(message.key, message.tombstone ? -1 : length, message.headers ?? this.options.headers);
    const partition = message.partition ?? this.options.partition;
    if (partition !== undefined) checkPartition(this.topic, partition, this.prepared.partitions);
    if (batchIsFull(this.batch.length, this.batch.bytes, length)) this.send();
    this.batch.add(message.bytes, message.start, message.end, message.key, position, message.tombstone, message);
    this.lastAdded = position;
  }

  /**
   * While too many batches are in flight, the wait for them (reading input no further ahead than
   * storing it); else undefined, so a million lines cost no million awaits.
   */
  flow(): Promise<void> | undefined {
    return this.inFlight.length >= MAX_IN_FLIGHT ? this.drain(MAX_IN_FLIGHT - 1) : undefined;
  }

  private async drain(upTo: number): Promise<void> {
    while (this.inFlight.length > upTo) await this.settleOldest();
  }

  /** The input read so far is added: what is batched goes unless more comes within LINGER_MS. */
  linger(): void {
    if (this.lingering || this.batch.length === 0) return;
    this.lingering = setTimeout(() => {
      this.lingering = undefined;
      if (!this.failure) this.send();
    }, LINGER_MS);
  }

  /** Item `position` could not be published: what came before it is sent, nothing after. */
  fail(error: unknown, position: number): void {
    if (!this.failure || position < this.failure.position) this.failure = { error, position };
  }

  /**
   * Ctrl-C: the publish stops after the last message added (the input is read no further); finish
   * sends what is batched, waits for every ack, and reports the stop as it reports a failure.
   */
  interrupt(): void {
    this.fail(new ZpsError('interrupted', { code: 'interrupted' }), this.lastAdded + 1);
  }

  /**
   * Sends what is left, waits for every ack, and throws the report of a failure if there was one.
   * `inputEnded`: false when reading stopped at the failure, so input may follow that was never read.
   */
  async finish(inputEnded = true): Promise<{ published: number; batches: number }> {
    clearTimeout(this.lingering);
    if (!this.failure || this.batch.last < this.failure.position) this.send(); // never what comes after a failed batch
    await this.drain(0);
    if (this.failure) {
      // the first item never handed to the broker: the batch kept back, or what was not read
      const unsentFrom = this.batch.length > 0 ? this.batch.first : inputEnded ? undefined : this.lastAdded + 1;
      throw publishFailure(this.topic, this.options.kind, this.failure, this.outcomes, unsentFrom);
    }
    return { published: this.outcomes.reduce((sum, o) => sum + o.acked, 0), batches: this.batches };
  }

  private newBatch(): LineBatch {
    return new LineBatch(this.options.headers, this.options.partition, BATCH_RECORDS);
  }

  private send(): void {
    if (this.batch.length === 0) return;
    const acks = this.prepared.send(this.batch); // each message was checked as it was added
    this.batches++;
    acks.catch(() => {}); // observed in settleOldest
    this.inFlight.push({ batch: this.batch, acks });
    this.batch = this.newBatch();
  }

  private async settleOldest(): Promise<void> {
    const { batch, acks } = this.inFlight.shift()!;
    try {
      const results = await acks;
      this.outcomes.push({ first: batch.first, last: batch.last, acked: ackedCount(results) });
      await this.options.onAcks?.(batch, results);
    } catch (error) {
      this.outcomes.push({ first: batch.first, last: batch.last, acked: 0 });
      this.fail(error, batch.first);
    }
  }
}

/**
 * The report of a failed publish: which item failed, and what was published. Normally everything
 * before it and nothing after; when batches in flight behind the failed one were stored anyway,
 * exactly the items that were not.
 */
export function publishFailure(
  topic: string,
  kind: InputKind,
  failure: Failure,
  outcomes: ReadonlyArray<{ first: number; last: number; acked: number }> = [],
  /** Items from here on were never sent (nor read, perhaps). */
  unsentFrom?: number,
): ZpsError {
  const label = itemLabel(kind, failure.position);
  const interrupted = codeOf(failure.error) === 'interrupted';
  const before = outcomes.filter((o) => o.last < failure.position).reduce((sum, o) => sum + o.acked, 0);
  const storedAfter = outcomes.some((o) => o.first > failure.position && o.acked > 0);
  let hint: string;
  if (storedAfter) {
    const missing: Array<[number, number]> = [];
    for (const { first, last, acked } of outcomes) {
      if (acked > 0 || first < failure.position) continue;
      const previous = missing[missing.length - 1];
      if (previous && previous[1] + 1 === first) previous[1] = last;
      else missing.push([first, last]);
    }
    if (!outcomes.some((o) => o.first === failure.position)) missing.unshift([failure.position, failure.position]);
    let tail = '';
    if (unsentFrom !== undefined) {
      const previous = missing[missing.length - 1];
      const from = previous && previous[1] + 1 === unsentFrom ? missing.pop()![0] : unsentFrom;
      tail = `${missing.length > 0 ? ' and ' : ''}from ${kind} ${from} on`;
    }
    const ranges = missing.map(([first, last]) => (first === last ? `${first}` : `${first}-${last}`)).join(', ');
    hint = `not published: ${ranges ? `${kind}s ${ranges}` : ''}${tail}; every other message was`;
  } else {
    const stop = interrupted ? 'the interrupt' : 'the failure';
    // a daemon that stopped took what it had acknowledged with it (the error says how many)
    const lost = failure.error instanceof ZpsError && failure.error.reason === 'daemon-stopped';
    hint = lost
      ? 'nothing of this publish is kept: publish it again'
      : before === 0
        ? 'nothing was published'
        : `${plural(before, 'message')} published before ${stop}; ${label} and what follows it were not published`;
  }
  const head = `publish to ${topic} ${interrupted ? 'stopped' : 'failed'} at ${label}: ${describeError(failure.error)}`;
  return new ZpsError(head, { code: codeOf(failure.error), hint });
}
