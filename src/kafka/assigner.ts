import type { PartitionAssigner } from 'kafkajs';
import { partitionIds } from './internals.js';

type Kafkajs = typeof import('kafkajs');

/**
 * Kafka's RoundRobinAssignor ("roundrobin", as the Java client names it): partitions, topic by
 * topic, go round robin over the members subscribed to their topic. kafkajs's own round robin
 * hands every topic's partitions to every member, subscribed or not, which breaks a group whose
 * members read different topics (zps joins one member per topic).
 */
export function subscriptionRoundRobin(kafkajs: Kafkajs): PartitionAssigner {
  const { MemberMetadata, MemberAssignment } = kafkajs.AssignerProtocol;
  return ({ cluster }) => ({
    name: 'roundrobin',
    version: 0,
    protocol({ topics }) {
      return { name: 'roundrobin', metadata: MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
    },
    // kafkajs passes the leader's own topics: the group's are in its members' metadata
    async assign({ members }) {
      const subscribed = new Map(members.map((m) => [m.memberId, new Set(MemberMetadata.decode(m.memberMetadata)?.topics ?? [])]));
      const topics = [...new Set([...subscribed.values()].flatMap((set) => [...set]))].sort();
      const partitions = await partitionIds(cluster, topics);
      const ids = members.map((m) => m.memberId).sort();
      const assignments = new Map(ids.map((id) => [id, {} as Record<string, number[]>]));
      let next = 0;
      for (const topic of topics) {
        for (const partition of partitions.get(topic)!) {
          // the next member in circular order that reads this topic
          for (let tries = 0; tries < ids.length; tries++) {
            const id = ids[next++ % ids.length]!;
            if (subscribed.get(id)!.has(topic)) {
              (assignments.get(id)![topic] ??= []).push(partition);
              break;
            }
          }
        }
      }
      return ids.map((memberId) => ({
        memberId,
        memberAssignment: MemberAssignment.encode({ version: 0, assignment: assignments.get(memberId)!, userData: Buffer.alloc(0) }),
      }));
    },
  });
}
