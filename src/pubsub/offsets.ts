import type { PartitionOffsets } from './driver.js';
import type { StartOffset } from './types.js';

/**
 * Where a reader with no committed offset starts in a partition holding [start, end). For a start
 * at a time, `atTime` is the partition's first offset at or after it (listOffsets with the time).
 */
export function resolveStart(partition: { start: number; end: number; atTime?: number }, start: StartOffset): number {
  switch (start.kind) {
    case 'beginning':
      return partition.start;
    case 'end':
      return partition.end;
    case 'absolute':
      return Math.min(Math.max(start.offset, partition.start), partition.end);
    case 'tail':
      return Math.max(partition.end - start.count, partition.start);
    case 'time':
      return partition.atTime ?? partition.end;
  }
}

/**
 * Where a group joining with `start` begins: what it commits on joining, so that it starts there
 * whoever joins first and its lag says so. Partitions with no committed offset start at `start`;
 * those whose committed offset is out of the log (records deleted, or past the end) at the log's
 * start, as Kafka's auto.offset.reset=earliest. Partitions whose committed offset holds are left out.
 */
export function startingOffsets(partitions: readonly PartitionOffsets[], committed: ReadonlyMap<number, number>, start: StartOffset): Map<number, number> {
  const starts = new Map<number, number>();
  for (const p of partitions) {
    const at = committed.get(p.partition);
    if (at === undefined) starts.set(p.partition, resolveStart(p, start));
    else if (at < p.start || at > p.end) starts.set(p.partition, p.start);
  }
  return starts;
}
