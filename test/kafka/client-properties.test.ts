import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFactory } from '../../dist/index.js';
import { unique } from '../helpers/wait.js';
import { zps, type RunOptions } from '../helpers/zps.js';

/** zps against the test broker's SASL and TLS listeners, configured by client properties only. */
const kz = (args: string[], options: RunOptions = {}) =>
  zps('/nonexistent/unused.sock', args, { ...options, env: { ZPS_ENV: 'test', ...options.env }, timeoutMs: 60_000 });
const dir = mkdtempSync(join(tmpdir(), 'zps-props-'));
function propertiesFile(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  chmodSync(path, 0o600);
  return path;
}
const user = () => process.env.ZPS_TEST_SASL_USER!;
const password = () => process.env.ZPS_TEST_SASL_PASSWORD!;

describe('client properties against the real broker', () => {
  it('a Java client.properties with sasl.jaas.config (SCRAM-SHA-512, continued over two lines) publishes and consumes, by -F and by ZPS_PROPERTIES', async () => {
    const file = propertiesFile('scram.properties', [
      '# as Kafka tools take it',
      `bootstrap.servers=${process.env.ZPS_TEST_SASL_BROKERS}`,
      'security.protocol=SASL_PLAINTEXT',
      'sasl.mechanism=SCRAM-SHA-512',
      'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\',
      `    username="${user()}" password="${password()}";`,
      'acks=all',
    ]);
    const t = unique('props');
    expect(await kz(['publish', t, 'via-file', '-F', file])).toMatchObject({ code: 0, stderr: '' });
    expect(await kz(['consume', t], { env: { ZPS_PROPERTIES: file } })).toMatchObject({ code: 0, stdout: 'via-file\n', stderr: '' });
  });

  it('-X alone (librdkafka names, as kcat takes them) connects with SASL PLAIN', async () => {
    const t = unique('props');
    const x = ['-X', `bootstrap.servers=${process.env.ZPS_TEST_SASL_BROKERS}`, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=PLAIN'];
    const credentials = ['-X', `sasl.username=${user()}`, '-X', `sasl.password=${password()}`];
    expect(await kz(['publish', t, 'via-x', ...x, ...credentials])).toMatchObject({ code: 0, stderr: '' });
    expect(await kz(['count', t, ...x, ...credentials])).toMatchObject({ code: 0, stdout: '1\n' });
  });

  it('a wrong password in sasl.jaas.config is one authentication error, exit 1, and never printed, even with --verbose', async () => {
    const wrong = 'Wr0ng-pa55-in-jaas';
    const file = propertiesFile('wrong.properties', [
      `bootstrap.servers=${process.env.ZPS_TEST_SASL_BROKERS}`,
      'security.protocol=SASL_PLAINTEXT',
      'sasl.mechanism=SCRAM-SHA-256',
      `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${user()}" password="${wrong}";`,
    ]);
    const result = await kz(['topics', '-F', file, '--verbose', '--timeout', '5s']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^zps: authentication failed at .* for user zps: /m);
    expect(result.stdout + result.stderr).not.toContain(wrong);
  });

  it('security.protocol=SSL with ssl.ca.location connects over TLS; an empty ssl.endpoint.identification.algorithm skips the host name check, said on stderr', async () => {
    const t = unique('props');
    const tls = [
      '-X',
      `bootstrap.servers=${process.env.ZPS_TEST_TLS_BROKERS}`,
      '-X',
      'security.protocol=SSL',
      '-X',
      `ssl.ca.location=${process.env.ZPS_TEST_TLS_CA}`,
    ];
    expect(await kz(['publish', t, 'over-tls', ...tls])).toMatchObject({ code: 0, stderr: '' });
    const unchecked = await kz(['consume', t, ...tls, '-X', 'ssl.endpoint.identification.algorithm=']);
    expect(unchecked).toMatchObject({
      code: 0,
      stdout: 'over-tls\n',
      stderr: "zps: ssl.endpoint.identification.algorithm in -X is empty: the brokers' certificates are not checked against their host names\n",
    });
    // 127.1 is 127.0.0.1, a name the broker's certificate does not carry: refused unless the check is off
    const byOtherName = ['-X', `bootstrap.servers=${process.env.ZPS_TEST_TLS_BROKERS!.replace('127.0.0.1', '127.1')}`, ...tls.slice(2)];
    const mismatch = await kz(['count', t, ...byOtherName, '--timeout', '5s']);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(/^zps: .*TLS with 127\.1:19095 failed: .*(altnames|host ?name)/im);
    expect(await kz(['count', t, ...byOtherName, '-X', 'ssl.endpoint.identification.algorithm='])).toMatchObject({ code: 0, stdout: '1\n' });
    // without the CA, security.protocol=SSL alone still means TLS, and the broker's certificate is refused
    const untrusted = await kz(['count', t, ...tls.slice(0, 4), '--timeout', '5s']);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/^zps: .*TLS with 127\.0\.0\.1:19095 failed/);
  });

  it('the library takes the same: properties (as -X) and propertiesFile (as -F), the option beating the file', async () => {
    const t = unique('props');
    const file = propertiesFile('library.properties', ['bootstrap.servers=127.0.0.1:1', 'security.protocol=SASL_PLAINTEXT', 'sasl.mechanism=PLAIN']);
    const factory = createFactory({
      environment: 'test',
      propertiesFile: file,
      properties: { 'bootstrap.servers': process.env.ZPS_TEST_SASL_BROKERS!, 'sasl.username': user(), 'sasl.password': password() },
    });
    try {
      await (await factory.getPublisherFactory().create(t, 'm')).publish(null, { from: 'library' });
    } finally {
      await factory.close();
    }
    const x = ['-X', `sasl.username=${user()}`, '-X', `sasl.password=${password()}`, '-X', `bootstrap.servers=${process.env.ZPS_TEST_SASL_BROKERS}`];
    expect(await kz(['consume', t, '-F', file, ...x])).toMatchObject({ code: 0, stdout: '{"from":"library"}\n' });
    expect(() => createFactory({ environment: 'test', properties: { 'sasl.mechansim': 'PLAIN' } })).toThrow(
      "unknown client property 'sasl.mechansim' in properties: did you mean sasl.mechanism?",
    );
  });
});
