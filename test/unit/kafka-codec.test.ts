/**
 * zps's Kafka codec (src/wire/kafka) against kafkajs's own: each reads what the other writes.
 * (kcat, librdkafka, reads and writes against it end to end in test/kafka.)
 */
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LineBatch } from '../../src/cli/publish/line-batch.js';
import { outgoingBatch } from '../../src/records/record-batch.js';
import type { OutgoingRecord } from '../../src/records/record.js';
import { Reader, Writer } from '../../src/wire/kafka/bytes.js';
import { crc32c } from '../../src/wire/kafka/crc32c.js';
import { Fetch, Produce } from '../../src/wire/kafka/messages.js';
import { batchHeader, decodeRecordBatches, encodeRecordBatch } from '../../src/wire/kafka/record-batch.js';

const require = createRequire(import.meta.url);
const { RecordBatch: KafkajsRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
const KafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0');
const KafkajsBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder');
const KafkajsDecoder = require('kafkajs/src/protocol/decoder');

const records: OutgoingRecord[] = [
  { key: Buffer.from('k1'), value: Buffer.from('{"n":1}'), headers: [] },
  {
    key: null,
    value: Buffer.from([0xff, 0x00, 0x80]),
    headers: [
      ['a', Buffer.from('1')],
      ['a', Buffer.from('2')],
      ['b', null],
    ],
  },
  { key: Buffer.from([0xfe]), value: null, headers: [] }, // a tombstone
  { key: Buffer.alloc(0), value: Buffer.alloc(0), headers: [['z', Buffer.alloc(0)]] },
  { key: null, value: Buffer.alloc(70_000, 0x61), headers: [] }, // lengths past one varint byte
];
const all = records.map((_, i) => i);

describe('CRC-32C', () => {
  it("matches the standard check value and kafkajs's implementation", () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    const kafkajsCrc = require('kafkajs/src/protocol/recordBatch/crc32C');
    const data = Buffer.from(Array.from({ length: 1_003 }, (_, i) => (i * 7919) & 0xff));
    for (const [start, end] of [
      [0, 1_003],
      [3, 1_000],
      [5, 6],
      [0, 0],
    ]) {
      expect(crc32c(data, start, end)).toBe(kafkajsCrc(data.subarray(start, end)) >>> 0);
    }
  });

  it('is the same at every alignment of the memory and every length around its 16-byte blocks', () => {
    const kafkajsCrc = require('kafkajs/src/protocol/recordBatch/crc32C');
    const memory = Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 131 + 17) & 0xff));
    for (let shift = 0; shift < 4; shift++) {
      const data = memory.subarray(shift); // a view whose byteOffset is not a multiple of 4
      for (let start = 0; start < 8; start++) {
        for (const length of [0, 1, 3, 4, 15, 16, 17, 31, 32, 33, 64, 100]) {
          expect(crc32c(data, start, start + length), `shift ${shift} start ${start} length ${length}`).toBe(
            kafkajsCrc(data.subarray(start, start + length)) >>> 0,
          );
        }
      }
    }
  });
});

