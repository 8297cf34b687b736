import { describe, expect, it } from 'vitest';
import { indexesOf, messageAt, textLayout } from '../../src/kafka/protobuf/file-layout.js';
import { readMessageIndexes, writeMessageIndexes } from '../../src/kafka/protobuf/message-indexes.js';
import { loadProtobuf, ProtoSchema } from '../../src/kafka/protobuf/proto-schema.js';

describe("Confluent's message indexes", () => {
  it('writes the first message of a file as a single 0 byte', () => {
    expect(writeMessageIndexes([0])).toEqual(Buffer.from([0]));
    expect(readMessageIndexes(Buffer.from([9, 0, 42]), 1)).toEqual({ indexes: [0], end: 2 });
  });

  it('writes the count then each index as zigzag varints', () => {
    expect(writeMessageIndexes([1])).toEqual(Buffer.from([2, 2]));
    expect(writeMessageIndexes([1, 0, 3])).toEqual(Buffer.from([6, 2, 0, 6]));
    expect(writeMessageIndexes([0, 70])).toEqual(Buffer.from([4, 0, 0x8c, 0x01])); // 70 → zigzag 140: two varint bytes
  });

  it('reads back what it writes, and where the Protobuf bytes start', () => {
    for (const indexes of [[0], [2], [0, 1], [5, 300, 7]]) {
      const framed = Buffer.concat([Buffer.alloc(5), writeMessageIndexes(indexes), Buffer.from([0xaa])]);
      const read = readMessageIndexes(framed, 5);
      expect(read.indexes).toEqual(indexes);
      expect(framed[read.end]).toBe(0xaa);
    }
  });

  it('refuses indexes cut short', () => {
    expect(() => readMessageIndexes(Buffer.from([4, 2]), 0)).toThrow(/past the end/);
  });
});

describe('message layout of a .proto file', () => {
  const text = `syntax = "proto3";
    package a.b;
    message First { string message = 1; }
    enum Skipped { X = 0; }
    message Second {
      option (custom) = { text: "message Fake {" };
      map<string, int32> line_items = 1;
      message Inner { message Deep {} }
      oneof choice { string s = 2; }
      map<int64, First> by_id = 3;
      message Last {}
    }`;

  it('counts a proto2 group as a nested message, in a oneof too', async () => {
    const layout = textLayout(
      await loadProtobuf(),
      `syntax = "proto2"; message A { oneof choice { group G = 1 { optional int32 x = 2; } } optional group H = 3 { message I {} } message J {} }`,
    );
    expect(indexesOf(layout, 'A.G')).toEqual([0, 0]);
    expect(indexesOf(layout, 'A.H.I')).toEqual([0, 1, 0]);
    expect(indexesOf(layout, 'A.J')).toEqual([0, 2]);
  });

  it('counts nested messages with the map entries protoc makes, where they are declared', async () => {
    const layout = textLayout(await loadProtobuf(), text);
    expect(messageAt(layout, [0])).toBe('a.b.First');
    expect(messageAt(layout, [1, 0])).toBe('a.b.Second.LineItemsEntry');
    expect(indexesOf(layout, 'a.b.Second.Inner.Deep')).toEqual([1, 1, 0]);
    expect(indexesOf(layout, 'a.b.Second.Last')).toEqual([1, 3]);
    expect(messageAt(layout, [2])).toBeUndefined();
  });

  it('suggests a message of the file for an unknown one', async () => {
    const protobuf = await loadProtobuf();
    const schema = await ProtoSchema.build(
      protobuf,
      [{ name: 'x.proto', content: text.replace('option (custom) = { text: "message Fake {" };', '') }],
      'x.proto',
    );
    expect(() => schema.message('a.b.Secnd')).toThrow(/no message a\.b\.Secnd: did you mean a\.b\.Second\?/);
    expect(schema.message(undefined).indexes).toEqual([0]);
  });

  it('encodes and decodes the JSON mapping, naming the field that does not fit', async () => {
    const protobuf = await loadProtobuf();
    const source = `syntax = "proto3"; import "google/protobuf/duration.proto"; import "google/protobuf/struct.proto"; import "google/protobuf/wrappers.proto";
      message M { uint64 big = 1; google.protobuf.Duration took = 2; google.protobuf.Struct extra = 3; google.protobuf.Int64Value maybe = 4; repeated M children = 5; float f = 6; map<int64, string> names = 7; map<bool, M> flags = 8; }`;
    const schema = await ProtoSchema.build(protobuf, [{ name: 'm.proto', content: source }], 'm.proto');
    const { type } = schema.message('M');
    const value = {
      big: '18446744073709551615',
      took: '-1.500s',
      extra: { a: [1, 'x', null, { b: true }] },
      maybe: '0',
      children: [{ f: 'NaN' }],
      names: { '-5': 'minus five', '9007199254740993': 'big' },
      flags: { true: { f: 1.5 }, false: {} },
    };
    expect(schema.decode(type, schema.encode(type, value))).toEqual(value);
    expect(() => schema.encode(type, { children: [{ f: 'x' }] })).toThrow("field 'children[0].f' does not fit: expected a float");
    expect(() => schema.encode(type, { big: '-1' })).toThrow("field 'big' does not fit: -1 is out of range for uint64");
    expect(() => schema.encode(type, { nope: 1 })).toThrow("field 'nope' does not fit: message M has no such field");
  });
});
