import { widened } from '../../wire/columns.js';

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
  /** A line over the length limit, after the lines above: read to its end, but not kept. */
  tooLong: { position: number; bytes: number } | undefined;

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
    this.tooLong = undefined;
    return this;
  }

  private grow(): void {
    const length = this.starts.length * 2;
    this.starts = widened(this.starts, length);
    this.ends = widened(this.ends, length);
    this.positions = widened(this.positions, length);
  }
}

export function argumentLines(values: readonly string[]): InputLines {
  const encoded = values.map((text) => Buffer.from(text));
  const lines = new InputLines(Buffer.concat(encoded));
  let at = 0;
  encoded.forEach((bytes, i) => {
    lines.add(at, at + bytes.byteLength, i + 1);
    at += bytes.byteLength;
  });
  return lines;
}

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines, the bytes between newlines: only `\n` separates (a `\r` before it
 * is the line's, as kcat keeps it) and only an empty line is skipped. Lines come
 * a chunk read at a time, so a million lines cost thousands of awaits; each InputLines yielded is
 * valid until the next is asked for (its arrays are reused). A line split across chunks is
 * joined once its end arrives. A line longer than `maxLineBytes` is not kept: the moment it passes
 * the limit its bytes are counted and dropped up to its end, and it is yielded as `tooLong`.
 */
export async function* inputLines(stream: AsyncIterable<Buffer | string>, maxLineBytes = Number.POSITIVE_INFINITY): AsyncGenerator<InputLines> {
  let lineNumber = 0;
  let pending: Buffer[] = []; // the start of a line whose end has not arrived
  let pendingBytes = 0;
  let dropping = false; // the pending line is over the limit: its bytes are only counted
  const lines = new InputLines(Buffer.alloc(0));
  const add = (start: number, end: number) => {
    lineNumber++;
    if (end - start > maxLineBytes) lines.tooLong = { position: lineNumber, bytes: end - start };
    else if (end > start) lines.add(start, end, lineNumber);
  };
  const keep = (piece: Buffer) => {
    pendingBytes += piece.byteLength;
    if (dropping || pendingBytes <= maxLineBytes) {
      if (!dropping) pending.push(piece);
      return;
    }
    dropping = true;
    pending = [];
  };
  const tooLong = () => {
    lineNumber++;
    lines.reset(lines.buffer).tooLong = { position: lineNumber, bytes: pendingBytes };
    dropping = false;
    pendingBytes = 0;
    return lines;
  };
  for await (const piece of stream) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
    let newline = chunk.indexOf(NEWLINE);
    if (newline === -1) {
      keep(chunk);
      continue;
    }
    if (dropping) {
      pendingBytes += newline;
      yield tooLong();
      return;
    } else if (pending.length > 0) {
      const joined = Buffer.concat([...pending, chunk.subarray(0, newline)]);
      pending = [];
      pendingBytes = 0;
      lines.reset(joined);
      add(0, joined.length);
      if (lines.count > 0 || lines.tooLong) yield lines;
      if (lines.tooLong) return;
    } else newline = -1; // the chunk's first line starts at 0
    lines.reset(chunk);
    let start = newline + 1;
    for (newline = chunk.indexOf(NEWLINE, start); newline !== -1 && !lines.tooLong; newline = chunk.indexOf(NEWLINE, start)) {
      add(start, newline);
      start = newline + 1;
    }
    if (lines.tooLong) {
      yield lines;
      return;
    }
    if (start < chunk.length) keep(chunk.subarray(start));
    if (lines.count > 0) yield lines;
  }
  if (dropping) yield tooLong();
  else if (pending.length > 0) {
    lines.reset(Buffer.concat(pending));
    add(0, lines.buffer.length);
    if (lines.count > 0 || lines.tooLong) yield lines;
  }
}
