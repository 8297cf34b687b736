import { describe, expect, it } from 'vitest';
import { range, roundRobin, type Subscriber } from '../../src/kafka/group/assignors.js';
import { Writer } from '../../src/wire/kafka/bytes.js';
import { decodeSubscription, encodeSubscription } from '../../src/wire/kafka/consumer-protocol.js';

const member = (memberId: string, topics: string[], groupInstanceId: string | null = null): Subscriber => ({ memberId, groupInstanceId, topics });
const plain = (assigned: Map<string, Array<{ topic: string; partitions: number[] }>>) =>
  Object.fromEntries([...assigned].map(([id, topics]) => [id, topics.map((t) => `${t.topic}:${t.partitions.join(',')}`)]));

describe("the assignors, as Kafka's Java client computes them", () => {
  it('roundrobin: the examples of RoundRobinAssignor', () => {
    const partitions = new Map([
      ['t0', 3],
      ['t1', 3],
    ]);
    expect(plain(roundRobin([member('C1', ['t0', 't1']), member('C0', ['t0', 't1'])], partitions))).toEqual({
      C0: ['t0:0,2', 't1:1'],
      C1: ['t0:1', 't1:0,2'],
    });
    const uneven = new Map([
      ['t0', 1],
      ['t1', 2],
      ['t2', 3],
    ]);
    expect(plain(roundRobin([member('C0', ['t0']), member('C1', ['t0', 't1']), member('C2', ['t0', 't1', 't2'])], uneven))).toEqual({
      C0: ['t0:0'],
      C1: ['t1:0'],
      C2: ['t1:1', 't2:0,1,2'],
    });
  });

  it('range: consecutive ranges per topic, the first members one more; members with a group instance id first', () => {
    const partitions = new Map([
      ['t0', 3],
      ['t1', 3],
    ]);
    expect(plain(range([member('C0', ['t0', 't1']), member('C1', ['t0', 't1'])], partitions))).toEqual({ C0: ['t0:0,1', 't1:0,1'], C1: ['t0:2', 't1:2'] });
    expect(plain(range([member('a', ['t0']), member('b', ['t0'], 'static')], new Map([['t0', 3]])))).toEqual({ b: ['t0:0,1'], a: ['t0:2'] });
  });
});

describe("Kafka's ConsumerProtocol subscription", () => {
  it('reads back what it writes, and the topics and owned partitions of a later version (Java writes 3: generation and rack appended)', () => {
    const subscription = { topics: ['a', 'b'], ownedPartitions: [{ topic: 'a', partitions: [0, 2] }] };
    expect(decodeSubscription(encodeSubscription(subscription))).toEqual(subscription);
    const java = new Writer(64);
    java.int16(3).int32(1).string('t').bytes(null).int32(1).string('t').int32(1).int32(4).int32(7).string('rack-1');
    expect(decodeSubscription(java.finish())).toEqual({ topics: ['t'], ownedPartitions: [{ topic: 't', partitions: [4] }] });
    expect(decodeSubscription(Buffer.from([0]))).toBeUndefined();
  });
});
