/**
 * One consumer group as the coordinator (group-coordinator.ts) keeps it, modelled on Kafka's: committed
 * offsets per partition, whichever door the members came through, and the members of one door:
 * zps's own consumers (for each subscribed topic, who owns which partition) or Kafka clients (the
 * classic protocol's state, classic-group.ts).
 */
import type { ClassicGroup } from './classic-group.js';
import type { AssignedPartitions } from '../wire/kafka/consumer-protocol.js';

/** A member of either door as a group's description tells it: Kafka's DescribeGroups fields, and its partitions. */
export interface MemberDescription {
  id: string;
  instanceId: string | null;
  clientId: string;
  host: string;
  partitions: AssignedPartitions;
  /** Its protocol metadata and assignment, as Kafka clients read them. */
  metadata: Buffer;
  assignment: Buffer;
}

/** A zps consumer in a group: one topic, read from the partitions it owns. */
export interface Member {
  readonly id: string;
  readonly group: string;
  readonly topic: string;
  /** Partitions this member owns, with the offset its next poll reads from. */
  readonly positions: Map<number, number>;
  /** Owned partitions it must release (after committing) so their new owner can start. */
  readonly revoking: Set<number>;
}

export class Subscription {
  /** In join order: the assignment is a pure function of this list. */
  readonly members: Member[] = [];
  readonly owners = new Map<number, Member>();

  /** Forgets who owns what: the members start over when their topic comes back. */
  restart(): void {
    this.owners.clear();
    for (const member of this.members) {
      member.positions.clear();
      member.revoking.clear();
    }
  }
}

export class Group {
  /** topic → partition → next offset to consume. */
  readonly committed = new Map<string, Map<number, number>>();
  /** Where partitions with no commit start, fixed when the group first subscribed to the topic. */
  readonly startAt = new Map<string, Map<number, number>>();
  /** zps's own consumers, by topic. */
  readonly subscriptions = new Map<string, Subscription>();
  /** Kafka clients' membership, made when the first one joins. */
  classic: ClassicGroup | undefined;

  positionFor(topic: string, partition: number): number | undefined {
    return this.committed.get(topic)?.get(partition) ?? this.startAt.get(topic)?.get(partition);
  }

  commit(topic: string, partition: number, offset: number): void {
    let offsets = this.committed.get(topic);
    if (!offsets) this.committed.set(topic, (offsets = new Map()));
    offsets.set(partition, offset);
  }

  forgetTopic(topic: string): void {
    this.committed.delete(topic);
    this.startAt.delete(topic);
  }

  forgetPartition(topic: string, partition: number): void {
    for (const offsets of [this.committed, this.startAt]) {
      const ofTopic = offsets.get(topic);
      ofTopic?.delete(partition);
      if (ofTopic?.size === 0) offsets.delete(topic);
    }
  }

  get hasLocalMembers(): boolean {
    return this.subscriptions.size > 0;
  }

  get hasKafkaMembers(): boolean {
    return (this.classic?.members.size ?? 0) > 0;
  }

  /** Nothing to tell of: no member on either door, no offsets. */
  get isEmpty(): boolean {
    return !this.hasLocalMembers && !this.hasKafkaMembers && this.committed.size === 0 && this.startAt.size === 0;
  }
}

/** Round robin over members in join order, as Kafka's RoundRobinAssignor does for one topic. */
export function desiredOwner(partition: number, members: readonly Member[]): Member | undefined {
  return members.length === 0 ? undefined : members[partition % members.length];
}
