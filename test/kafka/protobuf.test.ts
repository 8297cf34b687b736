/**
 * Protobuf through the schema registry, against Confluent's own serializers (confluent-kafka-python,
 * classes compiled by grpcio-tools' protoc): what they write, zps reads; what zps writes, they read.
 * test/clients/protobuf/orders.proto imports common/money.proto (a reference) and a well-known type.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_SCRIPTS, pythonWithKafkaClient } from '../helpers/clients.js';
import { createFactory } from '../../dist/index.js';
import { unique, waitFor } from '../helpers/wait.js';
import { zps, type RunOptions } from '../helpers/zps.js';

const brokers = () => process.env.ZPS_TEST_BROKERS!;
const registry = () => process.env.ZPS_TEST_REGISTRY!;
const kz = (args: string[], options: RunOptions = {}) =>
  zps('/nonexistent/unused.sock', args, {
    ...options,
    env: { ZPS_ENV: 'test', ZPS_BROKERS: brokers(), ZPS_SCHEMA_REGISTRY: registry(), ...options.env },
    timeoutMs: 60_000,
  });
const protos = `${CLIENT_SCRIPTS}/protobuf`;
const orders = `${protos}/orders.proto`;
const extras = `${protos}/extras.proto`;
const parsedLines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as unknown);

/** An Order with every kind of field: int64 beyond 2^53, a Timestamp, a map, repeated nested messages with an imported one, an enum, a oneof, bytes. */
const order = {
  orderId: 'o-1',
  bigNumber: '9007199254740993',
  createdAt: '2026-12-06T01:02:03.123456789Z',
  counts: { apples: 3, pears: -1 },
  lines: [
    { sku: 's-1', quantity: 2, price: { currency: 'EUR', units: '-12345678901234567' } },
    { sku: 's-2', quantity: 1 },
  ],
  status: 'SHIPPED',
  phone: '+33 1 23',
  blob: 'AAEC/w==',
  ratio: 1.5,
  deltas: ['-1', '9223372036854775807'],
  gift: true,
};

let python: string;
let classes: string;
beforeAll(() => {
  python = pythonWithKafkaClient();
  classes = mkdtempSync(join(tmpdir(), 'zps-protobuf-classes-'));
  execFileSync(python, ['-m', 'grpc_tools.protoc', `-I${protos}`, `--python_out=${classes}`, orders, `${protos}/common/money.proto`, extras]);
}, 300_000);

/** Well-known types (Any of a message of the imported file), and a presence-tracking field at its default. */
const extra = {
  took: '-1.500s',
  maybeBig: '9007199254740993',
  note: '',
  attributes: { list: [1, 'x', null, { nested: true }] },
  detail: { '@type': 'type.googleapis.com/shop.Header', id: 'inside-any' },
  at: '1969-12-31T23:59:59Z',
  zero: 0,
  header: {},
};

