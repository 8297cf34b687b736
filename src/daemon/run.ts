import { MemoryBroker, type BrokerLimits } from '../memory/broker.js';
import { ZpsError } from '../pubsub/errors.js';
import { VERSION } from '../version.js';
import { DaemonClient } from './client.js';
import { tryLock } from './lock.js';
import { daemonPaths, prepareSocketDir, removeStaleSocket } from './paths.js';
import { DaemonServer, type OneShotRunner } from './server.js';
import { type ListenAddress, formatListenAddress } from './kafka/address.js';

/** How a daemon is started: what a command passes to the daemon it spawns. */
export interface DaemonConfig {
  limits: Partial<BrokerLimits>;
  /** Also answer Kafka clients on this address. */
  kafka?: ListenAddress;
}

export interface DaemonOptions extends DaemonConfig {
  socket: string;
  /** Runs the commands clients send (src/cli/one-shot.ts); without it they run them themselves. */
  oneShots?: OneShotRunner;
}

/** Runs the daemon in this process until it is asked to stop or gets SIGTERM/SIGINT. */
export async function runDaemon(options: DaemonOptions): Promise<void> {
  const paths = daemonPaths(options.socket);
  prepareSocketDir(paths.socket);
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} [${process.pid}] ${line}\n`);
  const broker = new MemoryBroker(options.limits);
  const server = new DaemonServer(broker, paths.socket, log, options.oneShots);
  try {
    await server.listen();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    await takeOverStaleSocket(paths.socket, paths.lockFile);
    await server.listen();
  }
  // the Kafka listener opens after the socket is ours: a second daemon must not take the port first
  const { openKafkaListener } = options.kafka ? await import('./kafka/open.js') : { openKafkaListener: undefined };
  const kafka =
    openKafkaListener && options.kafka
      ? await openKafkaListener(broker, options.kafka, log).catch(async (error) => {
          await server.close();
          throw error;
        })
      : undefined;
  if (kafka) server.kafkaAddress = formatListenAddress(kafka.address);
  server.serve();
  log(`zps daemon ${VERSION} listening on ${paths.socket}${kafka ? ` and for Kafka clients on ${server.kafkaAddress}` : ''}`);
  process.on('uncaughtException', (error) => log(`internal error, still serving: ${error.stack ?? error}`));

  const signalled = new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await Promise.race([server.whenShutdownRequested(), signalled]);
  await kafka?.close();
  await server.close();
  log('stopped');
}

/** A socket file is there: refuse if a daemon answers on it, else remove it (holding the lock). */
async function takeOverStaleSocket(socket: string, lockFile: string): Promise<void> {
  try {
    const client = await DaemonClient.connect(socket);
    client.close();
    throw new ZpsError(`a zps daemon (pid ${client.hello.pid}) is already running on ${socket}`);
  } catch (error) {
    if (error instanceof ZpsError) throw error;
  }
  const lock = await tryLock(socket, lockFile);
  if (!lock) throw new ZpsError(`another zps is starting a daemon on ${socket}`);
  try {
    removeStaleSocket(socket);
  } finally {
    await lock.release();
  }
}
