import { ZpsError } from './errors.js';
import type { ReaderOptions, RecordReader } from './types.js';
import type { DeliveredRecord } from '../records/record.js';

/**
 * Several topics' readers read as one (`zps consume t1 t2`, `--regex`): batches in the order they
 * arrive, each reader asked again once its batch was handed out, so a busy topic never starves a
 * quiet one. Done when every reader is, unless more may be added (a pattern followed); then it
 * waits for them. Each answer is queued as it comes, so a batch costs the same with 5,000 topics
 * as with one (a race of every reader's read per batch made it quadratic, and kept a reaction per
 * race on each read still pending).
 */
export class MergedReader implements RecordReader {
  private readonly readers = new Map<string, RecordReader>();
  /** Readers that reached their end: closed with the rest (a group reader leaves its group then). */
  private readonly ended: RecordReader[] = [];
  private readonly endedTopics = new Set<string>();
  /** Readers to ask for their next batch (added, or their last one handed out). */
  private idle: RecordReader[] = [];
  /** Readers asked, until their answer is taken from `answers`. */
  private readonly asked = new Set<RecordReader>();
  /** Answers in the order they came. */
  private readonly answers: Array<{ reader: RecordReader; batch?: DeliveredRecord[] | null; error?: unknown }> = [];
  private wake: (() => void) | undefined;
  /** A reader's failure: told by every next() from then on, as that reader's topic is read no further. */
  private failure: { error: unknown } | undefined;
  private closed = false;
  /** The reader of the batch handed out last. */
  private last: RecordReader | undefined;

  /** `open`: readers may still be added, so having none is not the end; `stop` ends what adds them. */
  constructor(
    private open = false,
    private readonly stop: () => void = () => {},
  ) {}

  /** Reads `topic` through `reader` from now on. */
  add(topic: string, reader: RecordReader): void {
    if (this.closed) {
      void reader.close();
      return;
    }
    this.readers.set(topic, reader);
    this.idle.push(reader);
    this.wake?.();
  }

  has(topic: string): boolean {
    return this.readers.has(topic) || this.endedTopics.has(topic);
  }

  async next(wanted?: number): Promise<DeliveredRecord[] | null> {
    while (!this.closed) {
      if (this.failure) throw this.failure.error;
      for (const reader of this.idle.splice(0)) this.ask(reader, wanted);
      const answer = this.answers.shift();
      if (!answer) {
        if (this.asked.size === 0 && !this.open) return null;
        await new Promise<void>((resolve) => (this.wake = resolve)); // an answer, a reader added, or the set sealed
        this.wake = undefined;
        continue;
      }
      const { reader, batch, error } = answer;
      this.asked.delete(reader);
      if (error !== undefined) {
        this.failure = { error };
        throw error;
      }
      if (batch) {
        this.idle.push(reader);
        this.last = reader;
        return batch;
      }
      for (const [topic, each] of this.readers) {
        if (each !== reader) continue;
        this.readers.delete(topic);
        this.endedTopics.add(topic);
      }
      this.ended.push(reader);
    }
    return null;
  }

  private ask(reader: RecordReader, wanted: number | undefined): void {
    this.asked.add(reader);
    const answered = (answer: (typeof this.answers)[number]) => {
      this.answers.push(answer);
      this.wake?.();
    };
    reader.next(wanted).then(
      (batch) => answered({ reader, batch }),
      (error: unknown) => answered({ reader, error: error ?? new Error('a reader failed') }),
    );
  }

  markDone(record: DeliveredRecord): void {
    this.readers.get(record.topic)?.markDone(record);
  }

  get lost(): AbortSignal | undefined {
    return this.last?.lost;
  }

  get stalledOn(): ZpsError | undefined {
    for (const reader of [...this.readers.values(), ...this.ended]) if (reader.stalledOn) return reader.stalledOn;
    return undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stop();
    this.wake?.();
    await Promise.all([...this.readers.values(), ...this.ended].map((reader) => reader.close()));
  }
}

/**
 * The onWaiting of each topic's reader, for one listener that sees them as one reader: a wait is
 * told as a reader begins one for another cause than those of the waits going on (a broker outage
 * is one note, not one per topic; the registry, once the broker is back for one of them, another),
 * and its end once none of them waits any more.
 */
export function sharedWaits(onWaiting: ReaderOptions['onWaiting']): () => ReaderOptions['onWaiting'] {
  if (!onWaiting) return () => undefined;
  /** Reader → the cause of its wait. */
  const waits = new Map<object, Error>();
  const kind = (cause: Error) => (cause instanceof ZpsError && cause.reason) || cause.message;
  return () => {
    const reader = {};
    return (cause) => {
      if (cause !== undefined) {
        const told = [...waits.values()].some((other) => kind(other) === kind(cause));
        waits.set(reader, cause);
        if (!told) onWaiting(cause);
      } else if (waits.delete(reader) && waits.size === 0) {
        onWaiting(undefined);
      }
    };
  };
}
