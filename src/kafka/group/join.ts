import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../../wire/kafka/consumer-protocol.js';
import { KafkaErrorCode } from '../../wire/kafka/errors.js';
import { brokerError, JoinGroup, Metadata, SyncGroup } from '../../wire/kafka/messages.js';
import { anyBroker, callBroker, type Cluster } from '../internals.js';
import { ASSIGNORS } from './assignors.js';
import type { GroupCoordinator } from './coordinator.js';

/** A member in a generation of the group, with its partitions of its topic. */
export interface Joined {
  memberId: string;
  generation: number;
  partitions: number[];
  /** The leader's: the partition counts of the group's topics it assigned. */
  assignedOver?: Map<string, number>;
}

export interface JoinOptions {
  /** The member's id from an earlier generation, or '' for a new member. */
  memberId: string;
  topic: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  /** The member left meanwhile: it stops joining. */
  stopped(): boolean;
  /** Told the id the member joins as ('' until the coordinator gave it one), which a member leaving meanwhile leaves as. */
  joiningAs(memberId: string): void;
}

/** Answers after which a join starts over (as a new member when the coordinator forgot this one). */
const JOIN_AGAIN: ReadonlySet<number> = new Set([
  KafkaErrorCode.REBALANCE_IN_PROGRESS,
  KafkaErrorCode.ILLEGAL_GENERATION,
  KafkaErrorCode.UNKNOWN_MEMBER_ID,
  KafkaErrorCode.FENCED_INSTANCE_ID,
]);
const JOIN_AGAIN_MS = 100;

/**
 * Joins the group as a "consumer" member (JoinGroup, then SyncGroup), the leader assigning every
 * member's partitions with the protocol the coordinator chose. Undefined when stopped meanwhile.
 */
export async function joinGroup(coordinator: GroupCoordinator, cluster: Cluster, timeoutMs: number, options: JoinOptions): Promise<Joined | undefined> {
  let memberId = options.memberId;
  const metadata = encodeSubscription({ topics: [options.topic], ownedPartitions: [] });
  while (!options.stopped()) {
    options.joiningAs(memberId);
    const join = await coordinator.send(
      JoinGroup,
      {
        groupId: coordinator.group,
        sessionTimeoutMs: options.sessionTimeoutMs,
        rebalanceTimeoutMs: options.rebalanceTimeoutMs,
        memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: ASSIGNORS.map(([name]) => ({ name, metadata })),
      },
      (r) => r.errorCode,
      options.rebalanceTimeoutMs,
    );
    // the coordinator gives a new member its id, to join with (JoinGroup v4 and later)
    if (join.errorCode === KafkaErrorCode.MEMBER_ID_REQUIRED) {
      memberId = join.memberId;
      continue;
    }
    if (JOIN_AGAIN.has(join.errorCode)) {
      if (join.errorCode !== KafkaErrorCode.REBALANCE_IN_PROGRESS) memberId = '';
      await new Promise((resolve) => setTimeout(resolve, JOIN_AGAIN_MS));
      continue;
    }
    if (join.errorCode !== KafkaErrorCode.NONE) throw brokerError(join.errorCode, `joining group ${coordinator.group}`);
    memberId = join.memberId;
    options.joiningAs(memberId);
    const leading = join.leader === memberId ? await assign(cluster, timeoutMs, join.protocolName ?? '', join.members) : undefined;
    if (options.stopped()) return undefined;
    const sync = await coordinator.send(
      SyncGroup,
      {
        groupId: coordinator.group,
        generationId: join.generationId,
        memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocolName: join.protocolName,
        assignments: leading?.assignments ?? [],
      },
      (r) => r.errorCode,
    );
    if (JOIN_AGAIN.has(sync.errorCode)) {
      if (sync.errorCode === KafkaErrorCode.UNKNOWN_MEMBER_ID) memberId = '';
      continue;
    }
    if (sync.errorCode !== KafkaErrorCode.NONE) throw brokerError(sync.errorCode, `joining group ${coordinator.group}`);
    const partitions = decodeAssignment(sync.assignment ?? Buffer.alloc(0))
      .filter((t) => t.topic === options.topic)
      .flatMap((t) => t.partitions)
      .sort((a, b) => a - b);
    return { memberId, generation: join.generationId, partitions, ...(leading && { assignedOver: leading.counts }) };
  }
  return undefined;
}

/** The leader's assignment of every member, over the topics they subscribed to (zps's own or not), counted from Metadata. */
async function assign(
  cluster: Cluster,
  timeoutMs: number,
  protocol: string,
  members: ReadonlyArray<{ memberId: string; groupInstanceId: string | null; metadata: Buffer | null }>,
): Promise<{ assignments: Array<{ memberId: string; assignment: Buffer }>; counts: Map<string, number> }> {
  const assignor = ASSIGNORS.find(([name]) => name === protocol)?.[1];
  if (!assignor) throw new Error(`the group chose the assignor ${protocol}, which zps does not have`);
  const subscribers = members.map((m) => ({ ...m, topics: decodeSubscription(m.metadata ?? Buffer.alloc(0))?.topics ?? [] }));
  const counts = await partitionCounts(cluster, timeoutMs, [...new Set(subscribers.flatMap((s) => s.topics))]);
  const assigned = assignor(subscribers, counts);
  return { assignments: subscribers.map(({ memberId }) => ({ memberId, assignment: encodeAssignment(assigned.get(memberId) ?? []) })), counts };
}

/** How many partitions each topic has (topics that do not exist left out). */
export async function partitionCounts(cluster: Cluster, timeoutMs: number, topics: readonly string[]): Promise<Map<string, number>> {
  const metadata = await callBroker(
    await anyBroker(cluster),
    Metadata,
    {
      topics: topics.map((name) => ({ name })),
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    },
    timeoutMs,
  );
  return new Map(metadata.topics.filter((t) => t.errorCode === KafkaErrorCode.NONE && t.name !== null).map((t) => [t.name!, t.partitions.length]));
}
