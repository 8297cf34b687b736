import { describe } from 'vitest';
import { createFactory } from '../../dist/index.js';
import { describeConformance } from './suite.js';

describe('Kafka', () => {
  describeConformance(() => ({
    name: 'kafka',
    factory: (options) =>
      createFactory({ environment: 'test', kafkaBrokers: [process.env.ZPS_TEST_BROKERS!], timeoutMs: 20_000, ...options }),
    caps: { deliveryTimeoutMs: 30_000, publishesNullHeaders: false },
  }));
});
