import type { PartitionBatch } from '../memory/broker.js';
import type { DeliveredRecord } from '../pubsub/types.js';

/** The records of every batch, in order. */
export function deliveredRecords(batches: readonly PartitionBatch[]): DeliveredRecord[] {
  if (batches.length === 1) return batches[0]!.records;
  const delivered: DeliveredRecord[] = [];
  for (const { records } of batches) for (const record of records) delivered.push(record);
  return delivered;
}

/** The next offset to commit per partition, gathered between round trips to the broker. */
export class CommitTracker {
  private pending = new Map<number, number>();

  mark(partition: number, offset: number): void {
    this.pending.set(partition, offset + 1);
  }

  take(): Array<[number, number]> {
    if (this.pending.size === 0) return [];
    const commits = [...this.pending];
    this.pending = new Map();
    return commits;
  }
}
