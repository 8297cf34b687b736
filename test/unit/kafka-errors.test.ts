import { describe, expect, it } from 'vitest';
import { kafkaError } from '../../src/kafka/connection.js';

const settings = { brokers: ['k1:9092', 'k2:9092'], timeoutMs: 1000 };

/** Errors shaped as kafkajs throws them, wrapped as its retrier wraps them. */
const protocolError = (type: string, message: string) => Object.assign(new Error(message), { name: 'KafkaJSProtocolError', type, retriable: true });

describe("Kafka's errors in zps's words", () => {
  it("an unknown topic names the topic and the brokers, kafkajs's wording kept as the cause", () => {
    const cause = protocolError('UNKNOWN_TOPIC_OR_PARTITION', 'This server does not host this topic-partition');
    const wrapped = Object.assign(new Error(cause.message), { name: 'KafkaJSNumberOfRetriesExceeded', originalError: cause });
    for (const error of [cause, wrapped]) {
      const mapped = kafkaError(error, settings, '', 'orders');
      expect(mapped.message).toBe('topic orders does not exist on k1:9092,k2:9092');
      expect(mapped.message).not.toContain('does not host');
      expect(mapped.code).toBe('not-found');
      expect(mapped.cause).toBe(error);
    }
    // when the caller does not say which topic (it once read "topic the topic does not exist")
    expect(kafkaError(cause, settings, 'read offsets of group g1').message).toBe('read offsets of group g1: the topic does not exist on k1:9092,k2:9092');
  });

  it('a refused connection and an unknown host are said in words', () => {
    const refused = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1'), { name: 'KafkaJSConnectionError' });
    expect(kafkaError(refused, settings).message).toBe('cannot reach Kafka at k1:9092,k2:9092: connection refused by 127.0.0.1:1');
    const unknown = Object.assign(new Error('Connection error: getaddrinfo ENOTFOUND k1'), { name: 'KafkaJSConnectionError' });
    expect(kafkaError(unknown, settings).message).toBe('cannot reach Kafka at k1:9092,k2:9092: unknown host k1');
  });

  it('a certificate the client does not trust is a TLS error, with the reason the CLI turns into --tls-ca', () => {
    const error = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    const mapped = kafkaError(error, { ...settings, tls: {} });
    expect(mapped.message).toBe('TLS with k1:9092,k2:9092 failed: self-signed certificate');
    expect(mapped.reason).toBe('tls-untrusted'); // the CLI's hint names --tls-ca (kafka-cli.test.ts)
  });

  it('other broker errors keep their meaning', () => {
    expect(kafkaError(protocolError('NOT_ENOUGH_REPLICAS', 'x'), settings, 'publish', 't').message).toBe(
      'publish: not enough in-sync replicas of t to acknowledge on k1:9092,k2:9092',
    );
    expect(kafkaError(protocolError('TOPIC_AUTHORIZATION_FAILED', 'x'), settings, '', 't').code).toBe('auth');
  });
});
