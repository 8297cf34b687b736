import { describe } from 'vitest';
import { createTools } from '../../dist/index.js';
import { describeAdminGroups } from '../suites/admin-groups.js';
import { type ConformanceTarget, describeConformance } from '../suites/conformance.js';
import { describeAdminTopics } from '../suites/admin-topics.js';

describe('Kafka', () => {
  const target = (): ConformanceTarget => ({
    name: 'kafka',
    factory: (options) => createTools({ environment: 'test', kafkaBrokers: [process.env.ZPS_TEST_BROKERS!], timeoutMs: 20_000, ...options }),
    caps: { deliveryTimeoutMs: 30_000 },
  });
  describeConformance(target);
  describeAdminGroups(target);
  describeAdminTopics(target);
});
