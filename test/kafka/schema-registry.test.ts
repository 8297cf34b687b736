import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oauthClient } from '../../scripts/oauth-fixture.mjs';
import { createFactory } from '../../dist/index.js';
import { RunningZps, zps, type RunOptions } from '../helpers/zps.js';
import { unique, waitFor } from '../helpers/wait.js';

const kz = (args: string[], options: RunOptions = {}) =>
  zps('/nonexistent/unused.sock', args, {
    ...options,
    env: { ZPS_ENV: 'test', ZPS_BROKERS: process.env.ZPS_TEST_BROKERS!, ZPS_SCHEMA_REGISTRY: process.env.ZPS_TEST_REGISTRY!, ...options.env },
    timeoutMs: 60_000,
  });
const lines = (text: string) => text.split('\n').filter(Boolean);
const values = (text: string) => lines(text).map((l) => JSON.parse(l).value);

/** A pass-through proxy to the registry that counts what it is asked, to check schema caching; the same over HTTPS. */
let proxy: Server;
let proxyUrl: string;
let httpsProxy: Server;
let httpsProxyUrl: string;
/** The same over HTTPS requiring a client certificate signed by the test CA. */
let mtlsProxy: Server;
let mtlsProxyUrl: string;
/** The HTTPS proxy's certificate (self-signed, for 127.0.0.1), made by openssl. */
const httpsCa = join(mkdtempSync(join(tmpdir(), 'zps-registry-tls-')), 'cert.pem');
const asked: string[] = [];
/** The Authorization header of each request the proxy passed on. */
const authorizations: (string | undefined)[] = [];
/** The target-sr-cluster header (Confluent Cloud's logical cluster) of each request passed on. */
const logicalClusters: (string | string[] | undefined)[] = [];
beforeAll(async () => {
  const target = new URL(process.env.ZPS_TEST_REGISTRY!);
  const passOn = (req: IncomingMessage, res: ServerResponse) => {
    asked.push(`${req.method} ${req.url}`);
    authorizations.push(req.headers.authorization);
    logicalClusters.push(req.headers['target-sr-cluster']);
    const upstream = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (reply) => {
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(res);
    });
    req.pipe(upstream);
  };
  const key = httpsCa.replace(/cert\.pem$/, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      httpsCa,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  proxy = createServer(passOn);
  httpsProxy = createHttpsServer({ key: readFileSync(key), cert: readFileSync(httpsCa) }, passOn);
  const listen = async (server: Server, scheme: string) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `${scheme}://127.0.0.1:${(server.address() as { port: number }).port}${target.pathname}`;
  };
  proxyUrl = await listen(proxy, 'http');
  httpsProxyUrl = await listen(httpsProxy, 'https');
  const clientCa = readFileSync(tlsFiles().ca);
  mtlsProxy = createHttpsServer({ key: readFileSync(key), cert: readFileSync(httpsCa), ca: clientCa, requestCert: true, rejectUnauthorized: true }, passOn);
  mtlsProxyUrl = await listen(mtlsProxy, 'https');
});
afterAll(() => {
  proxy.close();
  httpsProxy.close();
  mtlsProxy.close();
});
/** The test CA and the client certificates servers.setup.ts names. */
const tlsFiles = () =>
  JSON.parse(process.env.ZPS_TEST_TLS_FILES!) as { ca: string; clientCert: string; clientKeyEncrypted: string; clientKeystore: string; password: string };

