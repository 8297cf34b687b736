/**
 * vitest global setup: the Kafka tests need a real broker and schema registry. Starts them
 * (fetching them on first use) unless they already answer, and stops what it started; makes the
 * Python venv of the foreign clients.
 */
// @ts-expect-error: a plain .mjs script, shared with `npm run kafka:up`
import { down, servers, up } from '../../scripts/test-servers.mjs';
import { pythonWithKafkaClient } from '../helpers/clients.js';

export default async function setup(): Promise<() => Promise<void>> {
  const started: boolean = await up();
  // Made here, once: test files run in parallel workers, and two pip installs into one venv break each other.
  pythonWithKafkaClient();
  process.env.ZPS_TEST_BROKERS = servers.brokers;
  process.env.ZPS_TEST_SASL_BROKERS = servers.saslBrokers;
  process.env.ZPS_TEST_TLS_BROKERS = servers.tlsBrokers;
  process.env.ZPS_TEST_TLS_CA = servers.tlsCa;
  process.env.ZPS_TEST_REGISTRY = servers.registry;
  process.env.ZPS_TEST_SASL_USER = servers.saslUser;
  process.env.ZPS_TEST_SASL_PASSWORD = servers.saslPassword;
  // Already set: the client-certificate and OAuth tests run against another broker with these listeners
  // (a spare one, from spareBroker(name, basePort, { secured: true })).
  process.env.ZPS_TEST_MTLS_BROKERS ??= servers.mtlsBrokers;
  process.env.ZPS_TEST_SASL_SSL_BROKERS ??= servers.saslSslBrokers;
  process.env.ZPS_TEST_TLS_FILES ??= JSON.stringify(servers.tls);
  process.env.ZPS_TEST_OAUTH_UNSECURED_BROKERS ??= servers.oauthUnsecuredBrokers;
  process.env.ZPS_TEST_OAUTH_JWKS_BROKERS ??= servers.oauthJwksBrokers;
  process.env.ZPS_TEST_OAUTH_TOKEN_URL ??= servers.oauth.tokenUrl;
  process.env.ZPS_TEST_OAUTH_ISSUER ??= servers.oauth.issuer;
  return async () => {
    if (started) await down();
  };
}
