/** The pieces of `zps publish`, each on its own: the line encoder, and the pipelined sender. */
import { describe, expect, it } from 'vitest';
import { ZpsError, tooLargeError } from '../../src/pubsub/errors.js';
import type { AckRun, RecordBatch } from '../../src/records/record-batch.js';
import type { PreparedTopic } from '../../src/pubsub/types.js';
import { lineEncoder } from '../../src/cli/publish/line-encoder.js';
import { PipelinedSender } from '../../src/cli/publish/pipelined-sender.js';

const text = (bytes: Buffer, start: number, end: number) => bytes.toString('utf8', start, end);

describe('the line encoder', () => {
  it('keeps a value as its bytes, splits a key at the delimiter, and makes tombstones of empty values', () => {
    const encode = lineEncoder({ key: null, delimiter: Buffer.from('::'), tombstones: true, raw: false });
    const line = Buffer.from('k::{"a": 1}');
    const message = encode(line, 0, line.length);
    expect([message.key?.toString(), text(message.bytes, message.start, message.end), message.tombstone]).toEqual(['k', '{"a": 1}', false]);
    const gone = Buffer.from('gone::');
    expect(encode(gone, 0, gone.length)).toMatchObject({ tombstone: true });
    const plain = Buffer.from('no delimiter');
    expect(encode(plain, 0, plain.length)).toMatchObject({ key: null, tombstone: false });
  });

  it('gives a schema the parsed JSON, or with --raw the string', () => {
    const seen: unknown[] = [];
    const schema = (value: unknown) => {
      seen.push(value);
      return Buffer.from('encoded');
    };
    const line = Buffer.from('{"n":1}');
    const encoded = lineEncoder({ key: null, tombstones: false, raw: false, schema })(line, 0, line.length);
    expect(text(encoded.bytes, encoded.start, encoded.end)).toBe('encoded');
    lineEncoder({ key: null, tombstones: false, raw: true, schema })(line, 0, line.length);
    expect(seen).toEqual([{ n: 1 }, '{"n":1}']);
  });

  it('gives a key schema each key parsed as JSON (else its text), a fixed -k key once', () => {
    const seen: unknown[] = [];
    const keySchema = (key: unknown) => {
      seen.push(key);
      return Buffer.from(`K${seen.length}`);
    };
    const split = lineEncoder({ key: null, delimiter: Buffer.from('|'), tombstones: false, raw: true, keySchema });
    const keys = ['{"id":1}|v', 'plain|v', 'no key'].map((line) => split(Buffer.from(line), 0, line.length).key?.toString() ?? null);
    expect(keys).toEqual(['K1', 'K2', null]);
    const fixed = lineEncoder({ key: Buffer.from('7'), tombstones: false, raw: false, keySchema });
    const line = Buffer.from('v');
    expect([fixed(line, 0, 1).key?.toString(), fixed(line, 0, 1).key?.toString()]).toEqual(['K3', 'K3']);
    expect(seen).toEqual([{ id: 1 }, 'plain', 7]);
  });
});

/** A prepared topic that stores batches in memory, failing the batches whose numbers are given. */
function fakeTopic(failing: number[] = []): PreparedTopic & { sent: string[][] } {
  let next = 0;
  const sent: string[][] = [];
  return {
    sent,
    partitions: 1,
    check: (_key, valueLength) => {
      if (valueLength > 100) throw tooLargeError(`message is ${valueLength} bytes`);
    },
    async send(records: RecordBatch): Promise<AckRun[]> {
      const n = next++;
      await new Promise((resolve) => setImmediate(resolve));
      if (failing.includes(n)) throw new ZpsError(`batch ${n} refused`);
      sent.push(Array.from({ length: records.length }, (_, i) => records.value(i)!.toString()));
      return [[0, 0, records.length]];
    },
  };
}

async function pipe(prepared: PreparedTopic, count: number, bad?: number) {
  let inputEnded = false;
  const pipeline = new PipelinedSender('t', prepared, { kind: 'line', headers: [] });
  const encode = lineEncoder({ key: null, tombstones: false, raw: false });
  for (let position = 1; position <= count; position++) {
    const line = Buffer.from(position === bad ? 'x'.repeat(200) : `m${position}`);
    try {
      pipeline.add(encode(line, 0, line.length), position);
    } catch (error) {
      pipeline.fail(error, position);
      break;
    }
    await pipeline.flow();
    if (pipeline.failed) break;
    if (position === count) inputEnded = true;
  }
  return pipeline.finish(inputEnded);
}

describe('the pipelined sender', () => {
  it('sends batches of up to 8,000 messages, in order', async () => {
    const topic = fakeTopic();
    expect(await pipe(topic, 20_000)).toEqual({ published: 20_000, batches: 3 });
    expect(topic.sent.map((batch) => batch.length)).toEqual([8_000, 8_000, 4_000]);
    expect(topic.sent.flat()).toEqual(Array.from({ length: 20_000 }, (_, i) => `m${i + 1}`));
  });

  it('publishes what comes before a bad line, nothing after, and says so', async () => {
    const topic = fakeTopic();
    const error = (await pipe(topic, 1_500, 1_200).catch((e: unknown) => e)) as ZpsError;
    expect(error.message).toBe('publish to t failed at line 1200: message is 200 bytes');
    expect(error.code).toBe('too-large');
    expect(error.hint).toBe('1199 messages published before the failure; line 1200 and what follows it were not published');
    expect(topic.sent.flat()).toHaveLength(1_199);
  });

  it('names exactly what was not published when batches behind a refused one were stored', async () => {
    // batch 1 refused, batches 2 to 4 (in flight behind it) stored, nothing sent after that
    const topic = fakeTopic([1]);
    const error = (await pipe(topic, 100_000).catch((e: unknown) => e)) as ZpsError;
    expect(error.message).toBe('publish to t failed at line 8001: batch 1 refused');
    expect(error.hint).toBe('not published: lines 8001-16000 and from line 40001 on; every other message was');
    expect(topic.sent.flat()).toEqual(Array.from({ length: 32_000 }, (_, i) => `m${i < 8_000 ? i + 1 : i + 8_001}`));
  });

  it('names the lines never sent when the input ended behind a refused batch', async () => {
    const topic = fakeTopic([0, 2]);
    const error = (await pipe(topic, 20_000).catch((e: unknown) => e)) as ZpsError;
    expect(error.hint).toBe('not published: lines 1-8000, 16001-20000; every other message was');
  });
});
