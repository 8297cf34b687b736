import { ZpsError } from './errors.js';
import type { ReaderOptions, RecordReader } from './types.js';
import type { DeliveredRecord } from '../records/record.js';

/**
 * Several topics' readers read as one (`zps consume t1 t2`, `--regex`): batches in the order they
 * arrive, each reader asked again once its batch was handed out, so a busy topic never starves a
 * quiet one. Done when every reader is, unless more may be added (a pattern followed); then it
 * waits for them.
 */
export class MergedReader implements RecordReader {
  private readonly readers = new Map<string, RecordReader>();
  /** Readers that reached their end: closed with the rest (a group reader leaves its group then). */
  private readonly ended: RecordReader[] = [];
  private readonly endedTopics = new Set<string>();
  private readonly pending = new Map<RecordReader, Promise<{ reader: RecordReader; batch: DeliveredRecord[] | null }>>();
  private wake: (() => void) | undefined;
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
    this.wake?.();
  }

  has(topic: string): boolean {
    return this.readers.has(topic) || this.endedTopics.has(topic);
  }

  async next(wanted?: number): Promise<DeliveredRecord[] | null> {
    while (!this.closed) {
      for (const reader of this.readers.values()) {
        if (!this.pending.has(reader))
          this.pending.set(
            reader,
            reader.next(wanted).then((batch) => ({ reader, batch })),
          );
      }
      if (this.pending.size === 0 && !this.open) return null;
      const woken = new Promise<undefined>((resolve) => (this.wake = () => resolve(undefined)));
      const settled = await Promise.race([...this.pending.values(), woken]);
      this.wake = undefined;
      if (!settled) continue; // a reader was added, or the set sealed
      this.pending.delete(settled.reader);
      if (settled.batch !== null) {
        this.last = settled.reader;
        return settled.batch;
      }
      for (const [topic, reader] of this.readers) {
        if (reader !== settled.reader) continue;
        this.readers.delete(topic);
        this.endedTopics.add(topic);
      }
      this.ended.push(settled.reader);
    }
    return null;
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
