import { describe } from 'vitest';
import { createTools } from '../../src/index.js';
import { describeConformance } from '../suites/conformance.js';

describe('in-process broker', () => {
  describeConformance(() => ({
    name: 'in-process',
    factory: (options) => createTools({ environment: 'local', inProcess: true, ...options }),
    caps: { deliveryTimeoutMs: 10_000, resetKeepsOffsets: false },
  }));
});
