import { afterAll, describe } from 'vitest';
import { createFactory } from '../../dist/index.js';
import { privateSocket } from '../helpers/zps.js';
import { describeConformance } from './suite.js';

describe('local daemon', () => {
  const daemon = privateSocket();
  afterAll(() => daemon.cleanup());
  describeConformance(() => ({
    name: 'daemon',
    factory: (options) => createFactory({ environment: 'local', socketPath: daemon.socket, ...options }),
    caps: { deliveryTimeoutMs: 10_000, publishesNullHeaders: true },
  }));
});
