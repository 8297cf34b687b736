/**
 * Kafka one-shot commands the local daemon runs for the client (bin/run-in-daemon.cjs,
 * src/cli/one-shot.ts): they must print, exit and carry bytes exactly as when the client runs them
 * itself (ZPS_NO_DAEMON_RUN=1); what would connect differently from the daemon is declined; and the
 * daemon keeps a connection a command left idle for the next one, 30 s at most.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, privateSocket, RunningZps, spawnZps, zps, zpsRaw, type RunOptions } from '../helpers/zps.js';
import { unique, waitFor } from '../helpers/wait.js';

const { socket, cleanup } = privateSocket();
beforeAll(async () => expect((await zps(socket, ['daemon', 'start'])).code).toBe(0));
afterAll(cleanup);

const HERE = { ZPS_NO_DAEMON_RUN: '1' };
const kafkaEnv = () => ({ ZPS_ENV: 'test', ZPS_BROKERS: process.env.ZPS_TEST_BROKERS! });

async function status(): Promise<{ pid: number; commandsRun: number; commandsRunning: number }> {
  return JSON.parse((await zps(socket, ['daemon', 'status', '--json'])).stdout) as { pid: number; commandsRun: number; commandsRunning: number };
}

/** Runs `args` on Kafka once; resolves its result and whether the daemon ran it. */
async function kz(args: string[], options: RunOptions = {}) {
  const before = (await status()).commandsRun;
  const result = await zps(socket, args, { ...options, env: { ...kafkaEnv(), ...options.env }, timeoutMs: 60_000 });
  return { ...result, ranByDaemon: (await status()).commandsRun - before === 1 };
}

/** Runs `args` by the daemon, then in the client: both must end alike. */
async function bothWays(args: string[], options: RunOptions = {}) {
  const byDaemon = await kz(args, options);
  const { ranByDaemon, ...here } = await kz(args, { ...options, env: { ...options.env, ...HERE } });
  expect(ranByDaemon).toBe(false);
  expect({ ...byDaemon, ranByDaemon: undefined }).toEqual({ ...here, ranByDaemon: undefined });
  return byDaemon;
}

