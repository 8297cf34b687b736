import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { plainFormatter } from '../../src/cli/format.js';
import { Output } from '../../src/cli/output.js';
import { outgoingBatch } from '../../src/records/record-batch.js';
import { FetchedRecord, type DeliveredRecord, type OutgoingRecord } from '../../src/records/record.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/wire/kafka/record-batch.js';

const values: Array<Buffer | null> = [
  Buffer.from('{"id":1,"s":"a b"}'), // JSON without whitespace outside strings, a space inside one
  Buffer.from('{ "id" : 2,\n "s" : "a  b" }'), // JSON over lines: compacted
  null, // a tombstone: an empty line
  Buffer.from('plain text, with spaces'), // not JSON: as stored
  Buffer.alloc(0),
  Buffer.from([0xff, 0x00, 0x80]),
];
const printed = ['{"id":1,"s":"a b"}', '{"id":2,"s":"a  b"}', '', 'plain text, with spaces', ''];

/** Records as a Kafka fetch hands them out: decoded from an encoded batch. */
function fetched(): DeliveredRecord[] {
  const records: OutgoingRecord[] = values.map((value) => ({ key: null, value, headers: [] }));
  const batch = encodeRecordBatch(
    outgoingBatch(records),
    records.map((_, i) => i),
    1_000,
  );
  return decodeRecordBatches(batch, { topic: 't', partition: 0, fetchOffset: 0 }).records;
}

async function plainOutput(records: readonly DeliveredRecord[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const out = new Output(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(Buffer.from(chunk));
        done();
      },
    }),
  );
  for (const record of records) plainFormatter(record, out);
  await out.flush();
  return Buffer.concat(chunks);
}

describe('the plain output of fetched records', () => {
  const expected = Buffer.concat([Buffer.from(`${printed.join('\n')}\n`), Buffer.from([0xff, 0x00, 0x80, 0x0a])]);

  it('prints values from the fetched bytes: as stored, JSON over lines on one, a tombstone as an empty line', async () => {
    const records = fetched();
    expect(records.every((record) => record instanceof FetchedRecord)).toBe(true);
    expect(await plainOutput(records)).toEqual(expected);
  });

  it('prints the same for records whose value is their own (a decoder made them, say)', async () => {
    const own = fetched().map((record) => ({ ...record, value: record.value }));
    expect(own.every((record) => !(record instanceof FetchedRecord))).toBe(true);
    expect(await plainOutput(own)).toEqual(expected);
  });

  it("a fetched record's value, null for a tombstone, is its bytes each time it is asked for", () => {
    const records = fetched();
    expect(records.map((record) => record.value)).toEqual(values);
    expect(records[0]!.value).toEqual(records[0]!.value);
  });
});
