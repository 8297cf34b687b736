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
