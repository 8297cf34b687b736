/**
 * Confluent's Protobuf framing puts, between the schema id and the Protobuf bytes, the path of the
 * message in its file: indexes into the file's messages, then into each one's nested messages, as
 * zigzag varints (the count, then each index); the first message of the file, [0], is a single 0.
 */

/** The message-index array as Confluent's serializers write it. */
export function writeMessageIndexes(indexes: readonly number[]): Buffer {
  if (indexes.length === 1 && indexes[0] === 0) return Buffer.from([0]);
  const bytes: number[] = [];
  for (const n of [indexes.length, ...indexes]) writeZigzag(n, bytes);
  return Buffer.from(bytes);
}

/** The message-index array that starts at `offset`, and where the Protobuf bytes start after it. */
export function readMessageIndexes(bytes: Buffer, offset: number): { indexes: number[]; end: number } {
  const at = { offset };
  const count = readZigzag(bytes, at);
  if (count === 0) return { indexes: [0], end: at.offset };
  if (count < 0 || count > 100) throw new Error(`message-index count ${count} is not one a serializer writes`);
  const indexes: number[] = [];
  for (let i = 0; i < count; i++) indexes.push(readZigzag(bytes, at));
  return { indexes, end: at.offset };
}

function writeZigzag(n: number, into: number[]): void {
  let value = n >= 0 ? n * 2 : -n * 2 - 1;
  while (value >= 0x80) {
    into.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  into.push(value);
}

function readZigzag(bytes: Buffer, at: { offset: number }): number {
  let value = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    const byte = bytes[at.offset++];
    if (byte === undefined) throw new Error('the message indexes run past the end of the value');
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
  }
  throw new Error('a message index is longer than a 32-bit varint');
}
