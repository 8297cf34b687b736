/**
 * The partition assignors a zps member offers, as Kafka's Java client computes them, so that
 * whichever member of a mixed group leads (Java, librdkafka, zps) the same partitions go to the
 * same members: `roundrobin` (RoundRobinAssignor) first, then `range` (RangeAssignor).
 */
import type { AssignedPartitions } from '../../wire/kafka/consumer-protocol.js';

/** A member as the leader sees it: its id and the topics it subscribed to. */
export interface Subscriber {
  memberId: string;
  /** Static membership's id: Java orders members by it when they have one. */
  groupInstanceId: string | null;
  topics: string[];
}

/** member id → its partitions; `partitions`: each subscribed topic's partition count. */
export type Assignor = (members: readonly Subscriber[], partitions: ReadonlyMap<string, number>) => Map<string, AssignedPartitions>;

/** Protocol names in the order of preference the member gives the coordinator. */
export const ASSIGNORS: ReadonlyArray<readonly [name: string, assign: Assignor]> = [
  ['roundrobin', roundRobin],
  ['range', range],
];

/**
 * RoundRobinAssignor: every subscribed topic's partitions, topics in name order, dealt out in
 * circular member order, each to the next member subscribed to its topic.
 */
export function roundRobin(members: readonly Subscriber[], partitions: ReadonlyMap<string, number>): Map<string, AssignedPartitions> {
  const ordered = inJavaOrder(members);
  const assigned = new Map(ordered.map((m) => [m.memberId, new Map<string, number[]>()]));
  const topics = [...new Set(ordered.flatMap((m) => m.topics))].sort();
  let next = 0;
  for (const topic of topics) {
    for (let partition = 0; partition < (partitions.get(topic) ?? 0); partition++) {
      for (let tries = 0; tries < ordered.length; tries++) {
        const member = ordered[next++ % ordered.length]!;
        if (!member.topics.includes(topic)) continue;
        add(assigned.get(member.memberId)!, topic, partition);
        break;
      }
    }
  }
  return toAssignments(assigned);
}

/**
 * RangeAssignor: per topic, its partitions in consecutive ranges over the members subscribed to it
 * in member order, the first ones one partition more when they do not divide evenly.
 */
export function range(members: readonly Subscriber[], partitions: ReadonlyMap<string, number>): Map<string, AssignedPartitions> {
  const ordered = inJavaOrder(members);
  const assigned = new Map(ordered.map((m) => [m.memberId, new Map<string, number[]>()]));
  const topics = [...new Set(ordered.flatMap((m) => m.topics))].sort();
  for (const topic of topics) {
    const readers = ordered.filter((m) => m.topics.includes(topic));
    const count = partitions.get(topic) ?? 0;
    const each = Math.floor(count / readers.length);
    const extra = count % readers.length;
    readers.forEach((member, i) => {
      const start = each * i + Math.min(i, extra);
      const length = each + (i < extra ? 1 : 0);
      for (let partition = start; partition < start + length; partition++) add(assigned.get(member.memberId)!, topic, partition);
    });
  }
  return toAssignments(assigned);
}

/** Java's member order: by group instance id where members have one (they come first), then by member id. */
function inJavaOrder(members: readonly Subscriber[]): Subscriber[] {
  const key = (m: Subscriber) => [m.groupInstanceId === null ? 1 : 0, m.groupInstanceId ?? '', m.memberId] as const;
  return [...members].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return x[0] - y[0] || compare(x[1], y[1]) || compare(x[2], y[2]);
  });
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function add(topics: Map<string, number[]>, topic: string, partition: number): void {
  const list = topics.get(topic);
  if (list) list.push(partition);
  else topics.set(topic, [partition]);
}

function toAssignments(assigned: Map<string, Map<string, number[]>>): Map<string, AssignedPartitions> {
  return new Map([...assigned].map(([memberId, topics]) => [memberId, [...topics].map(([topic, partitions]) => ({ topic, partitions }))]));
}
