/**
 * Kafka's ConsumerProtocol assignment (version 0: topics with their partitions, no user data), in
 * which a group's description tells the partitions of its members on either door.
 */
import { Reader, Writer } from '../wire/kafka/bytes.js';

export type AssignedPartitions = Array<{ topic: string; partitions: number[] }>;

export function encodeAssignment(partitions: AssignedPartitions): Buffer {
  const writer = new Writer(64);
  writer.int16(0).int32(partitions.length);
  for (const { topic, partitions: list } of partitions) {
    writer.string(topic).int32(list.length);
    for (const partition of list) writer.int32(partition);
  }
  writer.int32(-1);
  return Buffer.from(writer.finish());
}

/** The topics and partitions of an assignment; none when it is not one (another protocol's). */
export function decodeAssignment(bytes: Buffer): AssignedPartitions {
  try {
    const reader = new Reader(bytes);
    reader.int16();
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
  } catch {
    return [];
  }
}
