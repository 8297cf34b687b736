import { describe } from 'vitest';
import { createTools } from '../../src/index.js';
import { describeAdminGroups } from '../suites/admin-groups.js';
import { type ConformanceTarget, describeConformance } from '../suites/conformance.js';
import { describeAdminTopics } from '../suites/admin-topics.js';

describe('in-process broker', () => {
  const target = (): ConformanceTarget => ({
    name: 'in-process',
    factory: (options) => createTools({ environment: 'local', inProcess: true, ...options }),
    caps: { deliveryTimeoutMs: 10_000 },
  });
  describeConformance(target);
  describeAdminGroups(target);
  describeAdminTopics(target);
});
