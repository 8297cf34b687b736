import type { Consumer } from 'kafkajs';

/**
 * Starts partitions at the given offsets the first time the member is assigned them, before its
 * first fetch (kafkajs emits GROUP_JOIN synchronously, ahead of fetching; with autoCommit the seek
 * is committed). Later rebalances resume from commits as usual. This replaces admin.setOffsets,
 * which joins and leaves the group itself and costs seconds.
 */
export function seekOnJoin(consumer: Consumer, topic: string, starts: Map<number, number>): void {
  const pending = new Map(starts);
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    for (const partition of payload.memberAssignment[topic] ?? []) {
      const offset = pending.get(partition);
      if (offset === undefined) continue;
      pending.delete(partition);
      consumer.seek({ topic, partition, offset: String(offset) });
    }
  });
}
