import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJaasConfig } from '../../src/properties/client.js';
import { parseProperties } from '../../src/properties/parse.js';
import { resolveSettings } from '../../src/settings.js';

const parsed = (text: string) => Object.fromEntries(parseProperties(text, 'test.properties'));

describe('.properties files, read as java.util.Properties reads them', () => {
  it('takes = : and blank separators, skips # and ! comments and blank lines, trims blanks around the separator', () => {
    expect(parsed('# comment\n  ! another\n\na=1\nb : 2\nc 3\n  d=  four five \ne=\nf\n')).toEqual({
      a: '1',
      b: '2',
      c: '3',
      d: 'four five ',
      e: '',
      f: '',
    });
  });

  it('continues a line that ends in an odd number of backslashes, dropping the next line’s leading blanks', () => {
    expect(parsed('a=one \\\n    two \\\n\tthree\nb=ends\\\\\nc=3\n')).toEqual({ a: 'one two three', b: 'ends\\', c: '3' });
    // a continued line that looks like a comment is not one; a backslash at the end of the file is dropped
    expect(parsed('a=x\\\n# not a comment\nb=y\\')).toEqual({ a: 'x# not a comment', b: 'y' });
  });

  it('reads \\t \\n \\r \\f \\uXXXX, any other escaped character as itself, and escaped separators in keys', () => {
    expect(parsed('a=tab\\there\\nnew\\u00e9\\q\nkey\\=with\\:colon\\ space=v\nb=C:\\\\dir')).toEqual({
      a: 'tab\there\nnewéq',
      'key=with:colon space': 'v',
      b: 'C:\\dir',
    });
  });

  it('accepts \\r\\n and \\r line ends; a later name wins', () => {
    expect(parsed('a=1\r\nb=2\ra=3')).toEqual({ a: '3', b: '2' });
  });

  it('a malformed \\u escape is a usage error naming the file and line', () => {
    expect(() => parsed('a=1\nb=\\u12x4\n')).toThrow(/^malformed \\uXXXX escape in test\.properties line 2$/);
  });
});

describe('sasl.jaas.config', () => {
  it('reads the PLAIN and SCRAM login modules’ username and password, quoted (with escapes) or bare', () => {
    expect(parseJaasConfig('org.apache.kafka.common.security.plain.PlainLoginModule required username="app" password="p@ss \\"word\\"";', 'x')).toEqual({
      module: 'plain',
      username: 'app',
      password: 'p@ss "word"',
    });
    expect(parseJaasConfig('org.apache.kafka.common.security.scram.ScramLoginModule required username=app password=secret', 'x')).toEqual({
      module: 'scram',
      username: 'app',
      password: 'secret',
    });
  });

  it('other login modules and garbage are usage errors that never quote the value', () => {
    expect(() => parseJaasConfig('com.example.Login required password="hunter2";', 'f')).toThrow(/^unknown login module com\.example\.Login in f/);
    expect(() => parseJaasConfig('password="hunter2"', 'f')).toThrow(/^cannot read f: use/);
    expect(() => parseJaasConfig('password="hunter2"', 'f')).not.toThrow(/hunter2/);
  });
});

