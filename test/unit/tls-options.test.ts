import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PeerCertificate } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { tlsConnectionOptions } from '../../src/kafka/tls.js';

const dir = mkdtempSync(join(tmpdir(), 'zps-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("TLS settings as Node's connection options", () => {
  it("checks the brokers' host names unless checkHostname is false", () => {
    expect(tlsConnectionOptions({}).checkServerIdentity).toBeUndefined(); // Node's own check
    const unchecked = tlsConnectionOptions({ checkHostname: false }).checkServerIdentity!;
    expect(unchecked('kafka.example.com', { subject: { CN: 'elsewhere' } } as unknown as PeerCertificate)).toBeUndefined();
  });

  it('a truststore that is neither PEM nor PKCS#12 is a usage error naming it', () => {
    const truststore = join(dir, 'truststore.p12');
    writeFileSync(truststore, Buffer.from([0x30, 0x82, 0x04, 0x00]));
    expect(() => tlsConnectionOptions({ truststore })).toThrow(
      expect.objectContaining({ code: 'usage', message: expect.stringContaining(`the truststore ${truststore} is neither PEM nor PKCS#12`) }),
    );
  });

  it('a CA file that is not PEM is a usage error pointing to ssl.truststore.location', () => {
    const ca = join(dir, 'ca.der');
    writeFileSync(ca, Buffer.from([0x30, 0x82, 0x04, 0x00]));
    expect(() => tlsConnectionOptions({ ca })).toThrow(
      expect.objectContaining({ code: 'usage', message: expect.stringContaining(`the CA file ${ca} holds no PEM certificate`) }),
    );
  });

  it('JKS stores are refused with the keytool line that converts them', () => {
    const store = join(dir, 'store.jks');
    writeFileSync(store, 'x');
    for (const options of [
      { truststore: store, truststoreType: 'JKS' },
      { keystore: store, keystoreType: 'jks' },
    ]) {
      expect(() => tlsConnectionOptions(options)).toThrow(
        expect.objectContaining({
          code: 'usage',
          message: expect.stringMatching(/=(JKS|jks) is not supported for .*store\.jks: use PKCS12.*keytool -importkeystore/),
        }),
      );
    }
  });
});
