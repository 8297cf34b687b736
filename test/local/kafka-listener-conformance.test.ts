/**
 * The Kafka-mode suites (kafkajs through zps, and kcat as the other client) pointed at
 * the daemon's Kafka listener instead of Apache Kafka: the daemon must pass what Kafka passes.
 */
import { beforeAll, describe } from 'vitest';
import { createTools } from '../../dist/index.js';
import { kafkaListenerDaemon } from '../helpers/kafka-listener-daemon.js';
import { describeAdminTopics } from '../suites/admin-topics.js';
import { type ConformanceTarget, describeConformance } from '../suites/conformance.js';
import { describeFidelity, KAFKA } from '../suites/fidelity.js';
import { describeInspection } from '../suites/inspection.js';

const listener = kafkaListenerDaemon();
// the suites' Kafka mode and their kcat read the brokers from here (this file's process only)
beforeAll(() => {
  process.env.ZPS_TEST_BROKERS = listener.address();
});

describe("the daemon's Kafka listener, through kafkajs", () => {
  const target = (): ConformanceTarget => ({
    name: 'kafka',
    factory: (options) => createTools({ environment: 'test', kafkaBrokers: [listener.address()], timeoutMs: 20_000, ...options }),
    caps: { deliveryTimeoutMs: 30_000 },
  });
  describeConformance(target);
  describeAdminTopics(target);
});
describeFidelity(KAFKA);
describeInspection(KAFKA);
