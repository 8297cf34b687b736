import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { installRequestQueueFix } from '../../src/kafka/internals.js';

describe("kafkajs's internals that zps uses (src/kafka/internals.ts)", () => {
  it('kafkajs is exactly the version zps was written against', () => {
    const installed = JSON.parse(readFileSync('node_modules/kafkajs/package.json', 'utf8')).version;
    const declared = JSON.parse(readFileSync('package.json', 'utf8')).dependencies.kafkajs;
    expect({ declared, installed }).toEqual({ declared: '2.2.4', installed: '2.2.4' });
  });
});

describe("kafkajs's request queue, fixed (src/kafka/internals.ts)", () => {
  it('schedules no look at pending requests when none are pending and none throttled (Node 23+ warned of its negative delay)', () => {
    installRequestQueueFix();
    const require = createRequire(import.meta.url);
    const RequestQueue = require('kafkajs/src/network/requestQueue/index.js');
    const logger = { debug() {}, info() {}, warn() {}, error() {}, namespace: () => logger };
    const queue = new RequestQueue({
      instrumentationEmitter: null,
      maxInFlightRequests: null,
      requestTimeout: 1000,
      enforceRequestTimeout: false,
      clientId: 'z',
      broker: 'b',
      logger,
    });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    queue.scheduleCheckPendingRequests();
    expect(queue.throttleCheckTimeoutId ?? null).toBeNull();
    queue.pending.push({});
    queue.throttledUntil = Date.now() + 60_000;
    queue.scheduleCheckPendingRequests(); // throttled with requests waiting: scheduled as kafkajs does
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(queue.throttleCheckTimeoutId);
    process.off('warning', onWarning);
    expect(warnings).toEqual([]);
  });
});
