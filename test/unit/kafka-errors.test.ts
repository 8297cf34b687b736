import { describe, expect, it } from 'vitest';
import { ConnectionError } from '../../src/kafka/client/errors.js';
import { kafkaError } from '../../src/kafka/connection.js';
import { brokerError } from '../../src/wire/kafka/messages.js';
import { KafkaErrorCode } from '../../src/wire/kafka/errors.js';

const settings = { brokers: ['k1:9092', 'k2:9092'], timeoutMs: 1000 };

/** A broker's error code, as zps's requests throw it. */
const protocolError = (name: keyof typeof KafkaErrorCode) => brokerError(KafkaErrorCode[name], 'in a test');

describe("Kafka's errors in zps's words", () => {
  it("an unknown topic names the topic and the brokers, the broker's error kept as the cause", () => {
    const cause = protocolError('UNKNOWN_TOPIC_OR_PARTITION');
    const wrapped = new Error('gave up', { cause });
    for (const error of [cause, wrapped]) {
      const mapped = kafkaError(error, settings, '', 'orders');
      expect(mapped.message).toBe('topic orders does not exist on k1:9092,k2:9092');
      expect(mapped.code).toBe('not-found');
      expect(mapped.cause).toBe(error);
    }
    // when the caller does not say which topic (it once read "topic the topic does not exist")
    expect(kafkaError(cause, settings, 'read offsets of group g1').message).toBe('read offsets of group g1: the topic does not exist on k1:9092,k2:9092');
  });

  it('a refused connection and an unknown host are said in words', () => {
    const refused = new ConnectionError('connect ECONNREFUSED 127.0.0.1:1', true);
    expect(kafkaError(refused, settings).message).toBe('cannot reach Kafka at k1:9092,k2:9092: connection refused by 127.0.0.1:1');
    const unknown = new ConnectionError('getaddrinfo ENOTFOUND k1', true);
    expect(kafkaError(unknown, settings).message).toBe('cannot reach Kafka at k1:9092,k2:9092: unknown host k1');
  });

  it('a certificate the client does not trust is a TLS error, with the reason the CLI turns into --tls-ca', () => {
    const error = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    const mapped = kafkaError(error, { ...settings, tls: {} });
    expect(mapped.message).toBe('TLS with k1:9092,k2:9092 failed: self-signed certificate');
    expect(mapped.reason).toBe('tls-untrusted'); // the CLI's hint names --tls-ca (kafka-cli.test.ts)
  });

  it('other broker errors keep their meaning', () => {
    expect(kafkaError(protocolError('NOT_ENOUGH_REPLICAS'), settings, 'publish', 't').message).toBe(
      'publish: not enough in-sync replicas of t to acknowledge on k1:9092,k2:9092',
    );
    expect(kafkaError(protocolError('TOPIC_AUTHORIZATION_FAILED'), settings, '', 't').code).toBe('auth');
  });
});
