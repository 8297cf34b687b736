import { gzipSync } from 'node:zlib';
import { compress as snappyCompress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { Compression, CompressionError, decompress } from '../../src/wire/compression.js';

/** An LZ4 frame around the given blocks: [bytes, stored?]. */
function lz4Frame(blocks: Array<[Buffer, boolean]>, flags = 0x60): Buffer {
  const parts = [Buffer.from([0x04, 0x22, 0x4d, 0x18, flags, 0x40, 0x00])];
  for (const [block, stored] of blocks) {
    const size = Buffer.alloc(4);
    size.writeUInt32LE((block.length | (stored ? 0x80000000 : 0)) >>> 0);
    parts.push(size, block);
  }
  parts.push(Buffer.alloc(4)); // end mark
  return Buffer.concat(parts);
}

describe('decompressing record batches other producers compressed', () => {
  it('gzip', () => {
    expect(decompress(Compression.gzip, gzipSync('hello gzip')).toString()).toBe('hello gzip');
  });

  it('snappy, raw (librdkafka) and in xerial framing (the Java client)', () => {
    const text = Buffer.from('snappy '.repeat(100));
    expect(decompress(Compression.snappy, Buffer.from(snappyCompress(text))).equals(text)).toBe(true);
    const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
    const block = (bytes: Buffer) => {
      const compressed = Buffer.from(snappyCompress(bytes));
      const length = Buffer.alloc(4);
      length.writeUInt32BE(compressed.length);
      return Buffer.concat([length, compressed]);
    };
    const framed = Buffer.concat([header, block(text.subarray(0, 300)), block(text.subarray(300))]);
    expect(decompress(Compression.snappy, framed).equals(text)).toBe(true);
  });

  it('LZ4 frames: compressed blocks with overlapping matches, stored blocks, checksums skipped', () => {
    // "abc" then a match 3 back, 9 long (overlapping), then the literal "!"
    const block = Buffer.from([0x35, 0x61, 0x62, 0x63, 0x03, 0x00, 0x10, 0x21]);
    expect(decompress(Compression.lz4, lz4Frame([[block, false]])).toString()).toBe('abcabcabcabc!');
    expect(
      decompress(
        Compression.lz4,
        lz4Frame([
          [block, false],
          [Buffer.from('raw'), true],
        ]),
      ).toString(),
    ).toBe('abcabcabcabc!raw');
    // long literal and match lengths (15 + extra bytes)
    const literals = Buffer.alloc(20, 0x6c);
    const long = Buffer.concat([Buffer.from([0xff, 5]), literals, Buffer.from([0x01, 0x00, 0x00]), Buffer.from([0x10, 0x2e])]);
    expect(decompress(Compression.lz4, lz4Frame([[long, false]])).toString()).toBe(`${'l'.repeat(20)}${'l'.repeat(19)}.`);
  });

  it('refuses corrupt input with a CompressionError, never a partial result', () => {
    const block = Buffer.from([0x35, 0x61, 0x62, 0x63, 0x09, 0x00, 0x10, 0x21]); // offset 9 > 3 bytes written
    expect(() => decompress(Compression.lz4, lz4Frame([[block, false]]))).toThrow(CompressionError);
    expect(() => decompress(Compression.lz4, Buffer.from('not lz4 at all'))).toThrow(/not an LZ4 frame/);
    expect(() => decompress(Compression.lz4, lz4Frame([[block, false]]).subarray(0, 12))).toThrow(CompressionError);
    expect(() => decompress(Compression.gzip, Buffer.from('nope'))).toThrow(/gzip data is corrupt/);
    expect(() => decompress(Compression.zstd, Buffer.from('nope'))).toThrow(/zstd data is corrupt/);
    expect(() => decompress(7, Buffer.alloc(0))).toThrow(/unknown compression codec 7/);
  });
});
