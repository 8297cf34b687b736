/**
 * Kafka's limits on creating topics, as its KRaft controller applies them to one request: at most
 * 10,000 partitions in all, and at most 10,000 metadata records (one for each topic and one for each
 * of its partitions), so one topic has at most 9,999 partitions. Its words are the ones returned.
 */
const MAX_PARTITIONS_PER_REQUEST = 10_000;
const MAX_RECORDS_PER_USER_OP = 10_000;

/** Kafka's reason for refusing to create topics of these partition counts in one request; undefined when it would not. */
export function oversizedCreation(partitionCounts: readonly number[]): string | undefined {
  let partitions = 0;
  for (const count of partitionCounts) partitions += count;
  if (partitions > MAX_PARTITIONS_PER_REQUEST) return 'Excessively large number of partitions per request.';
  if (partitions + partitionCounts.length > MAX_RECORDS_PER_USER_OP) return 'Unable to perform excessively large batch operation.';
  return undefined;
}

/**
 * A topic's name as Kafka compares names for collisions: '.' and '_' are one character in the names
 * of its metrics, so `a.b` and `a_b` cannot both exist.
 */
export function unifiedName(name: string): string {
  return name.replaceAll('.', '_');
}

/** Kafka's words for a topic name that collides with `other`'s. */
export function collisionMessage(name: string, other: string): string {
  return `Topic '${name}' collides with existing topic: ${other}`;
}

/** The most partitions one topic can be created with. */
export const MAX_TOPIC_PARTITIONS = MAX_RECORDS_PER_USER_OP - 1;