describe('Kafka one-shot commands run by the local daemon', () => {
  // first: no connection of another test is idle in the daemon yet
  it.runIf(process.platform === 'linux')(
    'keeps one idle connection to the cluster for the next commands, and closes it once unused for 30 s',
    async () => {
      const { pid } = await status();
      const t = unique('kafka-oneshot-connections');
      expect(await kz(['publish', t, 'x'])).toMatchObject({ code: 0, ranByDaemon: true });
      // while a consume -n waits for a second message, the daemon holds its connection
      const waiting = new RunningZps(socket, ['consume', t, '-n', '2'], kafkaEnv());
      await waiting.waitForLines(1);
      await waitFor(() => brokerConnections(pid).length > 0, 'the waiting consume to hold a connection to the broker');
      waiting.child.kill('SIGINT');
      expect(await waiting.result).toMatchObject({ stdout: 'x\n' });
      await waitFor(async () => ((await status()).commandsRunning === 0 && brokerConnections(pid).length <= 1 ? true : undefined), 'the consume to end');
      const seen = new Set<string>();
      for (let i = 0; i < 5; i++) {
        expect(await kz(['count', t])).toMatchObject({ code: 0, ranByDaemon: true });
        for (const local of brokerConnections(pid)) seen.add(local);
        expect(await kz(['publish', t, 'y'])).toMatchObject({ code: 0, ranByDaemon: true });
        for (const local of brokerConnections(pid)) seen.add(local);
        expect(await kz(['consume', t, '-n', '1'])).toMatchObject({ code: 0, ranByDaemon: true });
        for (const local of brokerConnections(pid)) seen.add(local);
      }
      expect(seen.size).toBe(1); // one connection, which each command took in turn
      // other credentials do not take it
      const other = await kz(['count', t], { env: { ZPS_SASL_MECHANISM: 'plain', ZPS_SASL_USERNAME: 'nobody', ZPS_SASL_PASSWORD: 'wrong' } });
      expect(other).toMatchObject({ code: 1, ranByDaemon: true });
      await waitFor(() => brokerConnections(pid).length === 0, 'the daemon to close its idle connection', 60_000);
    },
    90_000,
  );

  it('count, publish with values and consume -n print and exit as when run in the client', async () => {
    const [t, other] = [unique('kafka-oneshot'), unique('kafka-oneshot')];
    const publish = ['--json', '-k', 'k1', '-H', 'h=1', '-H', 'h=2', 'a', '{"n": 1.50}'];
    const published = await kz(['publish', t, ...publish]);
    expect(published).toMatchObject({ code: 0, ranByDaemon: true });
    const publishedHere = await kz(['publish', other, ...publish], { env: HERE });
    expect({ ...published, stdout: published.stdout.replaceAll(t, 'T'), ranByDaemon: undefined }).toEqual({
      ...publishedHere,
      stdout: publishedHere.stdout.replaceAll(other, 'T'),
      ranByDaemon: undefined,
    });
    expect(published.stdout).toBe(`{"topic":"${t}","partition":0,"offset":0,"key":"k1"}\n{"topic":"${t}","partition":0,"offset":1,"key":"k1"}\n`);
    expect(await bothWays(['count', t])).toMatchObject({ code: 0, stdout: '2\n', ranByDaemon: true });
    expect(await bothWays(['count', t, '--expect', '9'])).toMatchObject({ code: 1, stderr: `zps: expected 9 messages in ${t}, found 2\n`, ranByDaemon: true });
    expect(await bothWays(['consume', t, '-n', '2', '--format', '%o %k %h %s\\n'])).toMatchObject({
      code: 0,
      stdout: '0 k1 h=1,h=2 a\n1 k1 h=1,h=2 {"n":1.50}\n',
      ranByDaemon: true,
    });
    const late = await bothWays(['consume', t, '-n', '9', '--timeout', '2s']);
    expect(late).toMatchObject({ code: 3, ranByDaemon: true });
    expect(late.stderr).toContain('received 2 of 9');
    const unreachable = await bothWays(['count', t, '--brokers', '127.0.0.1:1', '--timeout', '1s']);
    expect(unreachable).toMatchObject({ code: 1, stdout: '', ranByDaemon: true });
    expect(unreachable.stderr).toContain('cannot reach Kafka at 127.0.0.1:1');
  });

  it("keeps another client's bytes: kcat's binary value, key and headers come out of the daemon as from the client", async () => {
    const t = unique('kafka-oneshot-bytes');
    execFileSync('kcat', ['-P', '-b', process.env.ZPS_TEST_BROKERS!, '-t', t, '-K', '|', '-H', 'b=\u00e9\u00ff', '-H', 'b=2'], {
      input: Buffer.concat([Buffer.from('key\u00e9|'), Buffer.from([0xff, 0x00, 0xfe, 0x0a, 0x80]), Buffer.from('\n')]),
    });
    const args = ['consume', t, '-n', '1', '--format', '%k|%h|%s'];
    const before = (await status()).commandsRun;
    const byDaemon = await zpsRaw(socket, args, { env: kafkaEnv(), timeoutMs: 60_000 });
    expect((await status()).commandsRun).toBe(before + 1);
    const here = await zpsRaw(socket, args, { env: { ...kafkaEnv(), ...HERE }, timeoutMs: 60_000 });
    expect(byDaemon).toEqual(here);
    expect(byDaemon).toEqual(Buffer.concat([Buffer.from('key\u00e9|b=\u00e9\u00ff,b=2|'), Buffer.from([0xff, 0x00, 0xfe])]));
  });

  it('connects over TLS and SASL_SSL with certificate files named absolutely', async () => {
    const t = unique('kafka-oneshot-tls');
    const tls = { ZPS_BROKERS: process.env.ZPS_TEST_TLS_BROKERS!, ZPS_TLS_CA: process.env.ZPS_TEST_TLS_CA! };
    expect(await kz(['publish', t, 'over-tls'], { env: tls })).toMatchObject({ code: 0, stderr: '', ranByDaemon: true });
    expect(await bothWays(['consume', t, '-n', '1'], { env: tls })).toMatchObject({ code: 0, stdout: 'over-tls\n', ranByDaemon: true });
    const files = JSON.parse(process.env.ZPS_TEST_TLS_FILES!) as { ca: string };
    const saslSsl = {
      ZPS_BROKERS: process.env.ZPS_TEST_SASL_SSL_BROKERS!,
      ZPS_TLS_CA: files.ca,
      ZPS_SASL_MECHANISM: 'plain',
      ZPS_SASL_USERNAME: process.env.ZPS_TEST_SASL_USER!,
      ZPS_SASL_PASSWORD: process.env.ZPS_TEST_SASL_PASSWORD!,
    };
    expect(await kz(['publish', t, 'over-sasl-ssl'], { env: saslSsl })).toMatchObject({ code: 0, stderr: '', ranByDaemon: true });
    expect(await bothWays(['count', t], { env: saslSsl })).toMatchObject({ code: 0, stdout: '2\n', ranByDaemon: true }); // one listener of the same broker
  });

  it('a client certificate replaced under the same file names is a new identity: no connection of the old one is reused', async () => {
    const t = unique('kafka-oneshot-mtls');
    const files = JSON.parse(process.env.ZPS_TEST_TLS_FILES!) as Record<'ca' | 'clientCert' | 'clientKey' | 'foreignCert' | 'foreignKey', string>;
    const dir = mkdtempSync(join(tmpdir(), 'zps-mtls-'));
    try {
      const [cert, key] = [join(dir, 'client.pem'), join(dir, 'client.key')];
      copyFileSync(files.clientCert, cert);
      copyFileSync(files.clientKey, key);
      const mtls = { ZPS_BROKERS: process.env.ZPS_TEST_MTLS_BROKERS!, ZPS_TLS_CA: files.ca, ZPS_TLS_CERT: cert, ZPS_TLS_KEY: key };
      expect(await kz(['publish', t, 'x'], { env: mtls })).toMatchObject({ code: 0, ranByDaemon: true });
      copyFileSync(files.foreignCert, cert);
      copyFileSync(files.foreignKey, key);
      // the brokers refuse a certificate of another CA, as when the client connects itself
      const refused = await kz(['count', t], { env: mtls });
      expect(refused).toMatchObject({ code: 1, stdout: '', ranByDaemon: true });
      expect(await kz(['count', t], { env: { ...mtls, ...HERE } })).toMatchObject({ code: 1, stderr: refused.stderr });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("declines what would connect differently from the daemon: relative files, Node's CAs, AWS, a token command, --verbose", async () => {
    const t = unique('kafka-oneshot-declined');
    expect(await kz(['publish', t, 'x'])).toMatchObject({ code: 0, ranByDaemon: true });
    // the client's NODE_EXTRA_CA_CERTS trusts the test CA; the daemon's Node was not started with it
    const extraCa = { ZPS_BROKERS: process.env.ZPS_TEST_TLS_BROKERS!, ZPS_TLS: '1', NODE_EXTRA_CA_CERTS: process.env.ZPS_TEST_TLS_CA! };
    expect(await kz(['count', t], { env: extraCa })).toMatchObject({ code: 0, stdout: '1\n', ranByDaemon: false });
    const relative = await kz(['count', t, '--tls-ca', 'ca.pem'], { env: { ZPS_BROKERS: process.env.ZPS_TEST_TLS_BROKERS! } });
    expect(relative).toMatchObject({ code: 2, ranByDaemon: false });
    expect(relative.stderr).toContain('ca.pem');
    expect(await kz(['count', t, '--verbose'])).toMatchObject({ code: 0, stdout: '1\n', ranByDaemon: false });
    const token = await kz(['count', t, '--sasl-token-command', 'exit 4', '--timeout', '2s']);
    expect(token).toMatchObject({ ranByDaemon: false });
    expect(token.code).not.toBe(0);
    const aws = await kz(['count', t, '--sasl-mechanism', 'aws-msk-iam', '--timeout', '2s'], { env: { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' } });
    expect(aws).toMatchObject({ ranByDaemon: false });
    expect(aws.code).not.toBe(0);
    expect(await kz(['consume', t, '-n', '1', '-g', unique('group')])).toMatchObject({ code: 0, stdout: 'x\n', ranByDaemon: false });
  });

  it('a client interrupted before its publish listens for it: nothing is published, as when the client dies of it', async () => {
    const t = unique('kafka-oneshot-interrupted');
    const proxy = await holdingProxy(process.env.ZPS_TEST_BROKERS!);
    try {
      const before = (await status()).commandsRun;
      const publishing = new RunningZps(socket, ['publish', t, 'a', 'b', 'c'], { ...kafkaEnv(), ZPS_BROKERS: proxy.address });
      // the daemon runs it, and it waits for the cluster's first answer (held by the proxy)
      await waitFor(async () => proxy.received() > 0 && (await status()).commandsRun === before + 1, 'the publish to wait on the cluster');
      publishing.child.kill('SIGINT');
      expect(await publishing.result).toMatchObject({ signal: 'SIGINT', stdout: '' });
      proxy.release();
      await waitFor(async () => (await status()).commandsRunning === 0, 'the command to end in the daemon');
      expect(await kz(['count', t], { env: HERE })).toMatchObject({ code: 0, stdout: '0\n' });
    } finally {
      proxy.close();
    }
  });

  it('a kept connection the network dropped without a word: the next command finds out in 2 s and goes on a new one', async () => {
    const t = unique('kafka-oneshot-dropped');
    const proxy = await holdingProxy(process.env.ZPS_TEST_BROKERS!, { holding: false });
    const viaProxy = { env: { ZPS_BROKERS: proxy.address } };
    try {
      expect(await kz(['publish', t, 'x'], viaProxy)).toMatchObject({ code: 0, ranByDaemon: true });
      expect(proxy.silence()).toBe(1); // the bootstrap connection the daemon keeps
      // without the probe, its Metadata request would wait out the timeout on the dead connection
      expect(await kz(['count', t, '--timeout', '6s'], viaProxy)).toMatchObject({ code: 0, stdout: '1\n', stderr: '', ranByDaemon: true });
      expect(await kz(['publish', t, 'y', '--timeout', '6s'], viaProxy)).toMatchObject({ code: 0, ranByDaemon: true });
      expect(await kz(['consume', t, '-n', '2'], { env: HERE })).toMatchObject({ code: 0, stdout: 'x\ny\n' });
    } finally {
      proxy.close();
    }
  });

  it("a context's password command runs in the client, once, not in the daemon", async () => {
    const home = mkdtempSync(join(tmpdir(), 'zps-home-'));
    try {
      const runs = join(home, 'runs');
      const env = { HOME: home, XDG_CONFIG_HOME: '' };
      const command = `echo run >> ${runs}; echo ${process.env.ZPS_TEST_SASL_PASSWORD}`;
      const sasl = ['-b', process.env.ZPS_TEST_SASL_BROKERS!, '--sasl-mechanism', 'plain', '--sasl-username', process.env.ZPS_TEST_SASL_USER!];
      expect(await zps(socket, ['context', 'add', 'k', '-e', 'test', ...sasl, '--sasl-password-command', command], { env })).toMatchObject({ code: 0 });
      const t = unique('kafka-oneshot-context');
      const counted = await kz(['count', t, '--context', 'k'], { env: { ...env, ZPS_ENV: '', ZPS_BROKERS: '' } });
      expect(counted).toMatchObject({ code: 0, stdout: '0\n', ranByDaemon: false });
      expect(readFileSync(runs, 'utf8')).toBe('run\n');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('a daemon that says nothing for 10 s is asked to withdraw the command; once it does, the client runs it, once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zps-slow-'));
    const slowSocket = join(dir, 'broker.sock');
    const withdrawn: string[] = [];
    // a daemon that reads the request and answers only the withdrawal
    const slow = createServer((conn) => {
      conn.on('data', (chunk) => {
        if (chunk.includes('w'.charCodeAt(0)) && !chunk.includes('{'.charCodeAt(0))) {
          withdrawn.push('w');
          conn.end(Buffer.from('d\0\0\0\0', 'latin1'));
        }
      });
    });
    await new Promise<void>((resolve) => slow.listen(slowSocket, resolve));
    try {
      const t = unique('kafka-oneshot-withdrawn');
      const result = await zps(slowSocket, ['publish', t, 'x'], { env: kafkaEnv(), timeoutMs: 60_000 });
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(withdrawn).toEqual(['w']);
      expect(await kz(['count', t], { env: HERE })).toMatchObject({ stdout: '1\n' });
    } finally {
      slow.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a client interrupted while it waits for the answer, then declined, runs nothing: it dies of the signal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zps-declining-'));
    const decliningSocket = join(dir, 'broker.sock');
    const t = unique('kafka-oneshot-declined-late');
    let client: ReturnType<typeof spawnZps> | undefined;
    // a daemon that declines only once the client's interrupt came (as one of another build would, late)
    const declining = createServer((conn) => {
      conn.on('data', (chunk) => {
        if (chunk.includes('{'.charCodeAt(0))) client?.kill('SIGINT');
        else if (chunk.includes('i'.charCodeAt(0))) conn.end(Buffer.from('d\0\0\0\0', 'latin1'));
      });
    });
    await new Promise<void>((resolve) => declining.listen(decliningSocket, resolve));
    try {
      client = spawnZps(decliningSocket, ['publish', t, 'x'], kafkaEnv());
      expect(await collect(client)).toMatchObject({ signal: 'SIGINT', stdout: '' });
      expect(await kz(['count', t], { env: HERE })).toMatchObject({ code: 0, stdout: '0\n' });
    } finally {
      declining.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The local addresses of the TCP connections process `pid` holds to the test broker's port (Linux: its socket inodes in /proc/net/tcp). */
function brokerConnections(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // closed meanwhile
    }
  }
  const port = Number(process.env.ZPS_TEST_BROKERS!.split(':').pop()).toString(16).toUpperCase().padStart(4, '0');
  const rows = ['tcp', 'tcp6'].flatMap((table) => readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1));
  // columns: sl local_address rem_address st ... inode (the tenth)
  return rows
    .map((row) => row.trim().split(/\s+/))
    .filter((columns) => columns[2]?.endsWith(`:${port}`) && inodes.has(columns[9]!))
    .map((columns) => columns[1]!);
}

/**
 * A TCP proxy to `target` (host:port) that holds what clients send until release() (a cluster that
 * does not answer yet), unless made with `holding: false`; silence() drops the connections made so
 * far as a network does without a word: nothing more goes through them either way, and neither
 * side is told (new ones go through). Only the bootstrap goes through it (the metadata names the
 * broker itself).
 */
async function holdingProxy(target: string, { holding = true } = {}) {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  let received = 0;
  const held: Array<() => void> = [];
  const open = new Set<Socket>();
  const silenced = new Set<Socket>();
  const server = createServer((client) => {
    open.add(client);
    const upstream = connect(port, host);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => {
      open.delete(client);
      upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
    upstream.on('data', (chunk) => silenced.has(client) || client.write(chunk));
    client.on('data', (chunk) => {
      if (silenced.has(client)) return;
      received += chunk.byteLength;
      if (holding) held.push(() => upstream.write(chunk));
      else upstream.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as { port: number }).port}`,
    received: () => received,
    release() {
      holding = false;
      for (const send of held.splice(0)) send();
    },
    silence() {
      for (const client of open) silenced.add(client);
      return silenced.size;
    },
    close() {
      for (const client of open) client.destroy();
      server.close();
    },
  };
}
