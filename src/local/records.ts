import type { PartitionBatch } from '../memory/broker.js';
import type { DeliveredRecord } from '../pubsub/types.js';

export function deliveredRecords(topic: string, batches: readonly PartitionBatch[]): DeliveredRecord[] {
  const delivered: DeliveredRecord[] = [];
  for (const { partition, records } of batches) {
    for (const record of records) {
      delivered.push({
        topic,
        partition,
        offset: record.offset,
        timestamp: record.timestamp,
        key: record.key,
        headers: record.headers,
        value: record.value,
      });
    }
  }
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
