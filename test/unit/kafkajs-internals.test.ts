import kafkajs from 'kafkajs';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createCluster, frameInHeadroom, installRequestQueueFix, REQUEST_HEADROOM } from '../../src/kafka/internals.js';
import { Writer } from '../../src/wire/kafka/bytes.js';

describe("kafkajs's internals that zps uses (src/kafka/internals.ts)", () => {
  it('kafkajs is exactly the version zps was written against', () => {
    const installed = JSON.parse(readFileSync('node_modules/kafkajs/package.json', 'utf8')).version;
    const declared = JSON.parse(readFileSync('package.json', 'utf8')).dependencies.kafkajs;
    expect({ declared, installed }).toEqual({ declared: '2.2.4', installed: '2.2.4' });
  });

  it('are where kafkajs 2.2.4 has them', () => {
    const cluster = createCluster(new kafkajs.Kafka({ brokers: ['127.0.0.1:1'], logLevel: kafkajs.logLevel.NOTHING }));
    for (const method of [
      'connect',
      'disconnect',
      'addTargetTopic',
      'refreshMetadata',
      'findLeaderForPartitions',
      'findBroker',
      'findGroupCoordinator',
    ] as const) {
      expect(typeof cluster[method], method).toBe('function');
    }
    const internal = cluster as unknown as { brokerPool: { findConnectedBroker: unknown } };
    expect(typeof internal.brokerPool.findConnectedBroker).toBe('function');
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

describe("zps's framing of its own requests (src/kafka/internals.ts)", () => {
  it("writes the bytes kafkajs's framing writes, in the body's headroom, without a copy", async () => {
    const require = createRequire(import.meta.url);
    const kafkajsFraming = require('kafkajs/src/protocol/request.js') as (options: object) => Promise<{ buffer: Buffer }>;
    const writer = new Writer(16, REQUEST_HEADROOM);
    writer.int32(7).string('body');
    const body = writer.finish();
    const request = { apiKey: 0, apiVersion: 7, encode: async () => ({ buf: body, buffer: body }) };
    const expected = (await kafkajsFraming({ correlationId: 42, clientId: 'zps', request })).buffer;
    const framed = frameInHeadroom({ buf: body, buffer: body, headroom: REQUEST_HEADROOM }, 0, 7, 42, 'zps');
    expect(framed).toEqual(expected);
    expect(framed!.buffer).toBe(body.buffer); // the body's own memory
    expect(frameInHeadroom({ buf: body, buffer: body }, 0, 7, 42, 'zps')).toBeUndefined(); // no headroom: kafkajs frames it
  });
});
