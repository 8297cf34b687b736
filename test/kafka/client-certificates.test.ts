import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFactory } from '../../dist/index.js';
import { unique } from '../helpers/wait.js';
import { zps, type RunOptions } from '../helpers/zps.js';

/** The certificates servers.setup.ts names: the test CA, the client's in each shape, and one from another CA. */
interface TlsFiles {
  ca: string;
  truststore: string;
  clientCert: string;
  clientKey: string;
  clientKeyEncrypted: string;
  clientKeystore: string;
  foreignCert: string;
  foreignKey: string;
  password: string;
}
const files = (): TlsFiles => JSON.parse(process.env.ZPS_TEST_TLS_FILES!) as TlsFiles;
const mtls = () => process.env.ZPS_TEST_MTLS_BROKERS!;

/** zps against the listener that requires a client certificate, trusting the test CA. */
const mz = (args: string[], options: RunOptions = {}) =>
  zps('/nonexistent/unused.sock', args, {
    ...options,
    env: { ZPS_ENV: 'test', ZPS_BROKERS: mtls(), ZPS_TLS_CA: files().ca, ...options.env },
    timeoutMs: 60_000,
  });
const withPemCertificate = () => ['--tls-cert', files().clientCert, '--tls-key', files().clientKey];

describe('TLS client certificates (a listener requiring one)', () => {
  it('publishes and consumes with a PEM certificate and key, and kcat reads what zps wrote', async () => {
    const t = unique('mtls');
    expect(await mz(['publish', t, ...withPemCertificate(), '-k', 'k1', 'over-mtls'])).toMatchObject({ code: 0, stderr: '' });
    expect(await mz(['consume', t, ...withPemCertificate()])).toMatchObject({ code: 0, stdout: 'over-mtls\n', stderr: '' });
    const { ca, clientCert, clientKey } = files();
    const kcat = spawnSync(
      'kcat',
      [
        ...['-b', mtls(), '-C', '-t', t, '-e', '-f', '%k=%s\\n'],
        ...['-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${ca}`],
        ...['-X', `ssl.certificate.location=${clientCert}`, '-X', `ssl.key.location=${clientKey}`],
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(kcat).toMatchObject({ status: 0, stdout: 'k1=over-mtls\n' });
  });

  it('takes the certificate from ZPS_TLS_CERT and an encrypted key from ZPS_TLS_KEY with ZPS_TLS_KEY_PASSWORD', async () => {
    const t = unique('mtls-encrypted');
    const { clientCert, clientKeyEncrypted, password } = files();
    const env = { ZPS_TLS_CERT: clientCert, ZPS_TLS_KEY: clientKeyEncrypted, ZPS_TLS_KEY_PASSWORD: password };
    expect(await mz(['publish', t, 'encrypted-key'], { env })).toMatchObject({ code: 0, stderr: '' });
    const consumed = await mz(['consume', t, '--verbose'], { env });
    expect(consumed).toMatchObject({ code: 0, stdout: 'encrypted-key\n' });
    expect(consumed.stderr).not.toContain(password);
  });

  it("takes the certificate from a Java client.properties (PEM, encrypted key) and a PKCS#12 keystore from -X, as Kafka's tools name them", async () => {
    const t = unique('mtls-properties');
    const { ca, clientCert, clientKeyEncrypted, clientKeystore, password } = files();
    const dir = mkdtempSync(join(tmpdir(), 'zps-mtls-'));
    const properties = join(dir, 'client.properties');
    writeFileSync(
      properties,
      [
        `bootstrap.servers=${mtls()}`,
        'security.protocol=SSL',
        `ssl.ca.location=${ca}`,
        `ssl.certificate.location=${clientCert}`,
        `ssl.key.location=${clientKeyEncrypted}`,
        `ssl.key.password=${password}`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const env = { ZPS_ENV: 'test' };
    const published = await zps('/nonexistent/unused.sock', ['publish', t, '-F', properties, 'from-properties'], { env, timeoutMs: 60_000 });
    expect(published).toMatchObject({ code: 0, stderr: '' });
    const keystore = ['-X', `bootstrap.servers=${mtls()}`, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${ca}`];
    keystore.push('-X', `ssl.keystore.location=${clientKeystore}`, '-X', 'ssl.keystore.type=PKCS12', '-X', `ssl.keystore.password=${password}`);
    const consumed = await zps('/nonexistent/unused.sock', ['consume', t, ...keystore, '--verbose'], { env, timeoutMs: 60_000 });
    expect(consumed).toMatchObject({ code: 0, stdout: 'from-properties\n' });
    expect(`${consumed.stdout}${consumed.stderr}`).not.toContain(password);
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes with a PKCS#12 keystore and a PEM truststore given to the library, read back by the CLI', async () => {
    const t = unique('mtls-keystore');
    const { ca, clientKeystore, password } = files();
    const factory = createFactory({
      environment: 'test',
      kafkaBrokers: [mtls()],
      tls: { truststore: ca, keystore: clientKeystore, keystorePassword: password },
      timeoutMs: 30_000,
    });
    try {
      const publisher = await factory.getPublisherFactory().create(t);
      await publisher.publish('k', 'from-keystore');
    } finally {
      await factory.close();
    }
    expect(await mz(['consume', t, ...withPemCertificate()])).toMatchObject({ code: 0, stdout: '"from-keystore"\n' });
  });

  it("trusts the CA from keytool's PKCS#12 truststore (ssl.truststore.*), and names its wrong or missing password", async () => {
    const t = unique('mtls-truststore');
    const { truststore, password } = files();
    const trust = ['-X', 'security.protocol=SSL', '-X', `ssl.truststore.location=${truststore}`, '-X', 'ssl.truststore.type=PKCS12'];
    const env = { ZPS_TLS_CA: '' };
    const published = await mz(['publish', t, ...withPemCertificate(), ...trust, '-X', `ssl.truststore.password=${password}`, 'trusted-by-p12'], { env });
    expect(published).toMatchObject({ code: 0, stderr: '' });
    expect(await mz(['consume', t, ...withPemCertificate()])).toMatchObject({ code: 0, stdout: 'trusted-by-p12\n' });
    const wrong = await mz(['count', t, ...withPemCertificate(), ...trust, '-X', 'ssl.truststore.password=not-it'], { env });
    expect(wrong).toMatchObject({ code: 1, stdout: '', stderr: `zps: cannot open the truststore ${truststore}: wrong password\n` });
    const missing = await mz(['count', t, ...withPemCertificate(), ...trust], { env });
    expect(missing).toMatchObject({ code: 2, stdout: '', stderr: `zps: cannot open the truststore ${truststore}: it needs ssl.truststore.password\n` });
  });

  it("a keystore's wrong password is an error naming the keystore", async () => {
    const { ca, clientKeystore } = files();
    const factory = createFactory({
      environment: 'test',
      kafkaBrokers: [mtls()],
      tls: { ca, keystore: clientKeystore, keystorePassword: 'not-it' },
      timeoutMs: 10_000,
    });
    const publish = async () => (await factory.getPublisherFactory().create(unique('mtls-keystore'))).publish('k', 'never');
    try {
      await expect(publish()).rejects.toThrow(`cannot open the keystore ${clientKeystore}: wrong password`);
    } finally {
      await factory.close();
    }
  });

  it('no certificate: one line saying none was given, exit 1, within the timeout', async () => {
    const started = Date.now();
    const result = await mz(['count', 'anything', '--timeout', '5s']);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.code).toBe(1);
    const [error, hint] = result.stderr.split('\n');
    expect(error).toMatch(new RegExp(`^zps: .*TLS with ${mtls()} failed: the brokers require a client certificate and none was given`));
    expect(hint).toMatch(/--tls-cert/);
  });

  it('a certificate from another CA: one line naming the certificate, exit 1', async () => {
    const { foreignCert, foreignKey } = files();
    const result = await mz(['publish', unique('mtls-foreign'), 'x', '--tls-cert', foreignCert, '--tls-key', foreignKey, '--timeout', '5s']);
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')[0]).toMatch(`the brokers refused the client certificate ${foreignCert}`);
  });

  it('a wrong passphrase names the key and never shows the passphrase; no passphrase says where to give it', async () => {
    const { clientCert, clientKeyEncrypted } = files();
    const env = { ZPS_TLS_CERT: clientCert, ZPS_TLS_KEY: clientKeyEncrypted };
    const wrong = await mz(['count', 'anything', '--verbose'], { env: { ...env, ZPS_TLS_KEY_PASSWORD: 'not-the-passphrase' } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.split('\n')[0]).toBe(`zps: cannot decrypt the TLS key ${clientKeyEncrypted}: wrong passphrase`);
    expect(wrong.stderr).not.toContain('not-the-passphrase');
    const none = await mz(['count', 'anything'], { env });
    expect(none).toMatchObject({ code: 2, stderr: `zps: the TLS key ${clientKeyEncrypted} is encrypted: give its passphrase in ZPS_TLS_KEY_PASSWORD\n` });
  });

  it('a missing certificate or key file, or a certificate without its key, is exit 2 naming the file', async () => {
    const missing = await mz(['count', 'anything', '--tls-cert', '/nonexistent/client.pem', '--tls-key', files().clientKey]);
    expect(missing).toMatchObject({ code: 2, stderr: 'zps: cannot read the client certificate /nonexistent/client.pem given by --tls-cert: no such file\n' });
    const missingKey = await mz(['count', 'anything'], { env: { ZPS_TLS_CERT: files().clientCert, ZPS_TLS_KEY: '/nonexistent/client.key' } });
    expect(missingKey).toMatchObject({ code: 2, stderr: 'zps: cannot read the client key /nonexistent/client.key given by ZPS_TLS_KEY: no such file\n' });
    const noKey = await mz(['count', 'anything', '--tls-cert', files().clientCert]);
    expect(noKey).toMatchObject({ code: 2, stderr: `zps: the client certificate ${files().clientCert} needs its key: give it with --tls-key (ZPS_TLS_KEY)\n` });
  });
});

describe('SASL PLAIN over TLS (SASL_SSL)', () => {
  it('publishes and consumes with --sasl-mechanism plain and --tls-ca', async () => {
    const t = unique('sasl-ssl');
    const env = {
      ZPS_BROKERS: process.env.ZPS_TEST_SASL_SSL_BROKERS!,
      ZPS_SASL_MECHANISM: 'plain',
      ZPS_SASL_USERNAME: process.env.ZPS_TEST_SASL_USER!,
      ZPS_SASL_PASSWORD: process.env.ZPS_TEST_SASL_PASSWORD!,
    };
    expect(await mz(['publish', t, 'over-sasl-ssl'], { env })).toMatchObject({ code: 0, stderr: '' });
    expect(await mz(['consume', t], { env })).toMatchObject({ code: 0, stdout: 'over-sasl-ssl\n', stderr: '' });
  });
});
