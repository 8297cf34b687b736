/**
 * The TLS options kafkajs hands to Node's tls.connect, from zps's TLS settings. Keys and keystores
 * are opened here, before connecting, so that a wrong passphrase is one line naming the file
 * rather than a handshake failure.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type ConnectionOptions, createSecureContext } from 'node:tls';
import { ZpsError, describeError, usageError } from '../pubsub/errors.js';
import type { TlsOptions } from '../settings.js';

export function tlsConnectionOptions(tls: TlsOptions): ConnectionOptions {
  const options: ConnectionOptions = {};
  const trusted = [tls.ca, tls.truststore].filter((file) => file !== undefined);
  if (trusted.length > 0) options.ca = trusted.map(readTrustedCertificates);
  if (tls.cert !== undefined && tls.key !== undefined) {
    options.cert = readFileSync(tls.cert);
    options.key = readFileSync(tls.key);
    openKey(options.key, tls.key, tls.keyPassword);
    if (tls.keyPassword !== undefined) options.passphrase = tls.keyPassword;
  }
  if (tls.keystore !== undefined) {
    options.pfx = readFileSync(tls.keystore);
    options.passphrase = tls.keystorePassword;
    openKeystore(options.pfx, tls.keystore, tls.keystorePassword);
  }
  if (tls.checkHostname === false) options.checkServerIdentity = () => undefined;
  return options;
}

/** PEM certificates; a PKCS#12 truststore Node cannot read without a key in it. */
function readTrustedCertificates(file: string): Buffer {
  const content = readFileSync(file);
  if (!content.includes('-----BEGIN CERTIFICATE-----')) {
    throw usageError(
      `the CA file ${file} holds no PEM certificate: give the CA as PEM (openssl pkcs12 -in ${file} -nokeys -out ca.pem converts a PKCS#12 truststore)`,
    );
  }
  return content;
}

function openKey(key: Buffer, file: string, passphrase: string | undefined): void {
  try {
    createPrivateKey({ key, passphrase: passphrase ?? '' });
  } catch (error) {
    if (!/BAD_DECRYPT|PASSPHRASE/i.test(`${(error as { code?: string }).code} ${describeError(error)}`)) {
      throw usageError(`the TLS key ${file} is not a PEM private key: ${describeError(error)}`);
    }
    if (passphrase === undefined) throw usageError(`the TLS key ${file} is encrypted: give its passphrase in ZPS_TLS_KEY_PASSWORD`);
    throw new ZpsError(`cannot decrypt the TLS key ${file}: wrong passphrase`, { code: 'auth', cause: error });
  }
}

function openKeystore(pfx: Buffer, file: string, passphrase: string | undefined): void {
  try {
    createSecureContext({ pfx, passphrase });
  } catch (error) {
    if (/mac verify failure/i.test(describeError(error)))
      throw new ZpsError(`cannot open the keystore ${file}: wrong password`, { code: 'auth', cause: error });
    throw usageError(`the keystore ${file} is not a PKCS#12 keystore with a key: ${describeError(error)}`);
  }
}
