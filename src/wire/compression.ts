/**
 * Decompression of Kafka record batches written by other producers: the codec is bits 0-2 of a
 * batch's attributes. zps itself never compresses. gzip comes with Node; snappy and zstd come from
 * small pure-JavaScript packages (no native addons); LZ4's frame format is decoded here.
 *
 * Invariants: every function is pure (bytes in, bytes out) and throws CompressionError on input
 * that is not what it claims to be, never returns a partial result.
 */
import { createRequire } from 'node:module';

/**
 * The decoders are loaded on first use (7 ms together): a command that meets no compressed batch,
 * and every local command, never loads them, nor makes the require that loads them (0.5 ms).
 */
let decoderRequire: NodeJS.Require | undefined;
const load = (id: string) => (decoderRequire ??= createRequire(import.meta.url))(id);
let zlib: typeof import('node:zlib') | undefined;
let zstd: typeof import('fzstd') | undefined;
let snappyjs: typeof import('snappyjs') | undefined;
const gunzipSync = (data: Uint8Array) => (zlib ??= load('node:zlib') as typeof import('node:zlib')).gunzipSync(data);
const zstdDecompress = (data: Uint8Array) => (zstd ??= load('fzstd') as typeof import('fzstd')).decompress(data);
const snappyUncompress = (data: Uint8Array) => (snappyjs ??= load('snappyjs') as typeof import('snappyjs')).uncompress(data);

export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionCodec = (typeof Compression)[keyof typeof Compression];

export class CompressionError extends Error {}

const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** The bytes a batch's records were compressed into, decompressed with `codec` (1-4). */
export function decompress(codec: number, data: Uint8Array): Buffer {
  try {
    switch (codec) {
      case Compression.gzip:
        return gunzipSync(data);
      case Compression.snappy:
        return snappy(data);
      case Compression.lz4:
        return lz4Frame(data);
      case Compression.zstd:
        return asBuffer(zstdDecompress(data));
      default:
        throw new CompressionError(`unknown compression codec ${codec}`);
    }
  } catch (error) {
    if (error instanceof CompressionError) throw error;
    throw new CompressionError(`${CODEC_NAMES[codec] ?? codec} data is corrupt: ${(error as Error).message}`);
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** snappy-java's stream header ("xerial" framing), which the Java client writes; librdkafka and others write raw snappy. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16; // magic, version, compatible version

function snappy(data: Uint8Array): Buffer {
  const bytes = asBuffer(data);
  if (bytes.byteLength < XERIAL_HEADER_BYTES || !bytes.subarray(0, XERIAL_MAGIC.byteLength).equals(XERIAL_MAGIC)) {
    return asBuffer(snappyUncompress(bytes) as Uint8Array);
  }
  const blocks: Buffer[] = [];
  for (let at = XERIAL_HEADER_BYTES; at < bytes.byteLength; ) {
    if (at + 4 > bytes.byteLength) throw new CompressionError('snappy block length cut short');
    const length = bytes.readUInt32BE(at);
    at += 4;
    if (at + length > bytes.byteLength) throw new CompressionError('snappy block cut short');
    blocks.push(asBuffer(snappyUncompress(bytes.subarray(at, at + length)) as Uint8Array));
    at += length;
  }
  return Buffer.concat(blocks);
}

const LZ4_MAGIC = 0x184d2204;
const LZ4_MAX_BLOCK = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20];

/**
 * An LZ4 frame (lz4.org's frame format, which Kafka uses from message format 2 on): a header, then
 * blocks each compressed or stored, then an end mark; checksums are skipped, not verified (the
 * record batch has its CRC-32C).
 */
function lz4Frame(data: Uint8Array): Buffer {
  const bytes = asBuffer(data);
  if (bytes.byteLength < 7 || bytes.readUInt32LE(0) !== LZ4_MAGIC) throw new CompressionError('not an LZ4 frame');
  const flags = bytes[4]!;
  if (flags >> 6 !== 1) throw new CompressionError(`LZ4 frame version ${flags >> 6} is not supported`);
  const blockChecksums = (flags & 0x10) !== 0;
  const contentSize = (flags & 0x08) !== 0;
  const contentChecksum = (flags & 0x04) !== 0;
  const dictionary = (flags & 0x01) !== 0;
  const maxBlock = LZ4_MAX_BLOCK[(bytes[5]! >> 4) & 0x07]!;
  if (maxBlock === 0) throw new CompressionError('LZ4 frame has an invalid block size');
  let at = 6 + (contentSize ? 8 : 0) + (dictionary ? 4 : 0) + 1; // + header checksum
  const blocks: Buffer[] = [];
  for (;;) {
    if (at + 4 > bytes.byteLength) throw new CompressionError('LZ4 frame cut short');
    const word = bytes.readUInt32LE(at);
    at += 4;
    if (word === 0) break; // end mark
    const stored = (word & 0x80000000) !== 0;
    const length = word & 0x7fffffff;
    if (at + length > bytes.byteLength) throw new CompressionError('LZ4 block cut short');
    const block = bytes.subarray(at, at + length);
    blocks.push(stored ? block : lz4Block(block, maxBlock));
    at += length + (blockChecksums ? 4 : 0);
  }
  if (contentChecksum) at += 4;
  if (at > bytes.byteLength) throw new CompressionError('LZ4 frame cut short');
  return Buffer.concat(blocks);
}

/**
 * One LZ4 block (sequences of literals and back references), decompressed into at most `maxSize`
 * bytes: into a buffer that starts at a few times the block's size and doubles as needed.
 */
function lz4Block(input: Buffer, maxSize: number): Buffer {
  let out = Buffer.allocUnsafe(Math.min(maxSize, Math.max(1024, input.byteLength * 4)));
  const room = (needed: number) => {
    if (needed <= out.byteLength) return;
    if (needed > maxSize) throw new CompressionError('LZ4 block decompresses past its maximum size');
    const grown = Buffer.allocUnsafe(Math.min(maxSize, Math.max(needed, out.byteLength * 2)));
    out.copy(grown, 0, 0, o);
    out = grown;
  };
  let i = 0;
  let o = 0;
  const end = input.byteLength;
  while (i < end) {
    const token = input[i++]!;
    let literals = token >> 4;
    if (literals === 15) {
      let more: number;
      do {
        if (i >= end) throw new CompressionError('LZ4 literal length cut short');
        more = input[i++]!;
        literals += more;
      } while (more === 255);
    }
    if (i + literals > end) throw new CompressionError('LZ4 literals overrun');
    room(o + literals);
    input.copy(out, o, i, i + literals);
    i += literals;
    o += literals;
    if (i >= end) break; // the last sequence has literals only
    if (i + 2 > end) throw new CompressionError('LZ4 match offset cut short');
    const offset = input[i]! | (input[i + 1]! << 8);
    i += 2;
    if (offset === 0 || offset > o) throw new CompressionError('LZ4 match offset out of range');
    let match = (token & 0x0f) + 4;
    if ((token & 0x0f) === 15) {
      let more: number;
      do {
        if (i >= end) throw new CompressionError('LZ4 match length cut short');
        more = input[i++]!;
        match += more;
      } while (more === 255);
    }
    room(o + match);
    // byte by byte: a match may overlap the bytes it is copying (offset < length repeats them)
    for (let from = o - offset, stop = o + match; o < stop; ) out[o++] = out[from++]!;
  }
  return out.subarray(0, o);
}