describe('record batches, against kafkajs', () => {
  it("zps's batches decode with kafkajs's decoder, header and records", async () => {
    const bytes = encodeRecordBatch(outgoingBatch(records), all, 1_700_000_000_000, { producerId: 42, producerEpoch: 3, baseSequence: 100 });
    const decoded = await KafkajsBatchDecoder(new KafkajsDecoder(bytes));
    expect(decoded.producerId).toBe('42');
    expect(decoded.producerEpoch).toBe(3);
    expect(decoded.firstSequence).toBe(100);
    expect(decoded.records.map((r: { offset: string }) => r.offset)).toEqual(['0', '1', '2', '3', '4']);
    expect(decoded.records[0].key.toString()).toBe('k1');
    expect(decoded.records[1].value.equals(Buffer.from([0xff, 0x00, 0x80]))).toBe(true);
    expect(decoded.records[1].headers).toEqual({ a: [Buffer.from('1'), Buffer.from('2')], b: null });
    expect(decoded.records[2].value).toBeNull();
    expect(decoded.records[4].value.length).toBe(70_000);
    expect(batchHeader(bytes)).toMatchObject({ magic: 2, recordCount: 5, lastOffsetDelta: 4, producerId: 42, baseTimestamp: 1_700_000_000_000 });
    expect(batchHeader(bytes).crc).toBe(crc32c(bytes, 21, bytes.length));
  });

  it("kafkajs's batches (plain and gzip) decode with zps's decoder, byte for byte", async () => {
    for (const compression of [0, 1]) {
      const encoded = await KafkajsRecordBatch({
        compression,
        firstTimestamp: 1_000,
        maxTimestamp: 1_004,
        lastOffsetDelta: records.length - 1,
        records: records.map((r, i) =>
          KafkajsRecord({
            offsetDelta: i,
            timestampDelta: i,
            key: r.key,
            value: r.value,
            headers: Object.fromEntries(r.headers.filter(([, v]) => v !== null).map(([k, v]) => [k, v])),
          }),
        ),
      });
      const bytes = Buffer.concat([encoded.buffer]);
      const { records: decoded, nextOffset } = decodeRecordBatches(bytes, { topic: 't', partition: 3, fetchOffset: 0, verifyCrc: true });
      expect(nextOffset).toBe(5);
      expect(decoded.map((r) => [r.offset, r.timestamp, r.partition])).toEqual(records.map((_, i) => [i, 1_000 + i, 3]));
      decoded.forEach((record, i) => {
        expect(record.key).toEqual(records[i]!.key);
        expect(record.value).toEqual(records[i]!.value);
      });
    }
  });

  it('lines without keys or headers (their lengths as a column) encode byte for byte as the same records one by one', () => {
    const text = Buffer.from(`{"a":1}\n\nx\n${'v'.repeat(300)}\n`);
    const lines = new LineBatch([], undefined, 2);
    const values: Array<Buffer | null> = [];
    let start = 0;
    for (const [n, line] of text.toString().split('\n').slice(0, -1).entries()) {
      const tombstone = n === 2;
      lines.add(text, start, start + line.length, null, n + 1, tombstone);
      values.push(tombstone ? null : Buffer.from(line));
      start += line.length + 1;
    }
    expect(lines.plain()?.valueLengths).toEqual(Int32Array.from([7, 0, -1, 300]));
    expect(lines.plain()).toBe(lines.plain()); // made once for every partition and batch of them
    const one = outgoingBatch(values.map((value) => ({ key: null, value, headers: [] })));
    const producer = { producerId: 9, producerEpoch: 1, baseSequence: 4 };
    expect(encodeRecordBatch(lines, [1, 2, 3], 5, producer).equals(encodeRecordBatch(one, [1, 2, 3], 5, producer))).toBe(true);
    // a message added since: the column is made anew
    const growing = new LineBatch([], undefined, 2);
    growing.add(text, 0, 7, null, 1);
    expect(growing.plain()?.valueLengths).toEqual(Int32Array.from([7]));
    growing.add(text, 8, 8, null, 2);
    expect(growing.plain()?.valueLengths).toEqual(Int32Array.from([7, 0]));
    // a key or a header: no column, one by one
    const keyed = new LineBatch([['h', null]], undefined, 2);
    keyed.add(text, 0, 7, null, 1);
    expect(keyed.plain()).toBeUndefined();
  });

  it('leaves out records before the fetch offset, control batches and aborted transactions, and a batch cut short', () => {
    const first = encodeRecordBatch(outgoingBatch(records.slice(0, 2)), [0, 1], 1);
    const second = encodeRecordBatch(outgoingBatch(records.slice(0, 2)), [0, 1], 1, { producerId: 7, producerEpoch: 0, baseSequence: 0 });
    second.writeBigInt64BE(2n, 0); // base offset 2
    second.writeInt16BE(0x10, 21); // transactional
    second.writeUInt32BE(crc32c(second, 21, second.length), 17);
    const both = Buffer.concat([first, second]);
    expect(decodeRecordBatches(both, { topic: 't', partition: 0, fetchOffset: 1 }).records.map((r) => r.offset)).toEqual([1, 2, 3]);
    const aborted = decodeRecordBatches(both, { topic: 't', partition: 0, fetchOffset: 0, abortedTransactions: [{ producerId: 7, firstOffset: 2 }] });
    expect(aborted.records.map((r) => r.offset)).toEqual([0, 1]);
    expect(aborted.nextOffset).toBe(4); // past what was left out
    const cut = decodeRecordBatches(both.subarray(0, both.length - 5), { topic: 't', partition: 0, fetchOffset: 0 });
    expect([cut.records.length, cut.nextOffset]).toEqual([2, 2]);
    const compressed = Buffer.from(first);
    const gz = gzipSync(first.subarray(61));
    const gzBatch = Buffer.concat([first.subarray(0, 61), gz]);
    gzBatch.writeInt32BE(gzBatch.length - 12, 8);
    gzBatch.writeInt16BE(1, 21);
    expect(decodeRecordBatches(gzBatch, { topic: 't', partition: 0, fetchOffset: 0 }).records.map((r) => r.value)).toEqual(
      decodeRecordBatches(compressed, { topic: 't', partition: 0, fetchOffset: 0 }).records.map((r) => r.value),
    );
  });
});

