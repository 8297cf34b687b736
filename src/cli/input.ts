import { widened } from '../pubsub/columns.js';

/**
 * The messages of `zps publish`: its value arguments, or the non-empty lines of stdin, as ranges
 * of the buffers they were read into (never decoded, never copied one by one).
 */
export class InputLines {
  count = 0;
  starts = new Uint32Array(1024);
  ends = new Uint32Array(1024);
  /** 1-based line or argument number of each, for error reports. */
  positions = new Float64Array(1024);

  constructor(public buffer: Buffer) {}

  add(start: number, end: number, position: number): void {
    if (this.count === this.starts.length) this.grow();
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.positions[this.count++] = position;
  }

  /** Starts over on another buffer, keeping the arrays. */
  reset(buffer: Buffer): this {
    this.buffer = buffer;
    this.count = 0;
    return this;
  }

  private grow(): void {
    const length = this.starts.length * 2;
    this.starts = widened(this.starts, length);
    this.ends = widened(this.ends, length);
    this.positions = widened(this.positions, length);
  }
}

export type InputKind = 'line' | 'argument';

export function itemLabel(kind: InputKind, position: number): string {
  return `${kind} ${position}`;
}

export function argumentLines(values: readonly string[]): InputLines {
  const encoded = values.map((text) => Buffer.from(text));
  const lines = new InputLines(Buffer.concat(encoded));
  let at = 0;
  encoded.forEach((bytes, i) => lines.add(at, (at += bytes.byteLength), i + 1));
  return lines;
}

const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into lines: skips empty lines, strips a CR before the newline. Lines come
 * a chunk read at a time, so a million lines cost thousands of awaits; each InputLines yielded is
 * valid until the next is asked for (its arrays are reused). A line split across chunks is
 * joined once its end arrives.
 */
export async function* inputLines(stream: AsyncIterable<Buffer | string>): AsyncGenerator<InputLines> {
  let lineNumber = 0;
  let pending: Buffer[] = []; // the start of a line whose end has not arrived
  const lines = new InputLines(Buffer.alloc(0));
  const add = (start: number, end: number) => {
    lineNumber++;
    if (end > start && lines.buffer[end - 1] === CR) end--;
    if (end > start) lines.add(start, end, lineNumber);
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
      lines.reset(joined);
      add(0, joined.length);
      if (lines.count > 0) yield lines;
    } else newline = -1; // the chunk's first line starts at 0
    lines.reset(chunk);
    let start = newline + 1;
    for (newline = chunk.indexOf(NEWLINE, start); newline !== -1; newline = chunk.indexOf(NEWLINE, start)) {
      add(start, newline);
      start = newline + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
    if (lines.count > 0) yield lines;
  }
  if (pending.length > 0) {
    lines.reset(Buffer.concat(pending));
    add(0, lines.buffer.length);
    if (lines.count > 0) yield lines;
  }
}
