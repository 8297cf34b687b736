/**
 * Kafka's ConsumerProtocol, the bytes a classic group's "consumer" members exchange through the
 * coordinator: a member's subscription (JoinGroup's metadata) and the leader's assignment
 * (SyncGroup's). Java, librdkafka and zps members read each other's; a group's description tells
 * the partitions of its members from the assignment.
 */
import { Reader, Writer } from './bytes.js';

export type AssignedPartitions = Array<{ topic: string; partitions: number[] }>;

/** Assignment version 0: topics with their partitions, no user data. */
export function encodeAssignment(partitions: AssignedPartitions): Buffer {
  const writer = new Writer(64);
  writer.int16(0);
  writePartitions(writer, partitions);
  writer.int32(-1);
  return Buffer.from(writer.finish());
}

/** The topics and partitions of an assignment; none when it is not one (another protocol's). */
export function decodeAssignment(bytes: Buffer): AssignedPartitions {
  try {
    const reader = new Reader(bytes);
    reader.int16();
    return readPartitions(reader);
  } catch {
    return [];
  }
}

/** A member's subscription: the topics it reads, and the partitions it owns as it joins. */
export interface Subscription {
  topics: string[];
  ownedPartitions: AssignedPartitions;
}

/** Subscription version 1: topics, no user data, owned partitions (later versions' generation and rack are left out). */
export function encodeSubscription({ topics, ownedPartitions }: Subscription): Buffer {
  const writer = new Writer(64);
  writer.int16(1).int32(topics.length);
  for (const topic of topics) writer.string(topic);
  writer.int32(-1);
  writePartitions(writer, ownedPartitions);
  return Buffer.from(writer.finish());
}

/**
 * A subscription of any version: a reader of one version reads the fields it knows, as Kafka's
 * own do (later versions only append). Undefined when the bytes are not one.
 */
export function decodeSubscription(bytes: Buffer): Subscription | undefined {
  try {
    const reader = new Reader(bytes);
    const version = reader.int16();
    const count = reader.int32();
    const topics: string[] = [];
    for (let t = 0; t < count; t++) topics.push(reader.string() ?? '');
    reader.bytes(); // user data
    return { topics, ownedPartitions: version >= 1 ? readPartitions(reader) : [] };
  } catch {
    return undefined;
  }
}

function writePartitions(writer: Writer, partitions: AssignedPartitions): void {
  writer.int32(partitions.length);
  for (const { topic, partitions: list } of partitions) {
    writer.string(topic).int32(list.length);
    for (const partition of list) writer.int32(partition);
  }
}

function readPartitions(reader: Reader): AssignedPartitions {
  const topics = reader.int32();
  const result: AssignedPartitions = [];
  for (let t = 0; t < topics; t++) {
    const topic = reader.string() ?? '';
    const count = reader.int32();
    const partitions: number[] = [];
    for (let i = 0; i < count; i++) partitions.push(reader.int32());
    result.push({ topic, partitions });
  }
  return result;
}
