import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFactory, getMemoryBroker, ZpsError } from '../../dist/index.js';
import { collect, cleanEnv, privateSocket, RunningZps, zps } from '../helpers/zps.js';
import { unique, waitFor } from '../helpers/wait.js';

let socket: string;
let cleanup: () => void;
beforeAll(() => ({ socket, cleanup } = privateSocket()));
afterAll(() => cleanup());

const INDEX = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

/** Starts a small app in its own process, as a user's service would. */
function startApp(source: string, env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', source.replaceAll('ZPS_INDEX', JSON.stringify(INDEX))], {
    env: cleanEnv({ ZPS_SOCKET: socket, ...env }),
  });
  return { child, result: collect(child) };
}

/** Runs a small app to its end. */
function app(source: string, env: NodeJS.ProcessEnv = {}) {
  return startApp(source, env).result;
}

describe('the library in local mode', () => {
  it('talks to the same daemon as the CLI: zps consume --follow shows what an app publishes', async () => {
    const t = unique('app');
    const follower = new RunningZps(socket, ['consume', t, '-f', '--json']);
    const result = await app(`
      import { createFactory } from ZPS_INDEX;
      const factory = createFactory({ consumerGroup: 'app' });
      const publisher = await factory.getPublisherFactory().create(${JSON.stringify(t)}, 'order-created');
      await publisher.publish('order-1', { total: 42 });
      await factory.close();`);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const [line] = await follower.waitForLines(1);
    expect(JSON.parse(line!)).toMatchObject({ topic: t, key: 'order-1', type: 'order-created', value: { total: 42 } });
    follower.child.kill('SIGINT');
    expect((await follower.result).code).toBe(0);
  });

  it('an app consumes what zps publishes, and exits by itself once the factory is closed', async () => {
    const t = unique('app');
    const consumer = app(`
      import { createFactory } from ZPS_INDEX;
      const factory = createFactory({ consumerGroup: 'readers' });
      const consumer = factory.getConsumerFactory().create();
      await new Promise(async (done) => {
        await consumer.consume(${JSON.stringify(t)}, (message, meta) => {
          console.log(JSON.stringify({ message, key: meta.key, type: meta.type }));
          done();
        }, undefined, { fromBeginning: true });
      });
      await factory.close();`);
    await zps(socket, ['publish', t, '-k', 'k', '-t', 'ping', '{"hello":"app"}']);
    const result = await consumer;
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({ message: { hello: 'app' }, key: 'k', type: 'ping' });
    expect((await zps(socket, ['count', t, '-g', 'readers'])).stdout).toBe('0\n');
  });

  it("getMemoryBroker() counts and resets the daemon's topics", async () => {
    const t = unique('helpers');
    await zps(socket, ['publish', t, 'a', 'b']);
    const broker = getMemoryBroker({ socketPath: socket });
    try {
      expect(await broker.getMessageCount(t)).toBe(2);
      await broker.reset([t]);
      expect(await broker.getMessageCount(t)).toBe(0);
    } finally {
      await broker.close();
    }
  });

  it('inProcess: true shares one broker per process, with no daemon', async () => {
    const t = unique('inproc');
    const a = createFactory({ environment: 'local', inProcess: true });
    const b = createFactory({ environment: 'local', inProcess: true, consumerGroup: 'g' });
    const received: unknown[] = [];
    await b
      .getConsumerFactory()
      .create()
      .consume(t, (m) => void received.push(m), undefined, { fromBeginning: true });
    await (await a.getPublisherFactory().create(t)).publish(null, 'shared');
    await waitFor(() => received.length === 1, 'the message');
    expect(await getMemoryBroker({ inProcess: true }).getMessageCount(t)).toBe(1);
    await getMemoryBroker({ inProcess: true }).reset();
    expect(await getMemoryBroker({ inProcess: true }).getMessageCount(t)).toBe(0);
    await Promise.all([a.close(), b.close()]);
  });

  it('rejects a message over 1 MiB with a too-large error, publishing nothing', async () => {
    const factory = createFactory({ environment: 'local', inProcess: true });
    const t = unique('big');
    const publisher = await factory.getPublisherFactory().create(t);
    const error = (await publisher.publish(null, 'x'.repeat(1024 * 1024)).catch((e: unknown) => e)) as ZpsError;
    expect(error).toBeInstanceOf(ZpsError);
    expect(error.code).toBe('too-large');
    expect(error.retriable).toBe(false);
    expect(await factory.getAdmin().count(t)).toBe(0);
    await factory.close();
  });

  it('picks the environment from ZPS_ENV, then ENV, defaulting to local', async () => {
    // local answers from this process's broker; Kafka tries the brokers, which are not there
    const probe = `
      import { createFactory } from ZPS_INDEX;
      const factory = createFactory({ inProcess: true, timeoutMs: 1000 });
      const outcome = await factory.getAdmin().count('x').then(() => 'counted', (error) => error.code);
      console.log(factory.environment, outcome);
      await factory.close();`;
    const nowhere = { ZPS_BROKERS: '127.0.0.1:1' };
    expect((await app(probe)).stdout).toBe('local counted\n');
    expect((await app(probe, { ENV: 'local' })).stdout).toBe('local counted\n');
    expect((await app(probe, { ZPS_ENV: 'local', ENV: 'production' })).stdout).toBe('local counted\n');
    expect((await app(probe, { ENV: 'production', ...nowhere })).stdout).toBe('production unavailable\n');
    expect((await app(probe, { ZPS_ENV: 'staging', ENV: 'local', ...nowhere })).stdout).toBe('staging unavailable\n');
  });
});

