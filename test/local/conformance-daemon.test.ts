import { afterAll, describe } from 'vitest';
import { createTools } from '../../dist/index.js';
import { privateSocket } from '../helpers/zps.js';
import { describeConformance } from '../suites/conformance.js';

describe('local daemon', () => {
  const daemon = privateSocket();
  afterAll(() => daemon.cleanup());
  describeConformance(() => ({
    name: 'daemon',
    factory: (options) => createTools({ environment: 'local', socketPath: daemon.socket, ...options }),
    caps: { deliveryTimeoutMs: 10_000, resetKeepsOffsets: false },
  }));
});
