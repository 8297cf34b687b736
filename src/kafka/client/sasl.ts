/**
 * SASL on a broker connection: SaslHandshake v1 names the mechanism, then each of its rounds is a
 * SaslAuthenticate v1, whose answer also tells how long the session lasts (KIP-368: the connection
 * authenticates again before that). Both messages are a handful of fields, written here.
 */
import { Reader, Writer } from '../../wire/kafka/bytes.js';
import { KafkaErrorCode } from '../../wire/kafka/errors.js';
import { SaslAuthenticationError } from './errors.js';
import { REQUEST_HEADROOM } from './frames.js';

/** One SASL round: the client's bytes sent, the broker's answer. */
export type SaslExchange = (bytes: Buffer) => Promise<Buffer>;

export interface SaslMechanism {
  /** Kafka's name for it (SaslHandshake's). */
  name: string;
  authenticate(exchange: SaslExchange): Promise<void>;
}

export const SASL_HANDSHAKE = { key: 17, version: 1 } as const;
export const SASL_AUTHENTICATE = { key: 36, version: 1 } as const;

/** Authenticated again this long before the session the broker granted ends; the broker refuses that more than once a second. */
export const REAUTHENTICATION_THRESHOLD_MS = 10_000;

export function handshakeRequest(mechanism: string): Writer {
  return new Writer(32, REQUEST_HEADROOM).string(mechanism);
}

/** SaslHandshake's answer: the mechanism refused names the ones the broker has. */
export function checkHandshake(response: Buffer, mechanism: string): void {
  const reader = new Reader(response);
  const errorCode = reader.int16();
  const enabled = Array.from({ length: Math.max(0, reader.int32()) }, () => reader.string() ?? '');
  if (errorCode === KafkaErrorCode.NONE) return;
  if (errorCode === KafkaErrorCode.UNSUPPORTED_SASL_MECHANISM) {
    throw new SaslAuthenticationError(`the brokers do not accept SASL ${mechanism} (they accept ${enabled.join(', ') || 'none'})`);
  }
  throw new SaslAuthenticationError(`SASL handshake failed with Kafka error ${errorCode}`);
}

export function authenticateRequest(bytes: Buffer): Writer {
  return new Writer(bytes.byteLength + 8, REQUEST_HEADROOM).bytes(bytes);
}

/** SaslAuthenticate v1's answer: the broker's bytes and the session's lifetime (0: unlimited); its error thrown. */
export function readAuthenticate(response: Buffer, mechanism: string): { bytes: Buffer; sessionLifetimeMs: number } {
  const reader = new Reader(response);
  const errorCode = reader.int16();
  const errorMessage = reader.string();
  const bytes = reader.bytes() ?? Buffer.alloc(0);
  const sessionLifetimeMs = reader.int64();
  if (errorCode !== KafkaErrorCode.NONE) {
    throw new SaslAuthenticationError(`SASL ${mechanism} authentication failed: ${errorMessage ?? `Kafka error ${errorCode}`}`);
  }
  return { bytes, sessionLifetimeMs };
}