describe('precedence: option, -X (properties), properties file, environment, default', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zps-props-'));
  const file = join(dir, 'client.properties');
  writeFileSync(file, 'bootstrap.servers=file:9092\nschema.registry.url=http://file:8081\ngroup.id=file-group\n');
  chmodSync(file, 0o600);
  /** A file in the test's directory (TLS files must be readable; their content is read only when connecting). */
  const tlsFile = (name: string) => {
    const path = join(dir, name);
    writeFileSync(path, '');
    return path;
  };
  const env = { ZPS_ENV: 'k', ZPS_BROKERS: 'env:9092', ZPS_SCHEMA_REGISTRY: 'http://env:8081', ZPS_GROUP: 'env-group' };
  const brokers = (options: Parameters<typeof resolveSettings>[0], environment: NodeJS.ProcessEnv = env) =>
    resolveSettings(options, environment).settings.brokers;

  it('each source beats the ones after it', () => {
    const properties = { 'bootstrap.servers': 'x:9092' };
    expect(brokers({ kafkaBrokers: ['option:9092'], properties, propertiesFile: file })).toEqual(['option:9092']);
    expect(brokers({ properties, propertiesFile: file })).toEqual(['x:9092']);
    expect(brokers({ propertiesFile: file })).toEqual(['file:9092']);
    expect(brokers({})).toEqual(['env:9092']);
    expect(brokers({}, { ZPS_ENV: 'k' })).toEqual(['localhost:9092']);
    const { settings } = resolveSettings({ propertiesFile: file }, env);
    expect(settings).toMatchObject({ schemaRegistryUrl: 'http://file:8081', group: 'file-group' });
  });

  it('ZPS_PROPERTIES names the file when no option does', () => {
    expect(brokers({}, { ...env, ZPS_PROPERTIES: file })).toEqual(['file:9092']);
  });

  it('security.protocol decides TLS and SASL over the environment; the mechanism and credentials come from properties or sasl.jaas.config', () => {
    const { settings } = resolveSettings(
      {
        properties: {
          'security.protocol': 'sasl_ssl',
          'sasl.mechanisms': 'SCRAM-SHA-512',
          'sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";',
          'ssl.certificate.location': tlsFile('c.pem'),
          'ssl.key.location': tlsFile('k.pem'),
          'ssl.keystore.location': tlsFile('ks.p12'),
          'ssl.truststore.password': 'tp',
          'basic.auth.user.info': 'reg:secret:with:colons',
        },
      },
      { ...env, ZPS_SASL_USERNAME: 'env-user' },
    );
    expect(settings.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: 'p' });
    expect(settings.tls).toEqual({ cert: tlsFile('c.pem'), key: tlsFile('k.pem'), keystore: tlsFile('ks.p12'), truststorePassword: 'tp' });
    expect(settings.schemaRegistryAccess).toEqual({ auth: { username: 'reg', password: 'secret:with:colons' }, ca: undefined });
    const plaintext = resolveSettings({ properties: { 'security.protocol': 'PLAINTEXT' } }, { ...env, ZPS_TLS: '1', ZPS_SASL_MECHANISM: 'plain' });
    expect(plaintext.settings.tls).toBeUndefined();
    expect(plaintext.settings.sasl).toBeUndefined();
  });

  it('a TLS file from a property that cannot be read is a usage error naming the file and the property', () => {
    const missing = join(dir, 'missing.pem');
    expect(() => resolveSettings({ properties: { 'security.protocol': 'SSL', 'ssl.certificate.location': missing } }, env)).toThrow(
      `cannot read the client certificate ${missing} given by ssl.certificate.location in properties: no such file`,
    );
  });

  it('an empty ssl.endpoint.identification.algorithm turns the host name check off and warns; unused names are notes', () => {
    const { settings, warnings, notes } = resolveSettings(
      { properties: { 'security.protocol': 'SSL', 'ssl.endpoint.identification.algorithm': '', acks: 'all' } },
      env,
    );
    expect(settings.tls?.checkHostname).toBe(false);
    expect(warnings).toEqual([
      "ssl.endpoint.identification.algorithm in properties is empty: the brokers' certificates are not checked against their host names",
    ]);
    expect(notes).toEqual(['client properties not used by zps: acks']);
  });

  it('refuses a name no Kafka client knows (with the closest one), a bad protocol, SASL without a mechanism', () => {
    expect(() => resolveSettings({ properties: { 'bootstrap.server': 'x:1' } }, env)).toThrow(
      "unknown client property 'bootstrap.server' in properties: did you mean bootstrap.servers?",
    );
    expect(() => resolveSettings({ properties: { zzzzzz: '1' } }, env)).toThrow(/^unknown client property 'zzzzzz' in properties$/);
    expect(() => resolveSettings({ properties: { 'security.protocol': 'TLS' } }, env)).toThrow(
      /^invalid security\.protocol 'TLS' in properties: use PLAINTEXT/,
    );
    expect(() => resolveSettings({ properties: { 'security.protocol': 'SASL_SSL' } }, env)).toThrow(/needs sasl\.mechanism/);
    expect(() => resolveSettings({ properties: { 'sasl.mechanism': 'GSSAPI' } }, env)).toThrow(
      "invalid SASL mechanism 'GSSAPI' in sasl.mechanism in properties: use plain, scram-sha-256, scram-sha-512, oauthbearer, aws-msk-iam",
    );
  });
});
