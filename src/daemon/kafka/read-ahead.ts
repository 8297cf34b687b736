import type { MemoryBroker } from '../../memory/broker.js';

/** Answers kept at once, each at most MAX_AHEAD_BYTES: the read-ahead holds 16 MiB at the most, outside the memory cap. */
const MAX_READY = 8;
/** Fetches asking more of a partition (zps's own reader asks 8 MiB) are not read ahead; clients' default is 1 MiB. */
const MAX_AHEAD_BYTES = 2 * 1024 * 1024;

/** A partition's records from one offset, encoded for a fetch, and the offset after them. */
export interface EncodedRecords {
  records: Buffer;
  next: number;
}

/**
 * Read-ahead for readers going through a partition in order. The listener encodes a fetch's records
 * from the log's columns, which takes it about as long as the client takes to read them (Kafka
 * sends what it stored without looking at it): so while a reader reads one answer, the records
 * after it are encoded for the fetch it sends next, within the same limit. Records before a
 * partition's end never change: retention and DeleteRecords drop them from the start (a fetch
 * below the start is refused before it gets here), and a recreated topic has a new id.
 */
export class ReadAhead {
  private readonly ready = new Map<string, { topicId: Buffer; encoded: EncodedRecords }>();

  constructor(private readonly broker: MemoryBroker) {}

  /** The records encoded ahead for this fetch, if any (taken: asked again, they are encoded again). */
  take(topic: string, partition: number, offset: number, budget: number): EncodedRecords | undefined {
    const key = keyOf(topic, partition, offset, budget);
    const entry = this.ready.get(key);
    if (!entry) return undefined;
    this.ready.delete(key);
    return entry.topicId === this.broker.topicId(topic) ? entry.encoded : undefined;
  }

  /** Encodes the records of a fetch from `offset` once the answer being sent has gone out. */
  prepare(topic: string, partition: number, offset: number, budget: number, encode: () => EncodedRecords | undefined): void {
    const key = keyOf(topic, partition, offset, budget);
    if (budget > MAX_AHEAD_BYTES || this.ready.has(key)) return;
    setImmediate(() => {
      const topicId = this.broker.topicId(topic);
      if (!topicId || this.ready.has(key)) return;
      const encoded = encode();
      if (!encoded) return;
      if (this.ready.size >= MAX_READY) this.ready.delete(this.ready.keys().next().value!);
      this.ready.set(key, { topicId, encoded });
    });
  }
}

function keyOf(topic: string, partition: number, offset: number, budget: number): string {
  return `${topic}\u0000${partition}\u0000${offset}\u0000${budget}`;
}
