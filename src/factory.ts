/**
 * The composition root: an environment's settings become a factory over that environment's
 * driver. The environment name picks the implementation (`local`: the memory broker, any other:
 * Kafka) by choosing which driver the factory loads, on first use, so a local command never loads Kafka's.
 */
import type { ConnectionPool } from './kafka/client/connection-pool.js';
import { shownUrl } from './properties/registry-url.js';
import { Factory, type Backend } from './pubsub/factory.js';
import type { PubSubFactory, ToolsFactory } from './pubsub/types.js';
import { resolveSettings, type FactoryOptions, type Settings } from './settings.js';

export type { FactoryOptions } from './settings.js';

/** Publishers, consumers and admin for `environment`: local (the memory broker), or Kafka. */
export function createFactory(options: FactoryOptions = {}): PubSubFactory {
  return createTools(options);
}

/** The tools API as well (senders of raw batches, readers from offsets): what the zps command uses. */
export function createTools(options: FactoryOptions = {}): ToolsFactory {
  // the library writes nothing to stderr: the warnings are the CLI's to show
  return toolsFor(resolveSettings(options).settings);
}

/**
 * The factory for settings already resolved (the CLI resolves them itself, to name its flags).
 * `connectionPool`: on Kafka, idle connections to take and to leave (the local daemon's, src/cli/one-shot.ts).
 */
export function toolsFor(settings: Settings, connectionPool?: ConnectionPool): ToolsFactory {
  return new Factory(settings, backendFor(settings, connectionPool));
}

function backendFor(settings: Settings, connectionPool?: ConnectionPool): Backend {
  if (settings.environment === 'local') {
    return { driver: async () => new (await import('./local/driver.js')).LocalDriver(settings) };
  }
  const registry = settings.schemaRegistryUrl;
  return {
    driver: async () => new (await import('./kafka/driver.js')).KafkaDriver(settings, connectionPool),
    // loaded only when a schema is in play: Avro, JSON Schema and protobuf support weigh a lot
    ...(registry
      ? {
          schemas: async () => new (await import('./kafka/schema.js')).SchemaCodec(registry, settings.schemaRegistryAccess, settings.timeoutMs),
          registryShown: shownUrl(registry),
        }
      : {}),
  };
}