/** Confluent's ProtobufSerializer writes each JSON value as `message` (of `module`, orders_pb2 unless given) to the topic. */
function pythonProduces(topic: string, message: string, values: unknown[], module = 'orders_pb2'): void {
  const result = spawnSync(python, [`${CLIENT_SCRIPTS}/confluent_protobuf.py`, 'produce', brokers(), registry(), classes, topic, module, message], {
    input: values.map((v) => JSON.stringify(v)).join('\n'),
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
}

/** Confluent's ProtobufDeserializer reads `count` values as `message`, printed with every field (defaults too). */
function pythonConsumes(topic: string, message: string, count: number, module = 'orders_pb2'): unknown[] {
  const result = spawnSync(
    python,
    [`${CLIENT_SCRIPTS}/confluent_protobuf.py`, 'consume', brokers(), registry(), classes, topic, module, message, String(count)],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  expect(result.status, result.stderr).toBe(0);
  return parsedLines(result.stdout);
}

async function registered(path: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${registry()}${path}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe("Protobuf with Confluent's serializers", () => {
  it('zps consume reads what the Python serializer wrote: the second message, a nested one, the first, in the JSON mapping', async () => {
    const topic = unique('proto-from-python');
    pythonProduces(topic, 'Order', [order, { orderId: 'o-2', email: 'a@b.c', status: 'UNKNOWN' }]);
    pythonProduces(topic, 'Order.Line', [{ sku: 'nested', quantity: 7, price: { currency: 'USD', units: '5' } }]);
    pythonProduces(topic, 'Header', [{ id: 'first-of-the-file' }]);
    const result = await kz(['consume', topic, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const expected = [
      order,
      { orderId: 'o-2', email: 'a@b.c' }, // an enum at its default is left out, as the mapping says
      { sku: 'nested', quantity: 7, price: { currency: 'USD', units: '5' } },
      { id: 'first-of-the-file' },
    ];
    expect(
      result.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { value: unknown }).value),
    ).toEqual(expected);
    // the printed text itself (a map's entries come in the order the writer put them)
    const plain = await kz(['consume', topic]);
    const printed = plain.stdout.split('\n').filter(Boolean);
    expect(printed.slice(1)).toEqual(expected.slice(1).map((value) => JSON.stringify(value)));
    expect(printed[0]).toContain('"bigNumber":"9007199254740993","createdAt":"2026-12-06T01:02:03.123456789Z"');
  }, 120_000);

  it('the Python deserializer reads every field of what zps publish --schema wrote; imports are registered as references', async () => {
    const topic = unique('proto-to-python');
    const published = await kz([
      'publish',
      topic,
      '--schema',
      orders,
      '--message',
      'shop.Order',
      JSON.stringify(order),
      JSON.stringify({ orderId: 'o-2', email: 'a@b.c' }),
    ]);
    expect(published.stderr).toBe('');
    expect(published.code).toBe(0);
    expect(pythonConsumes(topic, 'Order', 2)).toEqual([
      order,
      { orderId: 'o-2', bigNumber: '0', counts: {}, lines: [], status: 'UNKNOWN', email: 'a@b.c', blob: '', ratio: 0, deltas: [], gift: false },
    ]);

    const subject = await registered(`/subjects/${topic}-value/versions/latest`);
    expect(subject.schemaType).toBe('PROTOBUF');
    const references = subject.references as { name: string; subject: string; version: number }[];
    // the imported file under a subject named by its import path; the well-known Timestamp is not registered
    expect(references).toEqual([{ name: 'common/money.proto', subject: 'common/money.proto', version: expect.any(Number) }]);
    const money = await registered(`/subjects/${encodeURIComponent('common/money.proto')}/versions/${references[0]!.version}`);
    expect(money.schema).toContain('message Money');
  }, 120_000);

  it('publishes a nested message and, without --message, the first of the file, each with its indexes', async () => {
    const topic = unique('proto-nested');
    const line = { sku: 'n-1', quantity: 4, price: { currency: 'JPY', units: '9007199254740993' } };
    expect((await kz(['publish', topic, '--schema', orders, '--message', 'shop.Order.Line', JSON.stringify(line)])).code).toBe(0);
    expect(pythonConsumes(topic, 'Order.Line', 1)).toEqual([line]);
    const headerTopic = unique('proto-first');
    expect((await kz(['publish', headerTopic, '--schema', orders, '{"id":"h"}'])).code).toBe(0);
    expect(pythonConsumes(headerTopic, 'Header', 1)).toEqual([{ id: 'h' }]);
    // and zps reads both back
    expect(parsedLines((await kz(['consume', topic])).stdout)).toEqual([line]);
  }, 120_000);

  it('asks the registry once per schema id and once per reference, however many values use them', async () => {
    const topic = unique('proto-once');
    pythonProduces(topic, 'Order', [order, order, { orderId: 'o-3' }]);
    const target = new URL(registry());
    const asked: string[] = [];
    const proxy = createServer((req, res) => {
      asked.push(req.url ?? '');
      const upstream = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}${target.pathname}`;
      const result = await kz(['consume', topic], { env: { ZPS_SCHEMA_REGISTRY: url } });
      expect(parsedLines(result.stdout)).toHaveLength(3);
      expect(asked.filter((path) => path.includes('/schemas/ids/'))).toHaveLength(1);
      expect(asked.filter((path) => path.includes('/subjects/common%2Fmoney.proto/versions/'))).toHaveLength(1);
    } finally {
      proxy.close();
    }
  }, 120_000);

  it("library consumers get the Python serializer's values decoded, in the JSON mapping", async () => {
    const topic = unique('proto-library');
    pythonProduces(topic, 'Order', [order]);
    const factory = createFactory({
      environment: 'test',
      kafkaBrokers: brokers().split(','),
      schemaRegistryUrl: registry(),
      consumerGroup: unique('proto-group'),
    });
    try {
      const received: unknown[] = [];
      const consumer = factory.getConsumerFactory().create();
      await consumer.consume(topic, async (message) => void received.push(message), undefined, { fromBeginning: true });
      expect(await waitFor(() => received[0], 'the decoded order', 30_000)).toEqual(order);
    } finally {
      await factory.close();
    }
  }, 120_000);

  it('well-known types and references of references, both ways', async () => {
    const fromPython = unique('proto-wkt-from-python');
    pythonProduces(fromPython, 'Extras', [extra], 'extras_pb2');
    const read = await kz(['consume', fromPython]);
    expect(read.stderr).toBe('');
    expect(parsedLines(read.stdout)).toEqual([extra]);

    const toPython = unique('proto-wkt-to-python');
    expect((await kz(['publish', toPython, '--schema', extras, JSON.stringify(extra)])).code).toBe(0);
    expect(pythonConsumes(toPython, 'Extras', 1, 'extras_pb2')).toEqual([{ ...extra, header: { id: '' } }]); // Python prints defaults
    const subject = await registered(`/subjects/${toPython}-value/versions/latest`);
    expect(subject.references).toEqual([{ name: 'orders.proto', subject: 'orders.proto', version: expect.any(Number) }]);
    const imported = await registered(`/subjects/orders.proto/versions/${(subject.references as { version: number }[])[0]!.version}`);
    expect(imported.references).toEqual([{ name: 'common/money.proto', subject: 'common/money.proto', version: expect.any(Number) }]);
  }, 120_000);

  it('a value that does not fit is exit 2 naming the field, and nothing is published', async () => {
    const topic = unique('proto-misfit');
    const bad = await kz(['publish', topic, '--schema', orders, '--message', 'shop.Order', '{"lines":[{"quantity":"many"}]}']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("field 'lines[0].quantity' does not fit: expected a uint32");
    expect((await kz(['consume', topic, '--json'])).stdout).toBe('');
    const unknown = await kz(['publish', topic, '--schema', orders, '--message', 'shop.Ordr', '{}']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/has no message shop\.Ordr: did you mean shop\.Order\?/);
  }, 60_000);
});

describe('plain Protobuf (--proto, no registry)', () => {
  it('publish --proto encodes, consume --proto decodes, as the message given', async () => {
    const topic = unique('proto-plain');
    const env = { ZPS_SCHEMA_REGISTRY: '' };
    const published = await kz(['publish', topic, '--proto', orders, '--message', 'shop.Order', JSON.stringify(order)], { env });
    expect(published.stderr).toBe('');
    expect(published.code).toBe(0);
    const raw = await kz(['consume', topic, '--json'], { env });
    expect(Buffer.from((JSON.parse(raw.stdout) as { value: { base64: string } }).value.base64 ?? '', 'base64')[0]).toBe(0x0a); // plain: no framing
    const read = await kz(['consume', topic, '--proto', orders, '--message', 'shop.Order'], { env });
    expect(read.code).toBe(0);
    expect(parsedLines(read.stdout)).toEqual([order]);
  }, 60_000);

  it('an unknown message and a .proto that does not parse are usage errors', async () => {
    const unknown = await kz(['consume', 'any-topic', '--proto', orders, '--message', 'shop.Headr']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^zps: .*has no message shop\.Headr: did you mean shop\.Header\?/);
    const broken = join(mkdtempSync(join(tmpdir(), 'zps-proto-')), 'broken.proto');
    writeFileSync(broken, 'syntax = "proto3";\nmessage A {\n  string a = ;\n}\n');
    const parse = await kz(['consume', 'any-topic', '--proto', broken, '--message', 'A']);
    expect(parse.code).toBe(2);
    expect(parse.stderr).toMatch(/^zps: cannot parse .*broken\.proto: .*line 3/);
    const missing = await kz(['publish', 'any-topic', '--proto', orders, '{}']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--proto needs --message');
  }, 60_000);
});