describe('zps on Kafka with a schema registry', () => {
  it('--schema .avsc registers under <topic>-value, encodes in Confluent wire format, and consume decodes', async () => {
    const t = unique('avro');
    const input = '{"id":1,"customer":"c-1","total":9.5}\n{"id":2,"customer":"c-2","total":0}\n';
    expect(await kz(['publish', t, '--schema', 'test/fixtures/order.avsc'], { input })).toMatchObject({ code: 0, stderr: '' });
    expect(values((await kz(['consume', t, '--json'])).stdout)).toEqual([
      { id: 1, customer: 'c-1', total: 9.5 },
      { id: 2, customer: 'c-2', total: 0 },
    ]);
    // the bytes on the topic are Confluent-framed Avro: magic byte 0, then the schema id
    const raw = await kz(['consume', t, '--json'], { env: { ZPS_SCHEMA_REGISTRY: '' } });
    const bytes = Buffer.from(values(raw.stdout)[0].base64, 'base64');
    expect(bytes[0]).toBe(0);
    const subjects = await (await fetch(`${process.env.ZPS_TEST_REGISTRY}/subjects`)).json();
    expect(subjects).toContain(`${t}-value`);
    const latest = await (await fetch(`${process.env.ZPS_TEST_REGISTRY}/subjects/${t}-value/versions/latest`)).json();
    expect(bytes.readInt32BE(1)).toBe(latest.id);
  });

  it('refuses a value that does not fit the schema, naming the field; that message is not published', async () => {
    const t = unique('avro');
    const input = '{"id":1,"customer":"ok","total":1}\n{"id":"two","customer":"bad","total":2}\n{"id":3,"customer":"after","total":3}\n';
    const result = await kz(['publish', t, '--schema', 'test/fixtures/order.avsc'], { input });
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual([
      `zps: publish to ${t} failed at line 2: field 'id' does not match the schema of subject ${t}-value`,
      '1 message published before the failure; line 2 and what follows it were not published',
    ]);
    expect((await kz(['count', t])).stdout).toBe('1\n');
  });

  it('--schema .json uses JSON Schema and --subject names the subject', async () => {
    const t = unique('json');
    const subject = unique('custom-subject');
    expect((await kz(['publish', t, '--schema', 'test/fixtures/event.json', '--subject', subject, '{"id":7,"tags":["a"]}'])).code).toBe(0);
    const bad = await kz(['publish', t, '--schema', 'test/fixtures/event.json', '--subject', subject, '{"id":8,"tags":[1]}']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/field 'tags\.0' does not match the schema/);
    expect(values((await kz(['consume', t, '--json'])).stdout)).toEqual([{ id: 7, tags: ['a'] }]);
    expect(await (await fetch(`${process.env.ZPS_TEST_REGISTRY}/subjects`)).json()).toContain(subject);
  });

  it('decodes values framed by another client, asking the registry once per schema id', async () => {
    const t = unique('foreign');
    const registry = new SchemaRegistry({ host: process.env.ZPS_TEST_REGISTRY! });
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify({ type: 'record', name: 'Ping', fields: [{ name: 'n', type: 'int' }] }) },
      { subject: `${t}-value` },
    );
    const producer = new kafkajs.Kafka({ brokers: [process.env.ZPS_TEST_BROKERS!], logLevel: kafkajs.logLevel.NOTHING }).producer();
    await producer.connect();
    const admin = new kafkajs.Kafka({ brokers: [process.env.ZPS_TEST_BROKERS!], logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: t }], waitForLeaders: true });
    await admin.disconnect();
    const messages = await Promise.all(Array.from({ length: 50 }, async (_, n) => ({ value: await registry.encode(id, { n }) })));
    messages.push({ value: Buffer.from('{"plain":"json"}') }, { value: Buffer.from('just text') });
    await producer.send({ topic: t, messages });
    await producer.disconnect();
    asked.length = 0;
    const result = await kz(['consume', t, '--json'], { env: { ZPS_SCHEMA_REGISTRY: proxyUrl } });
    expect(result.code).toBe(0);
    const decoded = values(result.stdout);
    expect(decoded.slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, n) => ({ n })));
    expect(decoded.slice(50)).toEqual([{ plain: 'json' }, 'just text']);
    expect(asked.filter((a) => a.includes(`/schemas/ids/${id}`))).toHaveLength(1);
  });

  it('schema.registry.url and basic.auth.user.info from client properties: the registry gets basic auth, the secret is never printed', async () => {
    const t = unique('props');
    authorizations.length = 0;
    // -X beats ZPS_SCHEMA_REGISTRY, which kz sets to the registry itself
    const properties = ['-X', `schema.registry.url=${proxyUrl}`, '-X', 'basic.auth.user.info=reg-user:reg-Secret-77'];
    const published = await kz(['publish', t, '--schema', 'test/fixtures/order.avsc', ...properties, '--verbose'], {
      input: '{"id":1,"customer":"c-1","total":2.5}\n',
    });
    expect(published.code).toBe(0);
    expect(published.stdout + published.stderr).not.toContain('reg-Secret-77');
    expect(authorizations.length).toBeGreaterThan(0);
    expect(new Set(authorizations)).toEqual(new Set([`Basic ${Buffer.from('reg-user:reg-Secret-77').toString('base64')}`]));
    // zps schemas asks the registry with the same credentials
    authorizations.length = 0;
    expect(await kz(['schemas', `${t}-value`, ...properties])).toMatchObject({ code: 0, stdout: '1\n' });
    expect(authorizations).toEqual([`Basic ${Buffer.from('reg-user:reg-Secret-77').toString('base64')}`]);
  });

  it('schema.registry.ssl.ca.location trusts a registry served over HTTPS; without it the certificate is refused', async () => {
    const t = unique('props');
    const input = '{"id":1,"customer":"c-1","total":2.5}\n';
    const https = ['--schema', 'test/fixtures/order.avsc', '-X', `schema.registry.url=${httpsProxyUrl}`];
    expect(await kz(['publish', t, ...https, '-X', `schema.registry.ssl.ca.location=${httpsCa}`], { input })).toMatchObject({ code: 0, stderr: '' });
    const hint =
      "check the registry URL's scheme (https or http), the CA its certificate is checked with (-X schema.registry.ssl.ca.location=<file>), and any client certificate it asks for (schema.registry.ssl.certificate.location)";
    const untrusted = await kz(['publish', t, ...https], { input });
    expect(untrusted.code).toBe(1);
    expect(lines(untrusted.stderr)).toEqual([
      `zps: register test/fixtures/order.avsc under ${t}-value: cannot reach the schema registry at ${httpsProxyUrl} over TLS: self-signed certificate`,
      hint,
    ]);
    // https:// for a registry that speaks plain HTTP: OpenSSL's reason, once, not a 400 per record
    const plain = process.env.ZPS_TEST_REGISTRY!.replace(/^http:/, 'https:');
    const consumed = await kz(['consume', t, '-X', `schema.registry.url=${plain}`]);
    expect(consumed).toMatchObject({ code: 1, stdout: '' });
    expect(lines(consumed.stderr)).toEqual([
      expect.stringMatching(/^zps: read schema \d+: cannot reach the schema registry at https:.* over TLS: wrong version number$/),
      hint,
    ]);
  });

  it('a registry that requires a client certificate gets one from schema.registry.ssl.* (encrypted PEM key, PKCS#12 keystore); without one it refuses', async () => {
    const t = unique('registry-mtls');
    const input = '{"id":1,"customer":"c-1","total":2.5}\n';
    const { clientCert, clientKeyEncrypted, clientKeystore, password } = tlsFiles();
    const https = ['--schema', 'test/fixtures/order.avsc', '-X', `schema.registry.url=${mtlsProxyUrl}`, '-X', `schema.registry.ssl.ca.location=${httpsCa}`];
    const pem = ['-X', `schema.registry.ssl.certificate.location=${clientCert}`, '-X', `schema.registry.ssl.key.location=${clientKeyEncrypted}`];
    const published = await kz(['publish', t, ...https, ...pem, '-X', `schema.registry.ssl.key.password=${password}`, '--verbose'], { input });
    expect(published).toMatchObject({ code: 0 });
    expect(published.stderr).not.toContain(password);
    const keystore = ['-X', `schema.registry.ssl.keystore.location=${clientKeystore}`, '-X', `schema.registry.ssl.keystore.password=${password}`];
    expect(await kz(['publish', t, ...https, ...keystore], { input })).toMatchObject({ code: 0, stderr: '' });
    const consumed = await kz(['consume', t, ...https.slice(2), ...keystore]);
    expect(lines(consumed.stdout).map((line) => JSON.parse(line))).toEqual([
      { id: 1, customer: 'c-1', total: 2.5 },
      { id: 1, customer: 'c-1', total: 2.5 },
    ]);
    const shown = await kz(['schemas', `${t}-value`, '--version', 'latest', ...https.slice(2), ...keystore]);
    expect(shown).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^subject ${t}-value version 1: id \\d+, AVRO\n`)) });
    expect((await kz(['schemas', `${t}-value`, ...https.slice(2)])).code).toBe(1);
    const refused = await kz(['publish', t, ...https], { input });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^zps: .*schema registry/m);
  });

  it('bearer.auth.token goes to the registry as a bearer token with the logical cluster header, and is never printed', async () => {
    const t = unique('registry-bearer');
    authorizations.length = 0;
    logicalClusters.length = 0;
    const bearer = ['-X', 'bearer.auth.credentials.source=STATIC_TOKEN', '-X', 'bearer.auth.token=tok-Secret-99', '-X', 'bearer.auth.logical.cluster=lsrc-12'];
    const published = await kz(['publish', t, '--schema', 'test/fixtures/order.avsc', '-X', `schema.registry.url=${proxyUrl}`, ...bearer, '--verbose'], {
      input: '{"id":1,"customer":"c-1","total":2.5}\n',
    });
    expect(published.code).toBe(0);
    expect(published.stdout + published.stderr).not.toContain('tok-Secret-99');
    expect(authorizations.length).toBeGreaterThan(0);
    expect(new Set(authorizations)).toEqual(new Set(['Bearer tok-Secret-99']));
    expect(new Set(logicalClusters)).toEqual(new Set(['lsrc-12']));
    authorizations.length = 0;
    logicalClusters.length = 0;
    expect(await kz(['schemas', `${t}-value`, '-X', `schema.registry.url=${proxyUrl}`, ...bearer])).toMatchObject({ code: 0, stdout: '1\n' });
    expect([authorizations, logicalClusters]).toEqual([['Bearer tok-Secret-99'], ['lsrc-12']]);
    const both = await kz(['publish', t, 'x', ...bearer, '-X', 'basic.auth.user.info=u:p']);
    expect(both).toMatchObject({ code: 2, stderr: 'zps: the schema registry takes basic.auth.user.info or bearer.auth.token, not both\n' });
  });

  it('bearer.auth.credentials.source=OAUTHBEARER: the registry gets a token from the OAuth client credentials, once per run; the secret never printed', async () => {
    const t = unique('registry-oauth');
    authorizations.length = 0;
    const oauth = [
      ...['-X', 'bearer.auth.credentials.source=OAUTHBEARER', '-X', `bearer.auth.issuer.endpoint.url=${process.env.ZPS_TEST_OAUTH_TOKEN_URL}`],
      ...['-X', `bearer.auth.client.id=${oauthClient.id}`, '-X', `bearer.auth.client.secret=${oauthClient.secret}`, '-X', 'bearer.auth.scope=registry'],
    ];
    const published = await kz(['publish', t, '--schema', 'test/fixtures/order.avsc', '-X', `schema.registry.url=${proxyUrl}`, ...oauth, '--verbose'], {
      input: '{"id":1,"customer":"c-1","total":2.5}\n',
    });
    expect(published.code).toBe(0);
    expect(published.stdout + published.stderr).not.toContain(oauthClient.secret);
    expect(authorizations.length).toBeGreaterThan(1);
    // one token (a JWT from the identity provider) for every request of the run
    expect(new Set(authorizations).size).toBe(1);
    expect(authorizations[0]).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    const wrong = await kz(['schemas', '-X', `schema.registry.url=${proxyUrl}`, ...oauth.slice(0, 6), '-X', 'bearer.auth.client.secret=not-it']);
    expect(wrong).toMatchObject({ code: 1, stdout: '' });
    expect(wrong.stderr).toMatch(/^zps: .*token endpoint .* refused client zps-client: HTTP 401/);
    expect(wrong.stderr).not.toContain('not-it');
  });

  it('an unknown schema id, or bytes its schema does not read, are reported, the record printed as stored, the rest printed, exit 1 at the end', async () => {
    const t = unique('unknown-id');
    // an id the registry has (order.avsc's), framing a payload cut short
    const registered = unique('registered');
    expect((await kz(['publish', registered, '--schema', 'test/fixtures/order.avsc', '{"id":1,"customer":"c","total":1}'])).code).toBe(0);
    const id = execFileSync('kcat', ['-b', process.env.ZPS_TEST_BROKERS!, '-C', '-t', registered, '-e', '-q', '-f', '%s']).readInt32BE(1);
    const cut = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), Buffer.from([2])]);
    cut.writeInt32BE(id, 1);
    const producer = new kafkajs.Kafka({ brokers: [process.env.ZPS_TEST_BROKERS!], logLevel: kafkajs.logLevel.NOTHING }).producer();
    const admin = new kafkajs.Kafka({ brokers: [process.env.ZPS_TEST_BROKERS!], logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: t }], waitForLeaders: true });
    await admin.disconnect();
    await producer.connect();
    const framed = Buffer.from([0, 0, 0, 0x7f, 0x7f, 1, 2]);
    await producer.send({ topic: t, messages: [{ value: Buffer.from('before') }, { value: framed }, { value: cut }, { value: Buffer.from('after') }] });
    await producer.disconnect();
    const result = await kz(['consume', t, '--json']);
    expect(result.code).toBe(1);
    expect(values(result.stdout)).toEqual(['before', { base64: framed.toString('base64') }, { base64: cut.toString('base64') }, 'after']);
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(new RegExp(`^zps: cannot decode ${t}\\[0\\]@1, printed as stored: read schema 32639: unknown to the schema registry at `)),
      // the payload's fault, not the registry's
      `zps: cannot decode ${t}[0]@2, printed as stored: schema ${id}: truncated buffer`,
      `zps: 2 messages of ${t} could not be decoded`,
    ]);
  });

  it('an unreachable registry fails the publish with exit 1 before anything is published', async () => {
    const t = unique('noreg');
    const result = await kz(['publish', t, '--schema', 'test/fixtures/order.avsc', '{"id":1,"customer":"c","total":1}'], {
      env: { ZPS_SCHEMA_REGISTRY: 'http://127.0.0.1:1' },
    });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)[0]).toBe(`zps: register test/fixtures/order.avsc under ${t}-value: cannot reach the schema registry at http://127.0.0.1:1`);
    expect((await kz(['count', t])).stdout).toBe('0\n');
  });

  it('following, a registry that cannot be reached is waited for, said once on stderr: what needs no registry before it is printed, and once it answers the rest, none skipped', async () => {
    const t = unique('late-registry');
    const orders = ['{"id":1,"customer":"a","total":1}', '{"id":2,"customer":"b","total":2}'];
    expect((await kz(['publish', t, 'plain first'])).code).toBe(0);
    expect((await kz(['publish', t, '--schema', 'test/fixtures/order.avsc', ...orders])).code).toBe(0);
    expect((await kz(['publish', t, 'plain last'])).code).toBe(0);
    const registry = await lateRegistry();
    const consumer = new RunningZps('/nonexistent/unused.sock', ['consume', t, '-n', '4', '--json'], {
      ZPS_ENV: 'test',
      ZPS_BROKERS: process.env.ZPS_TEST_BROKERS!,
      ZPS_SCHEMA_REGISTRY: registry.url,
    });
    try {
      await waitFor(() => consumer.stderr.includes('trying again'), 'the consumer to say it waits for the registry');
      expect(values(consumer.stdout)).toEqual(['plain first']);
      await registry.open();
      const result = await consumer.result;
      expect(result.code).toBe(0);
      expect(values(result.stdout)).toEqual(['plain first', ...orders.map((o) => JSON.parse(o)), 'plain last']);
      expect(lines(result.stderr)).toEqual([
        expect.stringMatching(new RegExp(`^zps: read schema \\d+: cannot reach the schema registry at ${registry.url}; trying again until it answers$`)),
      ]);
    } finally {
      consumer.child.kill();
      registry.close();
    }
  });

  it('a library consumer whose registry cannot be reached reports it and gets every record once it answers, none skipped', async () => {
    const t = unique('late-registry-library');
    const orders = [
      { id: 1, customer: 'a', total: 1 },
      { id: 2, customer: 'b', total: 2 },
    ];
    expect((await kz(['publish', t, '--schema', 'test/fixtures/order.avsc', ...orders.map((o) => JSON.stringify(o))])).code).toBe(0);
    const registry = await lateRegistry();
    const errors: string[] = [];
    const factory = createFactory({
      environment: 'test',
      kafkaBrokers: process.env.ZPS_TEST_BROKERS!.split(','),
      schemaRegistryUrl: registry.url,
      consumerGroup: unique('late-registry-group'),
      onError: (error) => void errors.push(error.message),
    });
    try {
      const received: unknown[] = [];
      await factory
        .getConsumerFactory()
        .create()
        .consume(t, async (message) => void received.push(message), undefined, { fromBeginning: true });
      await waitFor(() => errors.length > 0, 'the registry error reported', 30_000);
      expect(received).toEqual([]);
      expect(errors[0]).toMatch(/cannot reach the schema registry/);
      await registry.open();
      await waitFor(() => received.length >= 2, 'both orders', 30_000);
      expect(received).toEqual(orders);
    } finally {
      await factory.close();
      registry.close();
    }
  }, 60_000);

  it('consume -n --timeout with a registry that cannot be reached: exit 3, naming the registry as what it waited for', async () => {
    const t = unique('no-registry-n');
    expect((await kz(['publish', t, '--schema', 'test/fixtures/order.avsc', '{"id":1,"customer":"a","total":1}'])).code).toBe(0);
    // time enough for the registry client's own tries (a few tenths of a second) to fail first
    const result = await kz(['consume', t, '-n', '1', '--timeout', '5s'], { env: { ZPS_SCHEMA_REGISTRY: 'http://127.0.0.1:1' } });
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    const cause = 'cannot reach the schema registry at http://127.0.0.1:1';
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(new RegExp(`^zps: read schema \\d+: ${cause}; trying again until it answers$`)),
      expect.stringMatching(new RegExp(`^zps: timed out waiting for messages on ${t}: received 0 of 1 within 5s \\(read schema \\d+: ${cause}\\)$`)),
      'check --schema-registry (ZPS_SCHEMA_REGISTRY) and that the registry is up',
    ]);
  });

  it('a registry behind a proxy that answers 503 is waited for as unreachable, not taken as unable to decode', async () => {
    const t = unique('registry-503');
    expect((await kz(['publish', t, '--schema', 'test/fixtures/order.avsc', '{"id":1,"customer":"a","total":1}'])).code).toBe(0);
    const unavailable = createServer((_request, response) => response.writeHead(503, { 'content-type': 'text/plain' }).end('upstream down'));
    await new Promise<void>((resolve) => unavailable.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(unavailable.address() as { port: number }).port}`;
      const result = await kz(['consume', t, '-n', '1', '--timeout', '5s'], { env: { ZPS_SCHEMA_REGISTRY: url } });
      expect(result.code).toBe(3);
      expect(result.stdout).toBe('');
      expect(lines(result.stderr)[0]).toMatch(
        new RegExp(`^zps: read schema \\d+: the schema registry at ${url} answered 503: .*; trying again until it answers$`),
      );
    } finally {
      unavailable.close();
    }
  });

  it('a server that is no schema registry (a sign-in page, a cut answer, a wrong path): one line naming what came back, nothing published, nothing printed as stored', async () => {
    const t = unique('not-a-registry');
    expect((await kz(['publish', t, '--schema', 'test/fixtures/order.avsc', '{"id":1,"customer":"a","total":1}'])).code).toBe(0);
    const schemaId = execFileSync('kcat', ['-b', process.env.ZPS_TEST_BROKERS!, '-C', '-t', t, '-e', '-q', '-f', '%s']).readInt32BE(1);
    const proto = join(mkdtempSync(join(tmpdir(), 'zps-proto-')), 'm.proto');
    writeFileSync(proto, 'syntax = "proto3";\nmessage M { string name = 1; }\n');
    const hint = 'check --schema-registry (ZPS_SCHEMA_REGISTRY) and that the registry is up';
    for (const [type, body] of [
      ['text/html', '<html>sign in</html>'],
      ['application/json', '{"schema": "cut sho'],
    ]) {
      const server = createServer((_request, response) => response.writeHead(200, { 'content-type': type }).end(body));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
        const env = { ZPS_SCHEMA_REGISTRY: url };
        const consumed = await kz(['consume', t, '-n', '1', '--timeout', '5s'], { env });
        expect(consumed).toMatchObject({ code: 1, stdout: '' });
        expect(lines(consumed.stderr)).toEqual([`zps: read schema ${schemaId}: the schema registry at ${url} answered 200 with no schema: ${body}`, hint]);
        // the schema id is the registry's answer: without one, nothing is published (Protobuf framed id 0 before)
        const other = unique('not-a-registry-publish');
        for (const schema of ['test/fixtures/order.avsc', proto]) {
          const published = await kz(['publish', other, '--schema', schema, schema === proto ? '{"name":"a"}' : '{"id":1,"customer":"a","total":1}'], { env });
          expect(published.code).toBe(1);
          expect(lines(published.stderr)).toEqual([
            expect.stringMatching(new RegExp(`^zps: register .*: the schema registry at ${url} answered 200 with no schema id: `)),
            hint,
          ]);
        }
        expect(await kz(['count', other])).toMatchObject({ code: 0, stdout: '0\n' });
        expect(lines((await kz(['schemas'], { env })).stderr)).toEqual([
          expect.stringMatching(/^zps: list the subjects: the schema registry at .* answered 200 with no list of subjects: /),
          hint,
        ]);
      } finally {
        server.close();
      }
    }
    // the real registry without its API's path: its 404 is no registry's "not found"
    const wrongPath = new URL(process.env.ZPS_TEST_REGISTRY!).origin;
    const consumed = await kz(['consume', t], { env: { ZPS_SCHEMA_REGISTRY: wrongPath } });
    expect(consumed).toMatchObject({ code: 1, stdout: '' });
    expect(lines(consumed.stderr)).toEqual([
      `zps: read schema ${schemaId}: ${wrongPath} answered 404 as no schema registry does: is it the registry's API URL?`,
      hint,
    ]);
    // a gateway's 404 with a message of its own, credentials refused, the registry's own failure:
    // the registry's fault, said once, not one undecodable record after another
    for (const [status, body, said] of [
      [404, '{"message":"no Route matched with those values"}', "URL answered 404 as no schema registry does: is it the registry's API URL?"],
      [401, '{"error_code":40101,"message":"Unauthorized"}', 'the schema registry at URL refused the credentials (401): Unauthorized'],
      [500, '{"error_code":50001,"message":"Error in the backend data store"}', 'the schema registry at URL answered 500: Error in the backend data store'],
    ] as const) {
      const server = createServer((_request, response) => response.writeHead(status, { 'content-type': 'application/json' }).end(body));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
        const result = await kz(['consume', t], { env: { ZPS_SCHEMA_REGISTRY: url } });
        expect(result).toMatchObject({ code: 1, stdout: '' });
        expect(lines(result.stderr)[0]).toBe(`zps: read schema ${schemaId}: ${said.replace('URL', url)}`);
      } finally {
        server.close();
      }
    }
  });

  it('a registry that takes the connection and never answers: a read to the end fails after --timeout, a -n wait ends at its deadline, Ctrl-C ends a follow at once', async () => {
    const [t, other] = [unique('silent-registry'), unique('silent-registry-other')];
    for (const topic of [t, other])
      expect((await kz(['publish', topic, '--schema', 'test/fixtures/order.avsc', '{"id":1,"customer":"a","total":1}'])).code).toBe(0);
    const silent = await silentRegistry();
    try {
      const toEnd = await kz(['consume', t, '--timeout', '2s'], { env: { ZPS_SCHEMA_REGISTRY: silent.url } });
      expect(toEnd.code).toBe(1);
      expect(lines(toEnd.stderr)[0]).toMatch(new RegExp(`^zps: read schema \\d+: no answer from the schema registry at ${silent.url} within 2000 ms$`));

      // of two topics: each one's reader waits on the registry
      const waited = await kz(['consume', t, other, '-n', '1', '--timeout', '2s'], { env: { ZPS_SCHEMA_REGISTRY: silent.url } });
      expect(waited.code).toBe(3);
      expect(waited.stdout).toBe('');
      // its request's own timeout is the deadline too: the deadline names what it cut short
      expect(lines(waited.stderr)).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^zps: timed out waiting for messages on ${t}, ${other}: received 0 of 1 within 2s \\((no answer from the schema registry at ${silent.url} yet|read schema \\d+: no answer from the schema registry at ${silent.url} within 2000 ms)\\)$`,
          ),
        ),
      );
      expect(waited.stderr).toContain('check --schema-registry');

      const asked = silent.connections();
      // the registry's request may wait a minute (ZPS_TIMEOUT): Ctrl-C does not wait for it
      const follower = new RunningZps('/nonexistent/unused.sock', ['consume', t, '-f'], {
        ZPS_ENV: 'test',
        ZPS_BROKERS: process.env.ZPS_TEST_BROKERS!,
        ZPS_SCHEMA_REGISTRY: silent.url,
        ZPS_TIMEOUT: '60s',
      });
      await waitFor(() => silent.connections() > asked, 'the follower to ask the registry');
      follower.child.kill('SIGINT');
      const stillRunning = new Promise((resolve) => setTimeout(() => resolve('still running 15 s after Ctrl-C'), 15_000).unref());
      expect(await Promise.race([follower.result, stillRunning])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    } finally {
      silent.close();
    }
  });

  it('--schema without a registry, or in local mode, is bad usage', async () => {
    expect((await kz(['publish', 't', '--schema', 'test/fixtures/order.avsc', '{}'], { env: { ZPS_SCHEMA_REGISTRY: '' } })).code).toBe(2);
    expect((await kz(['publish', 't', '--schema', 'test/fixtures/order.txt', '{}'])).code).toBe(2);
  });
});

/** The registry behind a port that nothing listens on until open() (a registry that is down, then up). */
async function lateRegistry(): Promise<{ url: string; open: () => Promise<void>; close: () => void }> {
  const target = new URL(process.env.ZPS_TEST_REGISTRY!);
  const forwarder = createNetServer((client) => client.pipe(connect(Number(target.port), target.hostname)).pipe(client));
  await new Promise<void>((resolve) => forwarder.listen(0, '127.0.0.1', resolve));
  const { port } = forwarder.address() as { port: number };
  await new Promise((resolve) => forwarder.close(resolve));
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    open: () => new Promise<void>((resolve) => forwarder.listen(port, '127.0.0.1', resolve)),
    close: () => void forwarder.close(),
  };
}

/** A registry that takes connections and never answers them; how many it took. */
async function silentRegistry(): Promise<{ url: string; connections: () => number; close: () => void }> {
  const held = new Set<Socket>();
  let taken = 0;
  const server = createNetServer((socket) => {
    taken++;
    held.add(socket);
    socket.on('close', () => held.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    connections: () => taken,
    close: () => {
      for (const socket of held) socket.destroy();
      server.close();
    },
  };
}
