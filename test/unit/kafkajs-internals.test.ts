import kafkajs from 'kafkajs';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createCluster } from '../../src/kafka/internals.js';

describe("kafkajs's internals that zps uses (src/kafka/internals.ts)", () => {
  it('kafkajs is exactly the version zps was written against', () => {
    const installed = JSON.parse(readFileSync('node_modules/kafkajs/package.json', 'utf8')).version;
    const declared = JSON.parse(readFileSync('package.json', 'utf8')).dependencies.kafkajs;
    expect({ declared, installed }).toEqual({ declared: '2.2.4', installed: '2.2.4' });
  });

  it('are where kafkajs 2.2.4 has them', () => {
    const cluster = createCluster(new kafkajs.Kafka({ brokers: ['127.0.0.1:1'], logLevel: kafkajs.logLevel.NOTHING }));
    for (const method of ['connect', 'disconnect', 'addTargetTopic', 'refreshMetadata', 'findLeaderForPartitions', 'findBroker'] as const) {
      expect(typeof cluster[method], method).toBe('function');
    }
    const internal = cluster as unknown as { addMultipleTargetTopics: unknown; findTopicPartitionMetadata: unknown };
    expect(typeof internal.addMultipleTargetTopics).toBe('function');
    expect(typeof internal.findTopicPartitionMetadata).toBe('function');
  });
});
