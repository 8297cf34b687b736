import { describe } from 'vitest';
import { createTools } from '../../dist/index.js';
import { describeConformance } from '../suites/conformance.js';

describe('Kafka', () => {
  describeConformance(() => ({
    name: 'kafka',
    factory: (options) => createTools({ environment: 'test', kafkaBrokers: [process.env.ZPS_TEST_BROKERS!], timeoutMs: 20_000, ...options }),
    caps: { deliveryTimeoutMs: 30_000, resetKeepsOffsets: true },
  }));
});
