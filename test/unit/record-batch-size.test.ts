import { describe, expect, it } from 'vitest';
import { recordBytes, singleRecordBatchBytes, varintBytes } from '../../src/wire/record-batch-size.js';

describe('record batch sizes, as the broker counts them against max.message.bytes', () => {
  it('zigzag varints', () => {
    expect([0, -1, 1, 63, -64, 64, 8191, 8192, 1048576].map(varintBytes)).toEqual([1, 1, 1, 1, 1, 2, 2, 3, 4]);
  });

  it('a batch of one record: 61 bytes of header, the record with its deltas at 0', () => {
    // measured against Kafka 4.1: a 1,048,516-byte value fits the default 1,048,588, one more byte does not
    expect(singleRecordBatchBytes(-1, 1_048_516, [])).toBe(1_048_588);
    expect(singleRecordBatchBytes(-1, 1_048_517, [])).toBe(1_048_589);
    expect(
      singleRecordBatchBytes(3, 5, [
        ['h', Buffer.from('v')],
        ['n', null],
      ]),
    ).toBe(61 + 1 + 21);
  });

  it('bounds the deltas of a record in a larger batch', () => {
    expect(recordBytes(-1, 10, [])).toBeGreaterThan(singleRecordBatchBytes(-1, 10, []) - 61);
  });
});
