/**
 * Idle broker connections kept between the Kafka commands the local daemon runs for `zps`
 * (src/cli/one-shot.ts): a script's next `zps publish` to the same broker, with the same TLS and
 * credentials, skips connecting, the TLS handshake, ApiVersions and SASL, which on a remote cluster
 * cost more round trips than the command itself. A connection is handed to one command at a time,
 * kept only when nothing is in flight on it, and closed after IDLE_MS unused: well within the
 * broker's connections.max.idle.ms (10 min) and the idle timeouts of cloud load balancers, so that
 * it is not silently dropped. One the broker closed meanwhile is not handed out, nor one kept longer
 * than that by the wall clock (a machine that slept: its timers stood still, the network did not).
 * One the network dropped without a word (a VPN that reconnected) is found out by the probe each
 * connection handed out carries ahead of the command's first request: unanswered within PROBE_MS,
 * the connection closes, and the command's requests on it fail retriable and go on a new one.
 */
import type { BrokerConnection } from './broker-connection.js';

const IDLE_MS = 30_000;
/** Long enough for a loaded broker across an ocean to answer ApiVersions; far below a command's timeout. */
const PROBE_MS = 2_000;

/** The connections of one cluster and one set of credentials, by host:port. */
export interface PooledConnections {
  take(address: string): BrokerConnection | undefined;
  /** Keeps the connection for the next command when it is idle; closes it otherwise. */
  keep(address: string, connection: BrokerConnection): void;
}

export class ConnectionPool {
  private readonly idle = new Map<string, Array<{ connection: BrokerConnection; expiry: NodeJS.Timeout; keptAt: number }>>();

  /** The connections of settings whose `credentials` (TLS and SASL, as text) are these. */
  for(credentials: string): PooledConnections {
    return {
      take: (address) => this.take(`${address} ${credentials}`),
      keep: (address, connection) => this.keep(`${address} ${credentials}`, connection),
    };
  }

  private take(key: string): BrokerConnection | undefined {
    const kept = this.idle.get(key);
    for (let entry = kept?.pop(); entry; entry = kept?.pop()) {
      clearTimeout(entry.expiry);
      if (entry.connection.isIdle && Date.now() - entry.keptAt < IDLE_MS) {
        entry.connection.probe(PROBE_MS);
        return entry.connection;
      }
      entry.connection.close();
    }
    this.idle.delete(key);
    return undefined;
  }

  private keep(key: string, connection: BrokerConnection): void {
    if (!connection.isIdle) {
      connection.close();
      return;
    }
    const kept = this.idle.get(key) ?? [];
    this.idle.set(key, kept);
    const entry = {
      connection,
      keptAt: Date.now(),
      expiry: setTimeout(() => {
        kept.splice(kept.indexOf(entry), 1);
        if (kept.length === 0 && this.idle.get(key) === kept) this.idle.delete(key);
        connection.close();
      }, IDLE_MS).unref(),
    };
    kept.push(entry);
  }
}
