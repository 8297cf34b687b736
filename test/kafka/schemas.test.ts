import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CLIENT_SCRIPTS, pythonWithKafkaClient } from '../helpers/clients.js';
import { unique } from '../helpers/wait.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateSocket, ZPS_BIN, zps, type RunOptions } from '../helpers/zps.js';

const brokers = process.env.ZPS_TEST_BROKERS!;
const registry = process.env.ZPS_TEST_REGISTRY!;
const kz = (args: string[], options: RunOptions = {}) =>
  zps('/nonexistent/unused.sock', args, {
    ...options,
    env: { ZPS_ENV: 'test', ZPS_BROKERS: brokers, ZPS_SCHEMA_REGISTRY: registry, ...options.env },
    timeoutMs: 60_000,
  });
const lines = (text: string) => text.split('\n').filter(Boolean);
const records = (text: string) => lines(text).map((line) => JSON.parse(line) as { key: unknown; value: unknown });

/** Registers a schema straight through the registry's REST API; its id. */
async function registerSchema(subject: string, schema: object, extra: object = {}): Promise<number> {
  const response = await fetch(`${registry}/subjects/${subject}/versions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: JSON.stringify(schema), ...extra }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { id: number }).id;
}

/** Confluent's Python Avro serializers (test/clients/confluent_avro.py). */
function confluentAvro(args: string[]): string {
  return execFileSync(pythonWithKafkaClient(), [`${CLIENT_SCRIPTS}/confluent_avro.py`, ...args], { encoding: 'utf8', timeout: 120_000 });
}

describe('zps schemas', () => {
  it('lists subjects, a subject’s versions, and one version with its type, id and references (text and --json)', async () => {
    const t = unique('schemas');
    const first = await registerSchema(`${t}-value`, { type: 'record', name: 'A', fields: [{ name: 'n', type: 'int' }] });
    const second = await registerSchema(`${t}-value`, {
      type: 'record',
      name: 'A',
      fields: [
        { name: 'n', type: 'int' },
        { name: 'm', type: 'int', default: 0 },
      ],
    });
    expect(second).not.toBe(first);

    const subjects = await kz(['schemas']);
    expect(subjects).toMatchObject({ code: 0, stderr: '' });
    expect(lines(subjects.stdout)).toContain(`${t}-value`);
    expect(lines(subjects.stdout)).toEqual([...lines(subjects.stdout)].sort());
    expect(lines((await kz(['schemas', '--json'])).stdout).map((line) => JSON.parse(line))).toContainEqual({ subject: `${t}-value` });

    expect(await kz(['schemas', `${t}-value`])).toMatchObject({ code: 0, stdout: '1\n2\n' });
    expect((await kz(['schemas', `${t}-value`, '--json'])).stdout).toBe(`{"subject":"${t}-value","version":1}\n{"subject":"${t}-value","version":2}\n`);

    const latest = await kz(['schemas', `${t}-value`, '--version', 'latest']);
    expect(latest.code).toBe(0);
    const [header, ...schema] = latest.stdout.trimEnd().split('\n');
    expect(header).toBe(`subject ${t}-value version 2: id ${second}, AVRO`);
    expect(JSON.parse(schema.join('\n'))).toMatchObject({ name: 'A', fields: [{ name: 'n' }, { name: 'm' }] });

    const one = await kz(['schemas', `${t}-value`, '--version', '1', '--json']);
    expect(JSON.parse(one.stdout)).toEqual({
      subject: `${t}-value`,
      version: 1,
      id: first,
      type: 'AVRO',
      schema: JSON.stringify({ type: 'record', name: 'A', fields: [{ name: 'n', type: 'int' }] }),
      references: [],
    });
  });

  it('shows a schema’s references; JSON Schema is JSON', async () => {
    const t = unique('schemas-ref');
    await kz(['publish', t, '--schema', 'test/fixtures/address.json', '--subject', `${t}-address`, '{"city":"Lyon"}']);
    const published = await kz([
      'publish',
      t,
      '--schema',
      'test/fixtures/customer.json',
      '--schema-reference',
      `address.json=${t}-address`,
      '{"name":"n","address":{"city":"Lyon"}}',
    ]);
    expect(published).toMatchObject({ code: 0, stderr: '' });
    const shown = await kz(['schemas', `${t}-value`, '--version', 'latest']);
    expect(lines(shown.stdout).slice(0, 2)).toEqual([
      expect.stringMatching(new RegExp(`^subject ${t}-value version 1: id \\d+, JSON$`)),
      `reference address.json: subject ${t}-address version 1`,
    ]);
    expect(JSON.parse((await kz(['schemas', `${t}-value`, '--version', '1', '--json'])).stdout).references).toEqual([
      { name: 'address.json', subject: `${t}-address`, version: 1 },
    ]);
  });

  it('the bash completion completes subjects from the registry', async () => {
    const t = unique('schemas-complete');
    await registerSchema(`${t}-value`, { type: 'string' });
    const bin = mkdtempSync(join(tmpdir(), 'zps-bin-'));
    symlinkSync(ZPS_BIN, join(bin, 'zps'));
    try {
      const script = `source completions/zps.bash; COMP_WORDS=(zps schemas ${t}); COMP_CWORD=2; _zps; echo "\${COMPREPLY[*]}"`;
      const result = spawnSync('bash', ['-c', script], {
        encoding: 'utf8',
        env: { ...process.env, ZPS_ENV: 'test', ZPS_BROKERS: brokers, ZPS_SCHEMA_REGISTRY: registry, PATH: `${bin}:${process.env.PATH}` },
      });
      expect(result.stdout).toBe(`${t}-value\n`);
    } finally {
      rmSync(bin, { recursive: true });
    }
  });

  it('errors: unknown subject or version exit 1; bad usage, no registry, local mode exit 2', async () => {
    const t = unique('schemas-none');
    expect(await kz(['schemas', t])).toMatchObject({ code: 1, stdout: '', stderr: `zps: subject ${t}: unknown to the schema registry at ${registry}\n` });
    await registerSchema(`${t}-value`, { type: 'string' });
    expect(await kz(['schemas', `${t}-value`, '--version', '9'])).toMatchObject({
      code: 1,
      stderr: `zps: subject ${t}-value version 9: unknown to the schema registry at ${registry}\n`,
    });
    expect(await kz(['schemas', `${t}-value`, '--version', 'first'])).toMatchObject({
      code: 2,
      stderr: "zps: invalid --version 'first': give a version number or latest\n",
    });
    expect(await kz(['schemas', '--version', '1'])).toMatchObject({ code: 2, stderr: 'zps: --version goes with a subject\n' });
    expect(await kz(['schemas'], { env: { ZPS_SCHEMA_REGISTRY: '' } })).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'zps: zps schemas needs a schema registry\nset --schema-registry or ZPS_SCHEMA_REGISTRY\n',
    });
    const local = privateSocket();
    try {
      const result = await zps(local.socket, ['schemas'], { env: { ZPS_ENV: 'local', ZPS_NO_AUTOSTART: '1' } });
      expect(result).toMatchObject({ code: 2, stderr: expect.stringMatching(/^zps: zps schemas needs Kafka with a schema registry: local mode has none\n/) });
    } finally {
      local.cleanup();
    }
    expect(await kz(['schemas'], { env: { ZPS_SCHEMA_REGISTRY: 'http://127.0.0.1:1/registry' } })).toMatchObject({
      code: 1,
      stderr:
        'zps: list the subjects: cannot reach the schema registry at http://127.0.0.1:1/registry\ncheck --schema-registry (ZPS_SCHEMA_REGISTRY) and that the registry is up\n',
    });
    // a registry that takes the connection and never answers: --timeout bounds the wait
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}/registry`;
      const started = Date.now();
      const result = await kz(['schemas', '--timeout', '500ms'], { env: { ZPS_SCHEMA_REGISTRY: url } });
      expect(result).toMatchObject({
        code: 1,
        stderr: expect.stringMatching(new RegExp(`^zps: list the subjects: no answer from the schema registry at ${url} within 500 ms\n`)),
      });
      expect(Date.now() - started).toBeLessThan(8_000);
    } finally {
      silent.close();
    }
    // zps's own version stays -V, and --version before a command
    expect((await kz(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('framed keys and references', () => {
  it('publish --key-schema encodes keys under <topic>-key; consume decodes them; keys the registry does not know print as stored', async () => {
    const t = unique('keys');
    const input = '{"id":1,"region":"eu"}|{"id":1,"customer":"c-1","total":1.5}\n{"id":2,"region":"us"}|{"id":2,"customer":"c-2","total":2}\n';
    const published = await kz(['publish', t, '--key-schema', 'test/fixtures/order-key.avsc', '--schema', 'test/fixtures/order.avsc', '-K', '|'], { input });
    expect(published).toMatchObject({ code: 0, stderr: '' });
    // a key that starts with a 0 byte and names no schema of the registry (id 2^31-1), and a text key
    const unframed = Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0xff]), Buffer.from('raw|plain\n')]);
    expect((await kz(['publish', t, '-K', '|'], { input: unframed })).code).toBe(0);
    expect((await kz(['publish', t, '-k', 'text-key', 'v'])).code).toBe(0);

    const consumed = await kz(['consume', t, '--json']);
    expect(consumed).toMatchObject({ code: 0, stderr: '' });
    expect(records(consumed.stdout).map(({ key, value }) => ({ key, value }))).toEqual([
      { key: '{"id":1,"region":"eu"}', value: { id: 1, customer: 'c-1', total: 1.5 } },
      { key: '{"id":2,"region":"us"}', value: { id: 2, customer: 'c-2', total: 2 } },
      { key: { base64: Buffer.from([0, 0x7f, 0xff, 0xff, 0xff, ...Buffer.from('raw')]).toString('base64') }, value: 'plain' },
      { key: 'text-key', value: 'v' },
    ]);
    expect((await kz(['consume', t, '-n', '2', '--format', '%k %s\\n'])).stdout).toBe(
      '{"id":1,"region":"eu"} {"id":1,"customer":"c-1","total":1.5}\n{"id":2,"region":"us"} {"id":2,"customer":"c-2","total":2}\n',
    );
    // the key's bytes on the topic are framed with the id registered under <topic>-key
    const latest = (await (await fetch(`${registry}/subjects/${t}-key/versions/latest`)).json()) as { id: number };
    // without a registry, the key as stored: its text when UTF-8, else base64
    const raw = records((await kz(['consume', t, '-n', '1', '--json'], { env: { ZPS_SCHEMA_REGISTRY: '' } })).stdout)[0]!.key as string | { base64: string };
    const key = typeof raw === 'string' ? Buffer.from(raw) : Buffer.from(raw.base64, 'base64');
    expect([key[0], key.readInt32BE(1)]).toEqual([0, latest.id]);

    // a key framed with that known id whose bytes do not decode with its schema prints as stored too
    const truncated = Buffer.concat([key.subarray(0, 5), Buffer.from([0xff]), Buffer.from('|after\n')]);
    expect((await kz(['publish', t, '-K', '|'], { input: truncated })).code).toBe(0);
    const last = await kz(['consume', t, '-o', '-1', '--json']);
    expect(last).toMatchObject({ code: 0, stderr: '' });
    expect(records(last.stdout).map(({ key, value }) => ({ key, value }))).toEqual([
      { key: { base64: Buffer.concat([key.subarray(0, 5), Buffer.from([0xff])]).toString('base64') }, value: 'after' },
    ]);
  });

  it('a key that does not fit the key schema is exit 2 naming the field; --key-schema needs keys', async () => {
    const t = unique('keys-bad');
    const bad = await kz(['publish', t, '--key-schema', 'test/fixtures/order-key.avsc', '-k', '{"id":"one","region":"eu"}', 'v']);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining(`field 'id' does not match the schema of subject ${t}-key`) });
    const none = await kz(['publish', t, '--key-schema', 'test/fixtures/order-key.avsc', 'v']);
    expect(none).toMatchObject({ code: 2, stderr: 'zps: --key-schema encodes keys: give them with -k or -K\n' });
    expect((await kz(['publish', t, '--schema-reference', 'a=b', 'v'])).stderr).toBe('zps: --schema-reference goes with --schema\n');
    expect((await kz(['publish', t, '--schema', 'test/fixtures/customer.avsc', '--schema-reference', 'zps.test.Address', '{}'])).stderr).toBe(
      "zps: invalid schema reference 'zps.test.Address': use name=subject or name=subject:version\n",
    );
    expect((await kz(['count', t])).stdout).toBe('0\n');
  });

  it('JSON Schema with a reference ($ref to a subject’s $id): publish checks it, consume decodes it', async () => {
    const t = unique('json-ref');
    expect((await kz(['publish', t, '--schema', 'test/fixtures/address.json', '--subject', `${t}-address`, '{"city":"Lyon"}'])).code).toBe(0);
    const reference = ['--schema', 'test/fixtures/customer.json', '--schema-reference', `address.json=${t}-address:1`];
    expect(await kz(['publish', t, ...reference, '{"name":"n","address":{"street":"s","city":"Lyon"}}'])).toMatchObject({ code: 0, stderr: '' });
    const missing = await kz(['publish', t, ...reference, '{"name":"n","address":{"street":"s"}}']);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining(`field 'address' does not match the schema of subject ${t}-value`) });
    expect(records((await kz(['consume', t, '--json'])).stdout).map(({ value }) => value)).toEqual([
      { city: 'Lyon' },
      { name: 'n', address: { street: 's', city: 'Lyon' } },
    ]);
  });

  it("Confluent's Python AvroSerializer writes keys and a value with a reference: zps decodes both", async () => {
    const t = unique('py-avro');
    const ids = JSON.parse(confluentAvro(['produce', brokers, registry, t, 'test/fixtures', `${t}-address`])) as { address: number };
    expect(ids.address).toBeGreaterThan(0);
    const consumed = await kz(['consume', t, '--json']);
    expect(consumed).toMatchObject({ code: 0, stderr: '' });
    expect(records(consumed.stdout).map(({ key, value }) => ({ key: JSON.parse(key as string), value }))).toEqual([
      { key: { id: 2 ** 40 + 1, region: 'eu' }, value: { name: 'c-1', address: { street: '1 rue', city: 'Lyon' } } },
      { key: { id: 2 ** 40 + 2, region: 'eu' }, value: { name: 'c-2', address: { street: '2 rue', city: 'Nantes' } } },
    ]);
    expect(lines((await kz(['schemas', `${t}-value`, '--version', 'latest'])).stdout)[1]).toBe(`reference zps.test.Address: subject ${t}-address version 1`);
  });

  it("zps writes keys and a value with a reference: Confluent's Python AvroDeserializer reads every field", async () => {
    const t = unique('zps-avro');
    const address = await kz(['publish', `${t}-addresses`, '--schema', 'test/fixtures/address.avsc', '--subject', `${t}-address`, '{"street":"s","city":"c"}']);
    expect(address.code).toBe(0);
    const input = '{"id":1099511627777,"region":"eu"}|{"name":"c-1","address":{"street":"1 rue","city":"Lyon"}}\n';
    const args = [
      '--key-schema',
      'test/fixtures/order-key.avsc',
      '--schema',
      'test/fixtures/customer.avsc',
      '--schema-reference',
      `zps.test.Address=${t}-address`,
    ];
    expect(await kz(['publish', t, ...args, '-K', '|'], { input })).toMatchObject({ code: 0, stderr: '' });
    expect(lines(confluentAvro(['consume', brokers, registry, t, '1'])).map((line) => JSON.parse(line))).toEqual([
      { key: { id: 1099511627777, region: 'eu' }, value: { name: 'c-1', address: { street: '1 rue', city: 'Lyon' } } },
    ]);
  });
});
