/**
 * Consumer-group state of the memory broker, modelled on Kafka's: committed offsets per partition,
 * and for each subscribed topic the members and which member owns which partition.
 */

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
}

export class Group {
  /** topic → partition → next offset to consume. */
  readonly committed = new Map<string, Map<number, number>>();
  /** Where partitions with no commit start, fixed when the group first subscribed to the topic. */
  readonly startAt = new Map<string, Map<number, number>>();
  readonly subscriptions = new Map<string, Subscription>();

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

  get isEmpty(): boolean {
    return this.subscriptions.size === 0 && this.committed.size === 0 && this.startAt.size === 0;
  }
}

/** Round robin over members in join order, as Kafka's RoundRobinAssignor does for one topic. */
export function desiredOwner(partition: number, members: readonly Member[]): Member | undefined {
  return members.length === 0 ? undefined : members[partition % members.length];
}
