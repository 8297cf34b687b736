import { partitionForKey } from '../wire/murmur2.js';
import { usageError } from './errors.js';
import { plural } from './wording.js';

/** Throws the usage error of a record that names a partition the topic does not have. */
export function checkPartition(topic: string, partition: number, partitions: number): void {
  if (!(Number.isInteger(partition) && partition >= 0 && partition < partitions)) {
    throw usageError(`partition ${partition} does not exist: topic ${topic} has ${plural(partitions, 'partition')}`);
  }
}

/**
 * Kafka's default choice of partition: murmur2 of the key, so a key lands where Java clients put
 * it; records without a key round robin, per topic, from `start`.
 */
export class Partitioner {
  private readonly cursors = new Map<string, number>();

  constructor(private readonly start: () => number = () => 0) {}

  choose(topic: string, key: Uint8Array | null, partitions: number): number {
    if (key !== null) return partitionForKey(key, partitions);
    const next = this.cursors.get(topic) ?? this.start();
    this.cursors.set(topic, next + 1);
    return next % partitions;
  }
}
