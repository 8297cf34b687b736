import { ZpsError, codeOf, describeError } from '../../pubsub/errors.js';
import { plural } from '../../pubsub/limits.js';
import { ackedCount, type AckRun } from '../../pubsub/record-batch.js';
import type { PreparedTopic, RecordHeaders, RecordSender } from '../../pubsub/types.js';
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
  /** Partitions of the topic, if this publish creates it. */
  partitions: number;
  /** Called with each batch's acks, in order, once they are all in. */
  onAcks?: (batch: LineBatch, acks: readonly AckRun[]) => Promise<void> | void;
}

const BATCH_RECORDS = 1_000;
const BATCH_BYTES = 1024 * 1024;
/** Batches sent before the oldest must be acknowledged: overlaps reading input with storing it. */
const MAX_IN_FLIGHT = 4;

interface Failure {
  error: unknown;
  /** The line or argument number that failed: a bad one, or the first of a batch not acknowledged. */
  position: number;
}

/**
 * Sends messages in batches of up to 1,000 messages or 1 MiB, several in flight at once, in order;
 * stops at the first failure and says exactly what was published. A message is checked (its size)
 * as it is added, so one the broker could never take is refused before anything of it is sent.
 */
export class PipelinedSender {
  private batch: LineBatch;
  private batches = 0;
  private readonly inFlight: Array<{ batch: LineBatch; acks: Promise<AckRun[]> }> = [];
  /** Every batch sent, once settled: what the report of a failure is made of. */
  private readonly outcomes: Array<{ first: number; last: number; acked: number }> = [];
  private failure: Failure | undefined;

  constructor(
    private readonly sender: RecordSender,
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
    const length = message.end - message.start;
    this.prepared.check(message.key, message.tombstone ? -1 : length, this.options.headers);
    if (this.batch.length > 0 && (this.batch.length >= BATCH_RECORDS || this.batch.bytes + length > BATCH_BYTES)) this.send();
    this.batch.add(message.bytes, message.start, message.end, message.key, position, message.tombstone);
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

  /** Item `position` could not be published: what came before it is sent, nothing after. */
  fail(error: unknown, position: number): void {
    if (!this.failure || position < this.failure.position) this.failure = { error, position };
  }

  /** Sends what is left, waits for every ack, and throws the report of a failure if there was one. */
  async finish(): Promise<{ published: number; batches: number }> {
    if (!this.failure || this.batch.last < this.failure.position) this.send(); // never what comes after a failed batch
    await this.drain(0);
    if (this.failure) throw publishFailure(this.topic, this.options.kind, this.failure, this.outcomes);
    return { published: this.outcomes.reduce((sum, o) => sum + o.acked, 0), batches: this.batches };
  }

  private newBatch(): LineBatch {
    return new LineBatch(this.options.headers, this.options.partition, BATCH_RECORDS);
  }

  private send(): void {
    if (this.batch.length === 0) return;
    const acks = this.sender.send(this.topic, this.batch, { partitions: this.options.partitions });
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
): ZpsError {
  const label = itemLabel(kind, failure.position);
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
    hint = `not published: ${kind}s ${missing.map(([first, last]) => (first === last ? `${first}` : `${first}-${last}`)).join(', ')}; every other message was`;
  } else {
    hint =
      before === 0 ? 'nothing was published' : `${plural(before, 'message')} published before the failure; ${label} and what follows it were not published`;
  }
  return new ZpsError(`publish to ${topic} failed at ${label}: ${describeError(failure.error)}`, { code: codeOf(failure.error), hint });
}
