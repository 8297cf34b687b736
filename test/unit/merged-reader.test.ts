import { describe, expect, it } from 'vitest';
import { MergedReader } from '../../src/pubsub/merged-reader.js';
import type { RecordReader } from '../../src/pubsub/types.js';
import type { DeliveredRecord } from '../../src/records/record.js';

/** A reader whose next() answers when `answer` is called (a batch, null at its end, or an error), counting the reads asked. */
function heldReader(topic: string) {
  let settle: ((batch: DeliveredRecord[] | null | Error) => void) | undefined;
  const reader = {
    asked: 0,
    next: () => {
      reader.asked++;
      return new Promise<DeliveredRecord[] | null>((resolve, reject) => {
        settle = (batch) => (batch instanceof Error ? reject(batch) : resolve(batch));
      });
    },
    markDone: () => {},
    close: async () => settle?.(null),
    answer: (batch: DeliveredRecord[] | null | Error) => settle!(batch),
    record: (offset: number) => ({ topic, partition: 0, offset }) as DeliveredRecord,
  };
  return reader satisfies RecordReader;
}

/** Topics a and b, each with a held reader, read as one. */
function twoTopics() {
  const [a, b] = [heldReader('a'), heldReader('b')];
  const merged = new MergedReader();
  merged.add('a', a);
  merged.add('b', b);
  return { a, b, merged };
}

describe('MergedReader', () => {
  it('hands batches out in the order they came, asks each reader again only once its batch was taken, and ends when all have', async () => {
    const { a, b, merged } = twoTopics();
    const first = merged.next();
    b.answer([b.record(0)]);
    a.answer([a.record(0)]);
    expect(await first).toEqual([b.record(0)]);
    expect(await merged.next()).toEqual([a.record(0)]); // answered meanwhile: no wait
    expect([a.asked, b.asked]).toEqual([1, 2]); // a is asked again at the next call, once its batch is in hand
    const third = merged.next();
    a.answer(null);
    b.answer(null);
    expect(await third).toBeNull();
    expect([a.asked, b.asked]).toEqual([2, 2]);
  });

  it("a reader's failure is thrown, and again by every next() after it", async () => {
    const { a, b, merged } = twoTopics();
    const first = merged.next();
    a.answer(new Error('broker gone'));
    await expect(first).rejects.toThrow('broker gone');
    b.answer([b.record(0)]);
    await expect(merged.next()).rejects.toThrow('broker gone');
  });
});