describe('requests and responses, described once for every version', () => {
  it('Produce v3 and v7 requests write the same fields, and read back', () => {
    const request = {
      transactionalId: null,
      acks: -1,
      timeoutMs: 30_000,
      topicData: [{ name: 'orders', partitionData: [{ index: 0, records: Buffer.from('batch') }] }],
    };
    for (const version of [3, 7]) {
      const writer = new Writer(8);
      Produce.request.write(writer, request, version);
      const bytes = writer.finish();
      expect(Produce.request.read(new Reader(bytes), version)).toMatchObject(request);
    }
  });

  it('Fetch v4 and v11 differ by the fields their versions have', () => {
    const request = {
      replicaId: -1,
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 1,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: 't', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 5, logStartOffset: -1, partitionMaxBytes: 1024 }] }],
      forgottenTopicsData: [],
      rackId: '',
    };
    const size = (version: number) => {
      const writer = new Writer(8);
      Fetch.request.write(writer, request, version);
      return writer.finish().length;
    };
    expect(size(11) - size(4)).toBe(4 + 4 + 4 + 8 + 4 + 2); // session id and epoch, leader epoch, log start, forgotten topics, rack
    const response = {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [
        {
          topic: 't',
          partitions: [
            {
              partitionIndex: 0,
              errorCode: 0,
              highWatermark: 9,
              lastStableOffset: 9,
              logStartOffset: 0,
              abortedTransactions: [],
              preferredReadReplica: -1,
              records: Buffer.from('x'),
            },
          ],
        },
      ],
    };
    const writer = new Writer(8);
    Fetch.response.write(writer, response, 11);
    expect(Fetch.response.read(new Reader(writer.finish()), 11)).toMatchObject(response);
    expect(() => Fetch.response.read(new Reader(writer.finish().subarray(0, 20)), 11)).toThrow(/cut short/);
  });

  it('64-bit integers exact to 2^53, zigzag varints to 2^52', () => {
    const numbers = [0, -1, 1, 63, -64, 2 ** 31, -(2 ** 31) - 1, 2 ** 52 - 1, -(2 ** 52) + 1];
    const writer = new Writer(1);
    for (const n of numbers) writer.int64(n).varint(n);
    writer.int64(2 ** 53 - 1).int64(-(2 ** 53) + 1);
    const reader = new Reader(writer.finish());
    for (const n of numbers) expect([reader.int64(), reader.varint()]).toEqual([n, n]);
    expect([reader.int64(), reader.int64()]).toEqual([2 ** 53 - 1, -(2 ** 53) + 1]);
  });
});
