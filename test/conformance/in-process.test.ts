import { describe } from 'vitest';
import { createFactory } from '../../dist/index.js';
import { describeConformance } from './suite.js';

describe('in-process broker', () => {
  describeConformance(() => ({
    name: 'in-process',
    factory: (options) => createFactory({ environment: 'local', inProcess: true, ...options }),
    caps: { deliveryTimeoutMs: 10_000, publishesNullHeaders: true },
  }));
});
