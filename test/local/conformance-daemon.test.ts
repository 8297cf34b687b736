import { afterAll, describe } from 'vitest';
import { createTools } from '../../dist/index.js';
import { privateSocket } from '../helpers/zps.js';
import { describeAdminGroups } from '../suites/admin-groups.js';
import { type ConformanceTarget, describeConformance } from '../suites/conformance.js';
import { describeAdminTopics } from '../suites/admin-topics.js';

describe('local daemon', () => {
  const daemon = privateSocket();
  afterAll(() => daemon.cleanup());
  const target = (): ConformanceTarget => ({
    name: 'daemon',
    factory: (options) => createTools({ environment: 'local', socketPath: daemon.socket, ...options }),
    caps: { deliveryTimeoutMs: 10_000 },
  });
  describeConformance(target);
  describeAdminGroups(target);
  describeAdminTopics(target);
});
