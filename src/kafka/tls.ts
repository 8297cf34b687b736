/**
 * The TLS options Node's tls.connect takes (zps's Kafka connections, the registry's HTTPS agent), from
 * zps's TLS settings. Keys and keystores are opened here, before connecting, so that a wrong
 * passphrase is one line naming the file rather than a handshake failure.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type ConnectionOptions, createSecureContext } from 'node:tls';
import { ZpsError, describeError, usageError } from '../pubsub/errors.js';
import type { TlsOptions } from '../settings.js';

export function tlsConnectionOptions(tls: TlsOptions): ConnectionOptions {
  const options: ConnectionOptions = {};
  const trusted: Buffer[] = [];
  if (tls.ca !== undefined) trusted.push(readPemCertificates(tls.ca));
  if (tls.truststore !== undefined) trusted.push(readTruststore(tls.truststore, tls.truststorePassword, tls.truststoreType));
  if (trusted.length > 0) options.ca = trusted;
  if (tls.cert !== undefined && tls.key !== undefined) {
    options.cert = readFileSync(tls.cert);
    options.key = readFileSync(tls.key);
    openKey(options.key, tls.key, tls.keyPassword);
    if (tls.keyPassword !== undefined) options.passphrase = tls.keyPassword;
  }
  if (tls.keystore !== undefined) {
    checkStoreType(tls.keystoreType, ['PKCS12'], 'ssl.keystore.type', tls.keystore);
    options.pfx = readFileSync(tls.keystore);
    options.passphrase = tls.keystorePassword;
    openKeystore(options.pfx, tls.keystore, tls.keystorePassword);
  }
  if (tls.checkHostname === false) options.checkServerIdentity = () => undefined;
  return options;
}

/** PEM certificates, as a CA file holds them. */
function readPemCertificates(file: string): Buffer {
  const content = readFileSync(file);
  if (!content.includes(PEM_CERTIFICATE)) {
    throw usageError(`the CA file ${file} holds no PEM certificate: give the CA as PEM, or a PKCS#12 file as ssl.truststore.location`);
  }
  return content;
}

const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----';

/**
 * A truststore's certificates as PEM: a PEM file as it is, a PKCS#12 one (what keytool makes) read
 * with node-forge, because Node opens PKCS#12 only with a key in it. The type is the file's own
 * unless ssl.truststore.type says otherwise.
 */
function readTruststore(file: string, password: string | undefined, type: string | undefined): Buffer {
  checkStoreType(type, ['PKCS12', 'PEM'], 'ssl.truststore.type', file);
  const content = readFileSync(file);
  if (type?.toUpperCase() !== 'PKCS12' && content.includes(PEM_CERTIFICATE)) return content;
  if (type?.toUpperCase() === 'PEM') throw usageError(`the truststore ${file} holds no PEM certificate (ssl.truststore.type=PEM)`);
  // loaded only for PKCS#12 truststores: nobody else pays for it
  const forge = createRequire(import.meta.url)('node-forge') as typeof import('node-forge');
  let certificates: string[];
  try {
    const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(content.toString('binary')), password ?? '');
    const certBag = forge.pki.oids.certBag!;
    const bags = p12.getBags({ bagType: certBag })[certBag] ?? [];
    certificates = bags.flatMap((bag) => (bag.cert ? [forge.pki.certificateToPem(bag.cert)] : []));
  } catch (error) {
    if (/MAC could not be verified|Invalid password/i.test(describeError(error))) {
      throw new ZpsError(`cannot open the truststore ${file}: ${password === undefined ? 'it needs ssl.truststore.password' : 'wrong password'}`, {
        code: password === undefined ? 'usage' : 'auth',
        cause: error,
      });
    }
    throw usageError(`the truststore ${file} is neither PEM nor PKCS#12: ${describeError(error)}`);
  }
  if (certificates.length === 0) throw usageError(`the truststore ${file} holds no certificate`);
  return Buffer.from(certificates.join(''));
}

/** JKS and other Java-only stores are refused with the keytool line that converts them. */
function checkStoreType(type: string | undefined, supported: string[], property: string, file: string): void {
  if (type === undefined || supported.includes(type.toUpperCase())) return;
  throw usageError(
    `${property}=${type} is not supported for ${file}: use ${supported.join(' or ')} (keytool -importkeystore -srckeystore ${file} -destkeystore store.p12 -deststoretype PKCS12 converts a JKS store)`,
  );
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
