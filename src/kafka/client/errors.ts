/**
 * The errors of zps's own Kafka connections, by what went wrong rather than by Kafka's error codes
 * (those are brokerError's, src/wire/kafka/messages.ts): connection.ts's kafkaError turns each into
 * the one line users see.
 */

/** A broker that could not be reached, or a connection to it lost: worth trying again, but for TLS refusing it. */
export class ConnectionError extends Error {
  override readonly name = 'KafkaConnectionError';
  /** Node's error code (ECONNREFUSED, ERR_TLS_CERT_ALTNAME_INVALID...), when Node gave one. */
  readonly code: string | undefined;

  constructor(
    message: string,
    readonly retriable: boolean,
    cause?: unknown,
  ) {
    super(message, { cause });
    this.code = (cause as { code?: string } | undefined)?.code;
  }
}

/** A request the broker did not answer in time (its connection is closed: the next request makes a new one). */
export class RequestTimeoutError extends Error {
  override readonly name = 'KafkaRequestTimeoutError';
  readonly retriable = true;
}

/** The broker refused the credentials (or the client refused the broker's SCRAM proof): never tried again. */
export class SaslAuthenticationError extends Error {
  override readonly name = 'SaslAuthenticationError';
  readonly retriable = false;
}
