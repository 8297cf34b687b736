import type { MemoryBroker } from '../../memory/broker.js';
import { ZpsError } from '../../pubsub/errors.js';
import { type ListenAddress, formatListenAddress } from './address.js';
import type { Door } from './door.js';
import { fetchHandlers } from './fetch.js';
import { groupHandlers } from './groups.js';
import { type Handlers, KafkaListener } from './listener.js';
import { produceHandlers } from './produce.js';
import { topicHandlers } from './topics.js';

export interface KafkaDoor {
  /** The address bound, as clients are told it. */
  address: ListenAddress;
  close(): Promise<void>;
}

/** Opens the broker's Kafka door on `address`: every served API answered by its handler. */
export async function openKafkaDoor(broker: MemoryBroker, address: ListenAddress, log: (line: string) => void): Promise<KafkaDoor> {
  const door: Door = { broker, advertised: address };
  const handlers: Handlers = { ...topicHandlers(door), ...produceHandlers(door), ...fetchHandlers(door), ...groupHandlers(door) };
  const listener = new KafkaListener(handlers, log);
  try {
    door.advertised = await listener.listen(address);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'EADDRINUSE'
        ? 'is in use'
        : code === 'EADDRNOTAVAIL'
          ? 'is not an address of this machine'
          : `cannot be listened on: ${(error as Error).message}`;
    throw new ZpsError(`the Kafka listener's address ${formatListenAddress(address)} ${why}`);
  }
  return { address: door.advertised, close: () => listener.close() };
}
