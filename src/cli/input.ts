/** The messages of `zps publish`: its value arguments, or the non-empty lines of stdin, as bytes. */

export interface InputItem {
  /** The bytes as given: a view into the input, not a copy. */
  bytes: Buffer;
  /** 1-based line or argument number, for error reports. */
  position: number;
}

export type InputKind = 'line' | 'argument';

export function itemLabel(kind: InputKind, position: number): string {
  return `${kind} ${position}`;
}

export function argumentItems(values: readonly string[]): InputItem[] {
  return values.map((text, i) => ({ bytes: Buffer.from(text), position: i + 1 }));
}

const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into lines, never decoding them: skips empty lines, strips a CR before the
 * newline. Lines come in arrays (one per chunk read), so a million lines cost thousands of awaits.
 * A line split across chunks is joined once its end arrives.
 */
export async function* lineItems(stream: AsyncIterable<Buffer | string>): AsyncGenerator<InputItem[]> {
  let lineNumber = 0;
  let pending: Buffer[] = []; // the start of a line whose end has not arrived
  const item = (bytes: Buffer, start: number, end: number): InputItem | undefined => {
    lineNumber++;
    if (end > start && bytes[end - 1] === CR) end--;
    return end > start ? { bytes: bytes.subarray(start, end), position: lineNumber } : undefined;
  };
  for await (const piece of stream) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
    let start = 0;
    let newline = chunk.indexOf(NEWLINE);
    if (newline === -1) {
      pending.push(chunk);
      continue;
    }
    const items: InputItem[] = [];
    if (pending.length > 0) {
      const joined = Buffer.concat([...pending, chunk.subarray(0, newline)]);
      pending = [];
      const first = item(joined, 0, joined.length);
      if (first) items.push(first);
      start = newline + 1;
      newline = chunk.indexOf(NEWLINE, start);
    }
    for (; newline !== -1; newline = chunk.indexOf(NEWLINE, start)) {
      const next = item(chunk, start, newline);
      if (next) items.push(next);
      start = newline + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
    if (items.length > 0) yield items;
  }
  if (pending.length > 0) {
    const last = Buffer.concat(pending);
    const final = item(last, 0, last.length);
    if (final) yield [final];
  }
}
