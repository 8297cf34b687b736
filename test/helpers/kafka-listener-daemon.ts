import { afterAll, beforeAll } from 'vitest';
import { privateSocket, zps } from './zps.js';

/**
 * A daemon of its own answering Kafka clients on a free loopback port, for the file's tests; its
 * address (host:port) once started. Local-mode commands of the tests use other daemons.
 */
export function kafkaListenerDaemon(): { address: () => string; socket: () => string } {
  let address = '';
  let own: ReturnType<typeof privateSocket>;
  beforeAll(async () => {
    own = privateSocket();
    const started = await zps(own.socket, ['daemon', 'start', '--kafka', '127.0.0.1:0']);
    if (started.code !== 0) throw new Error(`the daemon did not start: ${started.stderr}`);
    const status = JSON.parse((await zps(own.socket, ['daemon', 'status', '--json'])).stdout) as { kafka: string };
    address = status.kafka;
  });
  afterAll(() => own.cleanup());
  return { address: () => address, socket: () => own.socket };
}
