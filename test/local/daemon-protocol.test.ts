import { connect, createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, MAX_FRAME_BYTES, PROTOCOL_VERSION } from '../../dist/daemon/protocol.js';
import { encodeRecords } from '../../dist/wire/daemon-records.js';
import { outgoingBatch } from '../../dist/records/record-batch.js';
import { privateSocket, zps } from '../helpers/zps.js';
import { waitFor } from '../helpers/wait.js';

let socket: string;
let cleanup: () => void;
beforeAll(async () => {
  ({ socket, cleanup } = privateSocket());
  expect((await zps(socket, ['daemon', 'start'])).code).toBe(0);
});
afterAll(() => cleanup());

/** Opens a raw connection, sends `bytes`, and resolves once the daemon closed it. */
function sendRaw(bytes: Buffer[], keepOpen = false): Promise<{ closedByDaemon: boolean; received: Buffer }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const conn: Socket = connect(socket);
    conn.on('data', (c) => chunks.push(c));
    conn.on('error', () => {});
    conn.once('connect', () => {
      for (const b of bytes) conn.write(b);
      if (!keepOpen) conn.end();
    });
    conn.once('close', () => resolve({ closedByDaemon: true, received: Buffer.concat(chunks) }));
    setTimeout(() => reject(new Error('the daemon kept a bad connection open')), 5_000).unref();
  });
}

async function stillServing(): Promise<void> {
  expect(await zps(socket, ['publish', 'alive', 'ok'])).toMatchObject({ code: 0, stderr: '' });
}

const hello = encodeFrame({ id: 1, op: 'hello', args: [{ protocol: PROTOCOL_VERSION, version: 'test' }] });

