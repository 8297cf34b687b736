import { isIP } from 'node:net';
import { usageError } from '../../pubsub/errors.js';

/** Where the daemon answers Kafka clients when `--kafka` names no address. */
export const DEFAULT_KAFKA_LISTEN = '127.0.0.1:9092';

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * A Kafka listener's address: `host:port`, `[v6]:port` or a port alone (on 127.0.0.1). Loopback
 * only: the daemon's Unix socket is owner-only, and this listener must not open the broker to the
 * network. `localhost` becomes 127.0.0.1, the address clients are told (librdkafka may resolve
 * `localhost` to ::1). Port 0 picks a free port (status shows which).
 */
export function parseListenAddress(text: string, from: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text.trim()) ?? /^()()(\d+)$/.exec(text.trim());
  if (!match) throw usageError(`${from} '${text}' is not an address: give host:port, as ${DEFAULT_KAFKA_LISTEN}`);
  const given = match[1] ?? match[2] ?? '';
  const host = given === '' || given === 'localhost' ? '127.0.0.1' : given;
  const port = Number(match[3]);
  if (port > 65_535) throw usageError(`${from} '${text}': port ${port} is over 65535`);
  if (!isLoopback(host)) {
    throw usageError(`${from} '${text}' is not a loopback address: the Kafka listener only answers on this machine (127.0.0.1 or ::1)`);
  }
  return { host, port };
}

function isLoopback(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith('127.');
  return isIP(host) === 6 && (host === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(host));
}

export function formatListenAddress({ host, port }: ListenAddress): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
