import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadKafkajsModule } from '../../dist/kafka/packed-kafkajs.js';

const require = createRequire(import.meta.url);

describe('kafkajs from its pack (dist/kafkajs.cjs)', () => {
  it('is loaded from the pack, its modules registered under their own file names and shared with require()', async () => {
    // as zps's fixes do: a kafkajs module required on its own before kafkajs loads
    const queueFile = require.resolve('kafkajs/src/network/requestQueue/index.js');
    const queue = require(queueFile);
    const kafkajs = await loadKafkajsModule();
    expect(require.cache[fileURLToPath(new URL('../../dist/kafkajs.cjs', import.meta.url))]).toBeDefined();
    expect(typeof kafkajs.Kafka).toBe('function');
    expect(require('kafkajs')).toBe(kafkajs);
    expect(require.cache[require.resolve('kafkajs/src/network/connection.js')]?.loaded).toBe(true);
    expect(require.cache[queueFile]?.exports).toBe(queue);
    expect(await loadKafkajsModule()).toBe(kafkajs);
  });
});
