import type { MemoryBroker } from '../../memory/broker.js';
import { ZpsError } from '../../pubsub/errors.js';
import { type ListenAddress, formatListenAddress } from './address.js';
import { API_KEYS, SERVED_APIS } from './apis.js';
import { fetchHandlers } from './fetch.js';
import { groupHandlers } from './groups.js';
import type { ListenerContext } from './handlers.js';
import { type Handler, KafkaServer } from './server.js';
import { produceHandlers } from './produce.js';
import { topicHandlers } from './topics.js';

export interface KafkaListener {
  /** The address bound, as clients are told it. */
  address: ListenAddress;
  close(): Promise<void>;
}

/** Opens the broker's Kafka listener on `address`: every served API answered by its handler. */
export async function openKafkaListener(broker: MemoryBroker, address: ListenAddress, log: (line: string) => void): Promise<KafkaListener> {
  const context: ListenerContext = { broker, advertised: address };
  const byName = { ...topicHandlers(context), ...produceHandlers(context), ...fetchHandlers(context), ...groupHandlers(context) };
  const handlers = new Map<number, Handler>(Object.entries(byName).map(([name, handler]) => [API_KEYS[name]!, handler]));
  for (const api of SERVED_APIS.values()) if (!handlers.has(api.key)) throw new Error(`no handler for ${api.name}`);
  const server = new KafkaServer(handlers, log);
  try {
    context.advertised = await server.listen(address);
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
  return { address: context.advertised, close: () => server.close() };
}
