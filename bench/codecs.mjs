#!/usr/bin/env node
/**
 * Microbenchmarks of zps's byte-level code (src/wire), so a speed change is measured where it is
 * made: each figure is the median of 5 timed passes over the same data, after a warm-up pass.
 *   npm run bench:codecs        (also a section of `npm run bench`)
 */
import { createRequire } from 'node:module';
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

/** time() for work that returns a promise (kafkajs's codec is asynchronous). */
async function timeAsync(work, passes = 5) {
  await work();
  const seconds = [];
  for (let i = 0; i < passes; i++) {
    const started = process.hrtime.bigint();
    await work();
    seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
  }
  return seconds.sort((a, b) => a - b)[Math.floor(passes / 2)];
}

export async function codecBench(count = 200_000) {
  const { isJsonValue, compactJson } = await dist('wire/json-text.js');
  const { encodeRecords, WireRecords } = await dist('wire/daemon-records.js');
  const { outgoingBatch } = await dist('records/record-batch.js');
  const { murmur2 } = await dist('wire/murmur2.js');
  const { decompress, Compression } = await dist('wire/compression.js');
  const { encodeRecordBatch, decodeRecordBatches } = await dist('wire/kafka/record-batch.js');
  const { crc32c } = await dist('wire/kafka/crc32c.js');
  const require = createRequire(join(root, 'package.json'));
  const { RecordBatch: KafkajsRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
  const KafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0');
  const KafkajsBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder');
  const KafkajsDecoder = require('kafkajs/src/protocol/decoder');

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

  // Kafka record batches of 1,000 records, as zps publish sends them
  const BATCH = 1_000;
  const batchIndexes = Array.from({ length: count / BATCH }, (_, b) => Uint32Array.from({ length: BATCH }, (_, n) => b * BATCH + n));
  const packed = records.packedValues();
  const kafkaBatches = batchIndexes.map((indexes) => encodeRecordBatch(records, indexes, 1_700_000_000_000, undefined, packed));
  const kafkaBytes = kafkaBatches.reduce((sum, batch) => sum + batch.length, 0);
  const kafkajsRecords = batchIndexes.map((indexes) =>
    Array.from(indexes, (i, n) => KafkajsRecord({ offsetDelta: n, timestampDelta: 0, key: records.key(i), value: lines[i], headers: {} })),
  );

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
    'Kafka record batch: encode (zps)',
    time(() => {
      for (const indexes of batchIndexes) encodeRecordBatch(records, indexes, 1_700_000_000_000, undefined, packed);
    }),
    count,
    kafkaBytes,
  );
  row(
    "Kafka record batch: encode (kafkajs's codec)",
    await timeAsync(async () => {
      for (const batch of kafkajsRecords) await KafkajsRecordBatch({ firstTimestamp: 1_700_000_000_000, maxTimestamp: 1_700_000_000_000, records: batch });
    }),
    count,
    kafkaBytes,
  );
  row(
    'Kafka record batch: decode (zps)',
    time(() => {
      for (const batch of kafkaBatches) decodeRecordBatches(batch, { topic: 't', partition: 0, fetchOffset: 0 });
    }),
    count,
    kafkaBytes,
  );
  row(
    "Kafka record batch: decode (kafkajs's codec)",
    await timeAsync(async () => {
      for (const batch of kafkaBatches) await KafkajsBatchDecoder(new KafkajsDecoder(batch));
    }),
    count,
    kafkaBytes,
  );
  row(
    'CRC-32C of the batches',
    time(() => {
      for (const batch of kafkaBatches) crc32c(batch, 21, batch.length);
    }),
    kafkaBatches.length,
    kafkaBytes,
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
  rows.push(...(await registryDecodeRows(count / 4)));
  return rows;
}

/**
 * A registry-framed value to its JSON text, as consume does it: Avro with avsc (what the registry
 * client decodes with), Protobuf with zps's own framing and JSON mapping over protobufjs.
 */
async function registryDecodeRows(count) {
  const require = createRequire(join(root, 'package.json'));
  const avro = require('avsc').Type.forSchema({
    type: 'record',
    name: 'Order',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'user', type: 'string' },
      { name: 'amount', type: 'double' },
      { name: 'count', type: 'long' },
      { name: 'ok', type: 'boolean' },
      { name: 'tags', type: { type: 'array', items: 'string' } },
    ],
  });
  const { protobufDecoder } = await dist('kafka/protobuf/registry.js');
  const { writeMessageIndexes } = await dist('kafka/protobuf/message-indexes.js');
  const proto =
    'syntax = "proto3"; message Order { string id = 1; string user = 2; double amount = 3; int64 count = 4; bool ok = 5; repeated string tags = 6; }';
  const decodeProtobuf = await protobufDecoder(1, { schema: proto }, { version: async () => ({ schema: '' }), register: async () => ({ id: 1, version: 1 }) });
  const protobuf = (await import('protobufjs')).default;
  const protoType = protobuf.parse(proto, { keepCase: true }).root.lookupType('Order');
  const header = Buffer.from([0, 0, 0, 0, 1]);
  const orders = Array.from({ length: count }, (_, i) => ({
    id: `o-${i}`,
    user: `u-${i % 10_000}`,
    amount: (i % 997) / 10,
    count: i,
    ok: true,
    tags: ['a', 'b'],
  }));
  const avroValues = orders.map((order) => Buffer.concat([header, avro.toBuffer(order)]));
  const protobufValues = orders.map((order) => Buffer.concat([header, writeMessageIndexes([0]), protoType.encode(order).finish()]));
  const bytesOf = (values) => values.reduce((sum, value) => sum + value.length, 0);
  const decodeRow = (figure, values, decode) => {
    const seconds = time(() => {
      for (const value of values) JSON.stringify(decode(value));
    });
    return { figure, perSecond: count / seconds, mbPerSecond: bytesOf(values) / seconds / 1e6 };
  };
  return [
    decodeRow('registry value to JSON: Avro (avsc)', avroValues, (value) => avro.fromBuffer(value.subarray(5))),
    decodeRow('registry value to JSON: Protobuf (message indexes, JSON mapping)', protobufValues, decodeProtobuf),
  ];
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
