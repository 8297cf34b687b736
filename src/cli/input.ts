/**
 * The messages of `zps publish`: its value arguments, or the non-empty lines of stdin, as ranges
 * of the buffers they were read into (never decoded, never copied one by one).
 */
export interface InputLines {
  buffer: Buffer;
  starts: number[];
  ends: number[];
  /** 1-based line or argument number of each, for error reports. */
  positions: number[];
}

export type InputKind = 'line' | 'argument';

export function itemLabel(kind: InputKind, position: number): string {
  return `${kind} ${position}`;
}

export function argumentLines(values: readonly string[]): InputLines {
  const encoded = values.map((text) => Buffer.from(text));
  const lines: InputLines = { buffer: Buffer.concat(encoded), starts: [], ends: [], positions: [] };
  let at = 0;
  encoded.forEach((bytes, i) => {
    lines.starts.push(at);
    lines.ends.push((at += bytes.byteLength));
    lines.positions.push(i + 1);
  });
  return lines;
}

const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into lines: skips empty lines, strips a CR before the newline. Lines come
 * a chunk read at a time, so a million lines cost thousands of awaits. A line split across
 * chunks is joined once its end arrives.
 */
export async function* inputLines(stream: AsyncIterable<Buffer | string>): AsyncGenerator<InputLines> {
  let lineNumber = 0;
  let pending: Buffer[] = []; // the start of a line whose end has not arrived
  const add = (lines: InputLines, start: number, end: number) => {
    lineNumber++;
    if (end > start && lines.buffer[end - 1] === CR) end--;
    if (end === start) return;
    lines.starts.push(start);
    lines.ends.push(end);
    lines.positions.push(lineNumber);
  };
  for await (const piece of stream) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
    let newline = chunk.indexOf(NEWLINE);
    if (newline === -1) {
      pending.push(chunk);
      continue;
    }
    if (pending.length > 0) {
      const joined = Buffer.concat([...pending, chunk.subarray(0, newline)]);
      pending = [];
      const first: InputLines = { buffer: joined, starts: [], ends: [], positions: [] };
      add(first, 0, joined.length);
      if (first.starts.length > 0) yield first;
    } else newline = -1; // the chunk's first line starts at 0
    const lines: InputLines = { buffer: chunk, starts: [], ends: [], positions: [] };
    let start = newline + 1;
    for (newline = chunk.indexOf(NEWLINE, start); newline !== -1; newline = chunk.indexOf(NEWLINE, start)) {
      add(lines, start, newline);
      start = newline + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
    if (lines.starts.length > 0) yield lines;
  }
  if (pending.length > 0) {
    const last: InputLines = { buffer: Buffer.concat(pending), starts: [], ends: [], positions: [] };
    add(last, 0, last.buffer.length);
    if (last.starts.length > 0) yield last;
  }
}
