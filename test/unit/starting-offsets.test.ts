/** Where a joining group starts (pubsub/offsets.ts), as both drivers commit it on joining. */
import { describe, expect, it } from 'vitest';
import { startingOffsets } from '../../src/pubsub/offsets.js';

describe('where a joining group starts', () => {
  const partitions = [
    { partition: 0, start: 2, end: 10 },
    { partition: 1, start: 0, end: 5 },
    { partition: 2, start: 4, end: 4 },
  ];

  it('starts partitions with no committed offset at the start asked, and keeps the offsets committed within the log', () => {
    expect(startingOffsets(partitions, new Map([[1, 3]]), { kind: 'tail', count: 3 })).toEqual(
      new Map([
        [0, 7],
        [2, 4],
      ]),
    );
    expect(startingOffsets(partitions, new Map(), { kind: 'beginning' })).toEqual(
      new Map([
        [0, 2],
        [1, 0],
        [2, 4],
      ]),
    );
  });

  it("moves offsets out of the log (records deleted, past the end) to the log's start, as auto.offset.reset=earliest", () => {
    const committed = new Map([
      [0, 1],
      [1, 6],
      [2, 4],
    ]);
    expect(startingOffsets(partitions, committed, { kind: 'end' })).toEqual(
      new Map([
        [0, 2],
        [1, 0],
      ]),
    );
  });
});
