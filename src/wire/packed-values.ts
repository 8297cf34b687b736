/**
 * Values packed into one buffer for the wire, copied by runs: the lines of one stdin chunk, the
 * messages of one log chunk lie (nearly) back to back in memory, and go out as one copy each run.
 *
 * Invariant: value i is the `length(i)` bytes at `starts[i]` of `bytes`; the bytes between two
 * values (a newline, say) are not values and are never read as such.
 */

export interface PackedValues {
  /** Value i is bytes [starts[i], starts[i] + valueLength(i)); bytes between values are not values. */
  bytes: Buffer;
  starts: Uint32Array;
}

/** Bytes between two values that are copied along rather than starting a new run (a newline, say). */
const MAX_GAP = 16;

/**
 * Packs values into one buffer with one copy per run of values lying (nearly) back to back in
 * memory: the lines of one stdin chunk, the messages of one log chunk. Value i is `length(i)`
 * bytes at byte `offset(i)` of `buffer(i)` (a tombstone: 0 bytes).
 */
export function packValues(count: number, buffer: (i: number) => ArrayBufferLike, offset: (i: number) => number, length: (i: number) => number): PackedValues {
  const starts = new Uint32Array(count);
  const runs: Array<{ buffer: ArrayBufferLike; from: number; to: number; at: number }> = [];
  let run: (typeof runs)[number] | undefined;
  let size = 0;
  for (let i = 0; i < count; i++) {
    const from = offset(i);
    const to = from + length(i);
    if (run !== undefined && run.buffer === buffer(i) && from >= run.to && from - run.to <= MAX_GAP) {
      size += to - run.to;
      run.to = to;
    } else {
      runs.push((run = { buffer: buffer(i), from, to, at: size }));
      size += to - from;
    }
    starts[i] = run.at + (from - run.from);
  }
  const bytes = Buffer.allocUnsafe(size);
  for (const { buffer: source, from, to, at } of runs) bytes.set(new Uint8Array(source, from, to - from), at);
  return { bytes, starts };
}
