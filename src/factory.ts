import { resolveFactoryOptions, type FactoryOptions } from './factory-options.js';
import { KafkaFactory } from './kafka/factory.js';
import { LocalFactory } from './local/factory.js';
import type { PubSubFactory } from './pubsub/types.js';

export type { FactoryOptions } from './factory-options.js';

/** Picks the implementation from the environment name, as the seed's NewFactory does. */
export function createFactory(options: FactoryOptions = {}): PubSubFactory {
  const resolved = resolveFactoryOptions(options);
  return resolved.kind === 'kafka' ? new KafkaFactory(resolved.kafka) : new LocalFactory(resolved.local);
}
