/**
 * The pieces of the daemon's Kafka listener that need no socket: listen addresses, idempotent
 * producers' sequences, and a produced batch read in place.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseListenAddress } from '../../src/daemon/kafka/address.js';
import { ProducerSequences } from '../../src/daemon/kafka/producer-sequences.js';
import { outgoingBatch } from '../../src/records/record-batch.js';
import { KafkaErrorCode } from '../../src/wire/kafka/errors.js';
import { encodeRecordBatch, ProducedBatch } from '../../src/wire/kafka/record-batch.js';
import { crc32c } from '../../src/wire/kafka/crc32c.js';

describe('listen addresses', () => {
  it('takes host:port, a port alone and [::1]:port on loopback; localhost is 127.0.0.1', () => {
    expect(parseListenAddress('127.0.0.1:9092', 'x')).toEqual({ host: '127.0.0.1', port: 9092 });
    expect(parseListenAddress('9093', 'x')).toEqual({ host: '127.0.0.1', port: 9093 });
    expect(parseListenAddress('localhost:0', 'x')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListenAddress('[::1]:9092', 'x')).toEqual({ host: '::1', port: 9092 });
    expect(parseListenAddress('127.0.0.2:1', 'x')).toEqual({ host: '127.0.0.2', port: 1 });
  });

  it('refuses other addresses and what is not an address, naming where it came from', () => {
    expect(() => parseListenAddress('0.0.0.0:9092', '--kafka')).toThrow(/^--kafka '0.0.0.0:9092' is not a loopback address/);
    expect(() => parseListenAddress('example.com:9092', 'ZPS_KAFKA_LISTEN')).toThrow(/^ZPS_KAFKA_LISTEN 'example.com:9092' is not a loopback address/);
    expect(() => parseListenAddress('[::]:9092', '--kafka')).toThrow(/not a loopback address/);
    expect(() => parseListenAddress('nine', '--kafka')).toThrow(/is not an address: give host:port/);
    expect(() => parseListenAddress('127.0.0.1:70000', '--kafka')).toThrow(/port 70000 is over 65535/);
  });
});

describe('idempotent producers', () => {
  const batch = (producerId: number, baseSequence: number, recordCount: number, producerEpoch = 0) => ({
    producerId,
    producerEpoch,
    baseSequence,
    recordCount,
  });

  it('stores a batch once: the same batch again is answered with its first offset; gaps and old epochs are refused', () => {
    const sequences = new ProducerSequences();
    const [id] = sequences.initProducer(-1, -1);
    const first = sequences.check(batch(id, 0, 3), 't', 0);
    first.stored!(10);
    expect(sequences.check(batch(id, 0, 3), 't', 0)).toEqual({ duplicateOf: 10 });
    expect(sequences.check(batch(id, 5, 1), 't', 0).errorCode).toBe(KafkaErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    sequences.check(batch(id, 3, 2), 't', 0).stored!(13);
    expect(sequences.check(batch(id, 0, 1), 't', 1).stored).toBeDefined(); // partitions count on their own
    expect(sequences.check(batch(id + 999, 0, 1), 't', 0).errorCode).toBe(KafkaErrorCode.UNKNOWN_PRODUCER_ID);
    const [sameId, epoch] = sequences.initProducer(id, 0);
    expect([sameId, epoch]).toEqual([id, 1]);
    expect(sequences.check(batch(id, 5, 1, 0), 't', 0).errorCode).toBe(KafkaErrorCode.INVALID_PRODUCER_EPOCH);
    expect(sequences.check(batch(id, 0, 1, 1), 't', 0).stored).toBeDefined(); // a new epoch starts at 0
    expect(sequences.check(batch(-1, -1, 1), 't', 0)).toEqual({}); // not idempotent: not checked
  });
});

describe('a produced batch, read in place', () => {
  const records = [
    { key: Buffer.from('k'), value: Buffer.from('one'), headers: [['h', Buffer.from('v')] as [string, Buffer]], partition: undefined },
    { key: null, value: null, headers: [] },
    { key: null, value: Buffer.from('three'), headers: [['n', null] as [string, null]] },
  ];
  const encoded = () => encodeRecordBatch(outgoingBatch(records), [0, 1, 2], 1_700_000_000_000);

  it('gives keys, values, tombstones, headers and timestamps as the producer wrote them, and packs the values', () => {
    const batch = ProducedBatch.read(encoded(), 4);
    expect(batch.length).toBe(3);
    expect(batch.partition()).toBe(4);
    expect([0, 1, 2].map((i) => [batch.key(i)?.toString() ?? null, batch.value(i)?.toString() ?? null, batch.valueLength(i), batch.timestamp(i)])).toEqual([
      ['k', 'one', 3, 1_700_000_000_000],
      [null, null, -1, 1_700_000_000_000],
      [null, 'three', 5, 1_700_000_000_000],
    ]);
    expect(batch.headers(0)).toEqual([['h', Buffer.from('v')]]);
    expect(batch.headers(2)).toEqual([['n', null]]);
    expect([0, 1, 2].map((i) => batch.size(i))).toEqual([1 + 3 + 2, 0, 5 + 1]);
    const packed = batch.packedValues();
    expect(packed.bytes.subarray(packed.starts[2], packed.starts[2]! + 5).toString()).toBe('three');
  });

  it('reads a compressed batch; refuses a broken CRC and a cut batch', () => {
    const plain = encoded();
    const body = gzipSync(plain.subarray(61));
    const gz = Buffer.concat([plain.subarray(0, 61), body]);
    gz.writeInt32BE(gz.byteLength - 12, 8);
    gz.writeInt16BE(1, 21);
    gz.writeUInt32BE(crc32c(gz, 21, gz.byteLength), 17);
    expect(ProducedBatch.read(gz, 0).value(2)?.toString()).toBe('three');
    const broken = Buffer.from(plain);
    broken[broken.byteLength - 1]! ^= 1;
    expect(() => ProducedBatch.read(broken, 0)).toThrow(/CRC/);
    expect(() => ProducedBatch.read(plain.subarray(0, 40), 0)).toThrow(/cut short/);
    expect(() => ProducedBatch.read(plain.subarray(0, plain.byteLength - 1), 0)).toThrow(/not exactly one record batch/);
  });
});