describe('a library consumer when the daemon dies', () => {
  it('reconnects, restarting the daemon, keeps consuming, and tells onError (not stderr) that it joins its group again', async () => {
    const own = privateSocket();
    const reported: Array<{ error: unknown; message: unknown; meta: unknown }> = [];
    const factory = createFactory({
      environment: 'local',
      socketPath: own.socket,
      consumerGroup: 'survivor',
      onError: (error, message, meta) => void reported.push({ error, message, meta }),
    });
    const stderr = vi.spyOn(process.stderr, 'write');
    const received: unknown[] = [];
    const consumer = factory.getConsumerFactory().create();
    await consumer.consume('t', (m) => void received.push(m), undefined, { fromBeginning: true });
    const publisher = await factory.getPublisherFactory().create('t');
    await publisher.publish(null, 'before');
    await waitFor(() => received.length === 1, 'the first message');
    await killDaemon(own.socket);
    // the next publish restarts the daemon; the consumer rejoins the new one
    await waitFor(
      async () => {
        await publisher.publish(null, 'after').catch(() => undefined);
        return received.includes('after');
      },
      'a message published after the restart',
      15_000,
    );
    expect(received[0]).toBe('before');
    expect(reported[0]).toMatchObject({ message: undefined, meta: undefined });
    expect(reported[0]!.error).toBeInstanceOf(ZpsError);
    expect(reported[0]!.error).toMatchObject({ retriable: true, message: expect.stringMatching(/^consumer of t stopped, joining its group again: /) });
    expect(stderr.mock.calls.filter(([text]) => String(text).includes('zps:'))).toEqual([]);
    stderr.mockRestore();
    await factory.close();
    own.cleanup();
  });

  it('without onError, says on stderr, in one line, that it joins its group again', async () => {
    const own = privateSocket();
    const t = unique('rejoin');
    const consumer = startApp(
      `
      import { createFactory } from ZPS_INDEX;
      const factory = createFactory({ consumerGroup: 'survivor' });
      const consumer = factory.getConsumerFactory().create();
      await new Promise(async (done) => {
        await consumer.consume(${JSON.stringify(t)}, (message) => {
          console.log(message);
          if (message === 'after') done();
        }, undefined, { fromBeginning: true });
      });
      await factory.close();`,
      { ZPS_SOCKET: own.socket },
    );
    let printed = '';
    consumer.child.stdout!.on('data', (chunk: string) => (printed += chunk));
    await zps(own.socket, ['publish', t, 'before']);
    await waitFor(() => printed.includes('before'), 'the first message');
    await killDaemon(own.socket);
    await zps(own.socket, ['publish', t, 'after']); // restarts the daemon; the consumer rejoins it
    const result = await consumer.result;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^zps: consumer of rejoin-\S+ stopped, joining its group again: .+\n$/);
    own.cleanup();
  });
});

async function killDaemon(socketPath: string): Promise<void> {
  const { pid } = JSON.parse((await zps(socketPath, ['daemon', 'status', '--json'])).stdout);
  process.kill(pid, 'SIGKILL');
}
