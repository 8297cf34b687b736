import type { MemoryBroker } from '../../memory/broker.js';
import { ZpsError } from '../../pubsub/errors.js';
import { type ListenAddress, formatListenAddress } from './address.js';
import { Faults } from './faults.js';
import type { ListenerContext } from './handlers.js';
import { fetchHandlers } from './fetch.js';
import { groupHandlers } from './groups.js';
import { type Handlers, KafkaServer } from './server.js';
import { produceHandlers } from './produce.js';
import { topicHandlers } from './topics.js';
import { topicChangeHandlers } from './topic-changes.js';

export interface KafkaListener {
  /** The address bound, as clients are told it. */
  address: ListenAddress;
  close(): Promise<void>;
  /** For tests: faults the listener shows its clients. */
  faults: Faults;
  /** For tests: `node` (of those opened, see openKafkaListener) leads the partition from now on. */
  moveLeader(topic: string, partition: number, node: number): void;
}

/**
 * Opens the broker's Kafka listener on `address`: every served API answered by its handler. A
 * test may ask for more `nodes`, each on a free port of the same host, all serving the one broker,
 * so that a partition's leader can move.
 */
export async function openKafkaListener(broker: MemoryBroker, address: ListenAddress, log: (line: string) => void, nodes = 1): Promise<KafkaListener> {
  const context: ListenerContext = { broker, advertised: address, moreNodes: [], movedLeaders: new Map() };
  const handlers: Handlers = {
    ...topicHandlers(context),
    ...topicChangeHandlers(context),
    ...produceHandlers(context),
    ...fetchHandlers(context),
    ...groupHandlers(context),
  };
  const faults = new Faults();
  const servers = Array.from({ length: nodes }, (_, node) => new KafkaServer(handlers, log, node, faults));
  const close = () => Promise.all(servers.map((server) => server.close())).then(() => {});
  try {
    context.advertised = await servers[0]!.listen(address);
    for (const server of servers.slice(1)) context.moreNodes.push(await server.listen({ host: address.host, port: 0 }));
  } catch (error) {
    await close();
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'EADDRINUSE'
        ? 'is in use'
        : code === 'EADDRNOTAVAIL'
          ? 'is not an address of this machine'
          : `cannot be listened on: ${(error as Error).message}`;
    throw new ZpsError(`the Kafka listener's address ${formatListenAddress(address)} ${why}`);
  }
  return {
    address: context.advertised,
    close,
    faults,
    moveLeader: (topic, partition, node) => {
      if (!Number.isInteger(node) || node < 0 || node >= nodes) throw new Error(`no node ${node}: the listener has ${nodes}`);
      context.movedLeaders.set(`${topic}/${partition}`, node);
    },
  };
}
