import { describe, expect, it } from 'vitest';
import { argumentLines, inputLines, type InputLines } from '../../src/cli/publish/input-lines.js';

async function linesOf(chunks: string[]): Promise<Array<[number, string]>> {
  const stream = (async function* () {
    for (const chunk of chunks) yield Buffer.from(chunk);
  })();
  const out: Array<[number, string]> = [];
  for await (const lines of inputLines(stream)) out.push(...texts(lines));
  return out;
}

const texts = (lines: InputLines): Array<[number, string]> =>
  Array.from({ length: lines.count }, (_, i) => [lines.positions[i]!, lines.buffer.toString('utf8', lines.starts[i], lines.ends[i])]);

describe('stdin lines', () => {
  it('splits on newlines only, skips only empty lines, keeps CR, keeps line numbers', async () => {
    expect(await linesOf(['a\n\nb\r\n\r\n', 'c'])).toEqual([
      [1, 'a'],
      [3, 'b\r'],
      [4, '\r'],
      [5, 'c'],
    ]);
  });

  it('joins a line split across chunks, a CRLF split between them included', async () => {
    expect(await linesOf(['{"a":', '"long', ' value"}\r', '\nnext\n'])).toEqual([
      [1, '{"a":"long value"}\r'],
      [2, 'next'],
    ]);
    expect(await linesOf(['x', 'y', 'z'])).toEqual([[1, 'xyz']]);
    expect(await linesOf(['é'.slice(0, 1), '\n'])).toEqual([[1, 'é']]);
  });

  it('keeps a multi-byte character split across chunks whole', async () => {
    const bytes = Buffer.from('ça\n');
    const stream = (async function* () {
      yield bytes.subarray(0, 1);
      yield bytes.subarray(1);
    })();
    const out: Array<[number, string]> = [];
    for await (const lines of inputLines(stream)) out.push(...texts(lines));
    expect(out).toEqual([[1, 'ça']]);
  });

  it('holds any number of lines in one chunk', async () => {
    const many = Array.from({ length: 5000 }, (_, i) => `l${i}`);
    expect((await linesOf([many.join('\n')])).map(([, text]) => text)).toEqual(many);
  });

  it('refuses a line over the limit as soon as it passes it, counting it to its end without keeping it', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x78);
    let read = 0;
    const stream = (async function* () {
      yield Buffer.from('ok\n');
      for (let i = 0; i < 100; i++) {
        read++;
        yield chunk; // 6.4 MB of one line, a chunk at a time
      }
      yield Buffer.from('\nnever\n');
    })();
    const seen: Array<{ lines: Array<[number, string]>; tooLong?: { position: number; bytes: number } }> = [];
    for await (const lines of inputLines(stream, 1024 * 1024)) seen.push({ lines: texts(lines), tooLong: lines.tooLong && { ...lines.tooLong } });
    expect(seen).toEqual([
      { lines: [[1, 'ok']], tooLong: undefined },
      { lines: [], tooLong: { position: 2, bytes: 100 * 64 * 1024 } },
    ]);
    expect(read).toBe(100);
  });

  it('refuses a line over the limit that arrives in one chunk, after the lines before it', async () => {
    const stream = (async function* () {
      yield Buffer.from(`a\n${'y'.repeat(20)}\nb\n`);
    })();
    const seen: Array<[Array<[number, string]>, unknown]> = [];
    for await (const lines of inputLines(stream, 10)) seen.push([texts(lines), lines.tooLong && { ...lines.tooLong }]);
    expect(seen).toEqual([[[[1, 'a']], { position: 2, bytes: 20 }]]);
  });

  it('reads arguments as numbered values', () => {
    expect(texts(argumentLines(['{"x":1}', 'plain', '']))).toEqual([
      [1, '{"x":1}'],
      [2, 'plain'],
      [3, ''],
    ]);
  });
});