describe('daemon wire protocol robustness', () => {
  it('closes a connection that sends garbage and keeps serving others', async () => {
    expect((await sendRaw([Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')], true)).closedByDaemon).toBe(true);
    await stillServing();
  });

  it('closes a connection announcing an oversized frame', async () => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(MAX_FRAME_BYTES + 1);
    expect((await sendRaw([header], true)).closedByDaemon).toBe(true);
    await stillServing();
  });

  it('survives a truncated frame from a client that disconnects', async () => {
    await sendRaw([hello.subarray(0, hello.length - 3)]);
    await stillServing();
  });

  it('closes a connection whose frame holds invalid JSON or a bad attachment reference', async () => {
    const body = Buffer.from('{not json');
    const frame = Buffer.alloc(8 + body.length);
    frame.writeUInt32BE(4 + body.length, 0);
    frame.writeUInt32BE(body.length, 4);
    body.copy(frame, 8);
    expect((await sendRaw([hello, frame], true)).closedByDaemon).toBe(true);
    const badRef = Buffer.from(JSON.stringify({ id: 2, op: 'count', args: [{ $b: [0, 999] }] }));
    const frame2 = Buffer.alloc(8 + badRef.length);
    frame2.writeUInt32BE(4 + badRef.length, 0);
    frame2.writeUInt32BE(badRef.length, 4);
    badRef.copy(frame2, 8);
    expect((await sendRaw([hello, frame2], true)).closedByDaemon).toBe(true);
    await stillServing();
  });

  it('requires hello first', async () => {
    expect((await sendRaw([encodeFrame({ id: 1, op: 'listTopics', args: [] })], true)).closedByDaemon).toBe(true);
    await stillServing();
  });

  it('answers a well-formed request with wrong arguments with an error, not a crash', async () => {
    const decoder = new FrameDecoder();
    const replies: unknown[] = [];
    const conn = connect(socket);
    conn.on('data', (c) => replies.push(...decoder.push(c)));
    conn.write(hello);
    conn.write(encodeFrame({ id: 2, op: 'produce', args: ['t', 'not-an-array-of-records'] }));
    conn.write(encodeFrame({ id: 3, op: 'nonsense', args: [] }));
    conn.write(encodeFrame({ id: 4, op: 'produce', args: ['t', [{ key: null, value: 'not bytes', headers: {} }]] }));
    // binary record lists that overrun themselves: values cut short; a value length past the end; cut in a record
    const records = encodeRecords(
      outgoingBatch([
        { key: Buffer.from('k'), headers: [['h', Buffer.from('v')]], value: Buffer.from('"one"') },
        { key: null, headers: [], value: Buffer.from('"two"') },
      ]),
    );
    conn.write(encodeFrame({ id: 5, op: 'produce', args: ['t', records.subarray(0, records.length - 2)] }));
    const overrun = Buffer.from(records);
    overrun.writeUInt32BE(1000, 4 + 24); // the first record's value length
    conn.write(encodeFrame({ id: 6, op: 'produce', args: ['t', overrun] }));
    conn.write(encodeFrame({ id: 7, op: 'produce', args: ['t', records.subarray(0, 20)] }));
    // a topic name that is not a string would pass the name's pattern as text, and stay for good
    conn.write(encodeFrame({ id: 8, op: 'createTopic', args: [['x'], 1] }));
    conn.write(encodeFrame({ id: 9, op: 'createTopic', args: [1, 1] }));
    await waitFor(() => replies.length >= 9, 'nine replies');
    conn.destroy();
    const byId = (id: number) => replies.find((r) => (r as { id: number }).id === id);
    expect(byId(2)).toMatchObject({ error: { message: expect.any(String) } });
    expect(byId(3)).toMatchObject({ error: { message: 'unknown operation nonsense' } });
    for (const id of [4, 5, 6, 7]) expect(byId(id)).toMatchObject({ error: { message: 'malformed records in produce request' } });
    for (const id of [8, 9]) expect(byId(id)).toMatchObject({ error: { message: 'invalid topic name: not a string' } });
    expect(await zps(socket, ['topics'])).toMatchObject({ code: 0, stderr: '' });
    expect((await zps(socket, ['count', 't'])).stdout).toBe('0\n');
    await stillServing();
  });

  it('a large stdin publish goes out in batches, not one round trip per line', async () => {
    // 20,000 lines in far fewer requests: the daemon counts frames per connection in its stats.
    const lines = Array.from({ length: 20_000 }, (_, i) => `line-${i}`).join('\n');
    const before = await requestCount();
    const published = await zps(socket, ['publish', 'batched', '--verbose'], { input: lines });
    expect(published.code).toBe(0);
    const batches = Number(/^zps: published 20000 messages to batched in (\d+) batch(es)?\n$/.exec(published.stderr)?.[1]);
    expect(batches).toBeGreaterThanOrEqual(3); // batches of up to 8,000 (more if stdin pauses)
    expect(batches).toBeLessThan(10);
    const used = (await requestCount()) - before;
    expect(used).toBeLessThan(20);
    expect((await zps(socket, ['count', 'batched'])).stdout).toBe('20000\n');
  });

  it('consume -n asks for no records past the n it prints: no fetch ahead, no long poll to cancel', async () => {
    await zps(socket, ['publish', 'plenty', 'a', 'b', 'c', 'd']);
    const before = await requestCount();
    // run here, not by the daemon (whose requests are not on the wire)
    expect(await zps(socket, ['consume', 'plenty', '-n', '2'], { env: { ZPS_NO_DAEMON_RUN: '1' } })).toMatchObject({ code: 0, stdout: 'a\nb\n' });
    // hello, the partitions' offsets, one fetch; then the status's own hello and status
    expect((await requestCount()) - before).toBe(3 + 2);
  });
});

async function requestCount(): Promise<number> {
  const result = await zps(socket, ['daemon', 'status', '--json']);
  return JSON.parse(result.stdout).requests as number;
}

describe('protocol version mismatch', () => {
  it('stops a daemon speaking another protocol and starts a current one in its place', async () => {
    const other = privateSocket();
    let shutdownAsked = false;
    // An "old daemon": answers hello with protocol 0 and obeys shutdown, as every version must, and
    // closes a connection that sends no frame (as the command run by the daemon's greeting is to it).
    let greetingsRefused = 0;
    const old = createServer((conn) => {
      const decoder = new FrameDecoder();
      conn.on('data', (chunk) => {
        let requests: Array<{ id: number; op: string }>;
        try {
          requests = decoder.push(chunk) as typeof requests;
        } catch {
          greetingsRefused++;
          conn.destroy();
          return;
        }
        for (const request of requests) {
          if (request.op === 'hello') conn.write(encodeFrame({ id: request.id, result: { protocol: 0, version: '0.0.1', pid: 1 } }));
          if (request.op === 'shutdown') {
            shutdownAsked = true;
            conn.end(encodeFrame({ id: request.id, result: null }));
            old.close();
          }
        }
      });
    });
    await new Promise<void>((resolve) => old.listen(other.socket, resolve));
    try {
      const result = await zps(other.socket, ['publish', 't', 'x']);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(shutdownAsked).toBe(true);
      expect(greetingsRefused).toBe(1); // then the command ran in the client, as without a daemon
      const status = JSON.parse((await zps(other.socket, ['daemon', 'status', '--json'])).stdout);
      expect(status).toMatchObject({ running: true, protocol: PROTOCOL_VERSION, messages: 1 });
    } finally {
      old.close();
      other.cleanup();
    }
  });
});
