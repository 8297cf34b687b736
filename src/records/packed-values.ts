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
  /** `bytes` is a buffer of its own that nothing else holds (not a slice of a pool): a store may keep it as it is. */
  owned?: boolean;
}

/** Bytes between two values that are copied along rather than starting a new run (a newline, say). */
const MAX_GAP = 16;

/**
 * Packs values into one buffer with one copy per run of values lying (nearly) back to back in
 * memory: the lines of one stdin chunk, the messages of one log chunk. Value i is `length(i)`
 * bytes at byte `offset(i)` of `buffer(i)` (a tombstone: 0 bytes).
 */
export function packValues(count: number, buffer: (i: number) => ArrayBufferLike, offset: (i: number) => number, length: (i: number) => number): PackedValues {
  const sources: Uint8Array[] = [];
  const sourceOf = new Uint32Array(count);
  const starts = new Uint32Array(count);
  const ends = new Uint32Array(count);
  let last: ArrayBufferLike | undefined;
  for (let i = 0; i < count; i++) {
    const source = buffer(i);
    if (source !== last) sources.push(new Uint8Array((last = source)));
    sourceOf[i] = sources.length - 1;
    starts[i] = offset(i);
    ends[i] = starts[i]! + length(i);
  }
  return packRanges(count, sources, sourceOf, starts, ends);
}

/**
 * packValues for values held as ranges in typed arrays: value i is bytes [starts[i], ends[i]) of
 * sources[sourceOf[i]] (no closure call per value: a million stdin lines pack in milliseconds).
 */
export function packRanges(count: number, sources: readonly Uint8Array[], sourceOf: Uint32Array, starts: Uint32Array, ends: Uint32Array): PackedValues {
  const packedStarts = new Uint32Array(count);
  // runs as [source, from, to, at] quadruples; the open run is kept in locals until it closes
  const runs: number[] = [];
  let size = 0;
  let runSource = -1;
  let runFrom = 0;
  let runTo = 0;
  let runAt = 0;
  for (let i = 0; i < count; i++) {
    const source = sourceOf[i]!;
    const from = starts[i]!;
    const to = ends[i]!;
    if (source === runSource && from >= runTo && from - runTo <= MAX_GAP) {
      size += to - runTo;
      runTo = to;
      packedStarts[i] = runAt + (from - runFrom);
    } else {
      if (runSource >= 0) runs.push(runSource, runFrom, runTo, runAt);
      runSource = source;
      runFrom = from;
      runTo = to;
      runAt = size;
      packedStarts[i] = size;
      size += to - from;
    }
  }
  if (runSource >= 0) runs.push(runSource, runFrom, runTo, runAt);
  const bytes = Buffer.allocUnsafe(size);
  for (let r = 0; r < runs.length; r += 4) bytes.set(sources[runs[r]!]!.subarray(runs[r + 1], runs[r + 2]), runs[r + 3]);
  // Node hands out buffers under half its pool size as slices of a shared pool
  return { bytes, starts: packedStarts, owned: size >= Buffer.poolSize >>> 1 };
}
