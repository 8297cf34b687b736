#!/usr/bin/env node
/**
 * Microbenchmarks of zps's byte-level code (src/wire), so a speed change is measured where it is
 * made: each figure is the median of 5 timed passes over the same data, after a warm-up pass.
 *   npm run bench:codecs        (also a section of `npm run bench`)
 */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (path) => import(join(root, 'dist', path));

/** Median seconds of `passes` runs of `work` (after one warm-up run). */
function time(work, passes = 5) {
  work();
  const seconds = [];
  for (let i = 0; i < passes; i++) {
    const started = process.hrtime.bigint();
    work();
    seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
  }
  return seconds.sort((a, b) => a - b)[Math.floor(passes / 2)];
}

export async function codecBench(count = 200_000) {
  const { isJsonValue, compactJson } = await dist('wire/json-text.js');
  const { encodeRecords, WireRecords } = await dist('wire/daemon-records.js');
  const { outgoingBatch } = await dist('pubsub/record-batch.js');
  const { murmur2 } = await dist('wire/murmur2.js');
  const { decompress, Compression } = await dist('wire/compression.js');

  const lines = Array.from({ length: count }, (_, i) => Buffer.from(`{"id":${i},"user":"u-${i % 10_000}","amount":${(i % 997) / 10},"ok":true}`));
  const spaced = lines.map((line) => Buffer.from(line.toString().replaceAll(',', ', ').replaceAll(':', ': ')));
  const bytes = lines.reduce((sum, line) => sum + line.length, 0);
  const records = outgoingBatch(lines.map((value, i) => ({ key: i % 4 === 0 ? Buffer.from(`k${i}`) : null, value, headers: [] })));
  const encoded = encodeRecords(records);
  const keys = lines.map((_, i) => Buffer.from(`customer-${i}`));
  // an LZ4 frame of one stored block and one compressed block, as kcat writes them
  const lz4Block = Buffer.from([0xff, 0x0b, ...Buffer.from('abcdefghijklmnopqrstuvwxyz'), 0x1a, 0x00, 0xff, 0xff, 0xff, 0x20, 0x10, 0x21]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(lz4Block.length);
  const lz4 = Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x70, 0x00]), size, lz4Block, Buffer.alloc(4)]);
  const lz4Out = decompress(Compression.lz4, lz4).length;

  const rows = [];
  const row = (figure, seconds, items, itemBytes) =>
    rows.push({ figure, perSecond: items / seconds, mbPerSecond: itemBytes === undefined ? undefined : itemBytes / seconds / 1e6 });
  row(
    'isJsonValue (compact lines)',
    time(() => {
      for (const line of lines) isJsonValue(line);
    }),
    count,
    bytes,
  );
  row(
    'compactJson (lines with spaces)',
    time(() => {
      for (const line of spaced) compactJson(line);
    }),
    count,
  );
  row(
    'daemon record list: encode',
    time(() => encodeRecords(records)),
    count,
    encoded.length,
  );
  row(
    'daemon record list: check and read',
    time(() => {
      const list = new WireRecords(encoded);
      for (let i = 0; i < list.length; i++) list.value(i);
    }),
    count,
    encoded.length,
  );
  row(
    'murmur2 of keys',
    time(() => {
      for (const key of keys) murmur2(key);
    }),
    count,
  );
  row(
    'LZ4 frame decode (1 MB out)',
    time(() => {
      for (let i = 0; i < 1_000_000 / lz4Out; i++) decompress(Compression.lz4, lz4);
    }),
    1_000_000 / lz4Out,
    1_000_000,
  );
  return rows;
}

export function codecTable(rows) {
  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  return [
    '| codec | per second | MB/s |',
    '| --- | --- | --- |',
    ...rows.map((r) => `| ${r.figure} | ${fmt(r.perSecond)} | ${r.mbPerSecond === undefined ? '—' : r.mbPerSecond.toFixed(0)} |`),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${codecTable(await codecBench())}\n`);
}
