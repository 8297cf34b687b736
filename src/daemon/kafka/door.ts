import type { MemoryBroker } from '../../memory/broker.js';
import type { Message } from '../../wire/kafka/definition.js';
import type { ListenAddress } from './address.js';
import type { Handler } from './listener.js';

/** What every handler of the Kafka door reaches: the one broker, and the address clients are told. */
export interface Door {
  broker: MemoryBroker;
  advertised: ListenAddress;
}

/** The door is a cluster of one broker: node 0, leader of every partition, its own coordinator. */
export const NODE_ID = 0;
export const LEADER_EPOCH = 0;

/** Handlers by API name (see apis.ts for the versions). */
export type Handlers = Record<string, Handler>;

/** Items of a request's array field, typed loosely: each handler reads the fields its API has. */
export function items(value: unknown): Message[] {
  return (value as Message[] | null) ?? [];
}
