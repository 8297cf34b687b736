/**
 * Numbers kept column by column, in typed arrays, so millions of them are no objects.
 * Invariant: a widened column holds the old one's values at its start, in a new array; the old
 * one is left as it was.
 */
export type Column = Uint8Array | Uint32Array | Float64Array;

/** A column of `length` slots of the same type, holding `column`'s values at its start. */
export function widened<T extends Column>(column: T, length: number): T {
  const wider = new (column.constructor as new (length: number) => T)(length);
  wider.set(column);
  return wider;
}
