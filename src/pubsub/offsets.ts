import type { StartOffset } from './types.js';

/** Where a reader with no committed offset starts in a partition holding [start, end). */
export function resolveStart(partition: { start: number; end: number }, start: StartOffset): number {
  switch (start.kind) {
    case 'beginning':
      return partition.start;
    case 'end':
      return partition.end;
    case 'absolute':
      return Math.min(Math.max(start.offset, partition.start), partition.end);
    case 'tail':
      return Math.max(partition.end - start.count, partition.start);
  }
}
