import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { zps } from '../helpers/zps.js';

/**
 * Client properties through the built CLI, where no broker is needed: which source won shows in
 * the error naming an invalid broker list, and every failure is one line with exit 2.
 */
const dir = mkdtempSync(join(tmpdir(), 'zps-props-'));
function propertiesFile(name: string, text: string, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}
const run = (args: string[], env: NodeJS.ProcessEnv = {}) => zps('/nonexistent/unused.sock', args, { env: { ZPS_ENV: 'kafka', ...env } });
const CONNECTING = [['publish', 't', 'x'], ['consume', 't'], ['count', 't'], ['reset', 't', '--yes'], ['topics'], ['groups']];

describe('client properties: precedence', () => {
  const file = propertiesFile('client.properties', '# from the file\nbootstrap.servers = bad-file\n');

  it('its own flag, then -X, then the --properties file, then ZPS_PROPERTIES, then the environment', async () => {
    const env = { ZPS_BROKERS: 'bad-env', ZPS_PROPERTIES: propertiesFile('env.properties', 'bootstrap.servers: bad-zps-properties\n') };
    const source = async (args: string[]) => (await run(['count', 't', ...args], env)).stderr;
    expect(await source(['-b', 'bad-flag', '-X', 'bootstrap.servers=bad-x', '-F', file])).toBe(
      "zps: invalid broker 'bad-flag' in --brokers: use host:port, as localhost:9092\n",
    );
    expect(await source(['-X', 'bootstrap.servers=bad-x', '-F', file])).toBe(
      "zps: invalid broker 'bad-x' in bootstrap.servers in -X: use host:port, as localhost:9092\n",
    );
    expect(await source(['-F', file])).toBe(`zps: invalid broker 'bad-file' in bootstrap.servers in ${file}: use host:port, as localhost:9092\n`);
    expect(await source([])).toMatch(/^zps: invalid broker 'bad-zps-properties' in bootstrap.servers in .*env\.properties:/);
    expect((await run(['count', 't'], { ZPS_BROKERS: 'bad-env' })).stderr).toMatch(/^zps: invalid broker 'bad-env' in ZPS_BROKERS:/);
  });

  it('-F and -X work on every command that connects, before or after it', async () => {
    for (const args of CONNECTING) {
      const result = await run([...args, '-X', 'bootstrap.servers=bad-x']);
      expect({ args, code: result.code, stderr: result.stderr }).toEqual({
        args,
        code: 2,
        stderr: expect.stringMatching(/^zps: invalid broker 'bad-x' in bootstrap\.servers in -X:.*\n$/),
      });
      expect((await run(['-F', file, ...args])).stderr).toMatch(/^zps: invalid broker 'bad-file' in bootstrap\.servers in /);
    }
  });
});

describe('client properties: failures are one line, exit 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['a typo', ['-X', 'bootstrap.server=x:1'], /^zps: unknown client property 'bootstrap\.server' in -X: did you mean bootstrap\.servers\?$/],
    ['a name no client knows', ['-X', 'frobnicate=1'], /^zps: unknown client property 'frobnicate' in -X$/],
    ['-X without =', ['-X', 'acks'], /^zps: invalid -X 'acks': use -X name=value$/],
    [
      'a missing file',
      ['-F', '/nonexistent/client.properties'],
      /^zps: cannot read the properties file \/nonexistent\/client\.properties given by --properties: no such file$/,
    ],
    ['a directory', ['-F', '/'], /^zps: cannot read the properties file \/ given by --properties: it is a directory$/],
    [
      'OAUTHBEARER without a token',
      ['-X', 'security.protocol=SASL_SSL', '-X', 'sasl.mechanism=OAUTHBEARER'],
      /^zps: SASL OAUTHBEARER \(sasl\.mechanism in -X\) needs a token: give it in ZPS_SASL_TOKEN, a command printing it with --sasl-token-command \(ZPS_SASL_TOKEN_COMMAND\), OAuth client credentials with sasl\.oauthbearer\.token\.endpoint\.url, or unsecuredLoginStringClaim_sub in sasl\.jaas\.config \(test clusters\)$/,
    ],
    [
      'SASL without a mechanism',
      ['-X', 'security.protocol=SASL_SSL'],
      /^zps: security\.protocol=SASL_SSL in -X needs sasl\.mechanism: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER or AWS_MSK_IAM$/,
    ],
    [
      'a bad identification algorithm',
      ['-X', 'security.protocol=SSL', '-X', 'ssl.endpoint.identification.algorithm=none'],
      /^zps: invalid ssl\.endpoint\.identification\.algorithm in -X 'none': use https/,
    ],
  ];
  it.each(cases)('%s', async (_name, args, line) => {
    const result = await run(['count', 't', ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n').filter(Boolean)).toEqual([expect.stringMatching(line)]);
  });

  it('a name in the file is refused naming the file', async () => {
    const file = propertiesFile('typo.properties', 'sasl.mechanism=PLAIN\nsasl.usrename=app\n');
    expect((await run(['topics', '-F', file])).stderr).toBe(`zps: unknown client property 'sasl.usrename' in ${file}: did you mean sasl.username?\n`);
  });
});

describe('client properties: secrets and --verbose', () => {
  const secret = 'Sup3r-Secret-Pa55';
  const jaas = `org.apache.kafka.common.security.plain.PlainLoginModule required username="app" password="${secret}";`;

  it('a file others can read that holds a secret is warned of, a 0600 one is not; the secret never shows, even with --verbose', async () => {
    const text = `bootstrap.servers=127.0.0.1:1\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config=${jaas.replace(' username', ' \\\n  username')}\nbasic.auth.user.info=reg:${secret}\nlinger.ms=5\n`;
    const open = propertiesFile('open.properties', text, 0o644);
    const result = await run(['count', 't', '-F', open, '--verbose', '--timeout', '1s']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`zps: the properties file ${open} holds a secret (sasl.jaas.config) and others can read it: chmod 600 ${open}\n`);
    expect(result.stderr).toContain('zps: client properties not used by zps: linger.ms\n');
    expect(result.stderr).toMatch(/127\.0\.0\.1:1/);
    expect(result.stdout + result.stderr).not.toContain(secret);
    const closed = propertiesFile('closed.properties', text);
    const quiet = await run(['count', 't', '-F', closed, '--timeout', '1s']);
    expect(quiet.stderr).not.toMatch(/others can read|not used/);
  });

  it("a schema registry URL's password is never shown; a file others can read holding one is warned of", async () => {
    const url = `http://reg:${secret}@127.0.0.1:1/`;
    for (const args of [
      ['schemas', '-r', url, '--verbose'],
      ['schemas', '-X', `schema.registry.url=${url}`],
    ]) {
      const result = await run(args, { ZPS_TIMEOUT: '1s' });
      expect(result).toMatchObject({ code: 1, stderr: expect.stringContaining('cannot reach the schema registry at http://reg:****@127.0.0.1:1/\n') });
      expect(result.stdout + result.stderr).not.toContain(secret);
    }
    const open = propertiesFile('registry.properties', `schema.registry.url=${url}\n`, 0o644);
    const warned = await run(['schemas', '-F', open], { ZPS_TIMEOUT: '1s' });
    expect(warned.stderr).toContain(`zps: the properties file ${open} holds a secret (schema.registry.url) and others can read it`);
    expect(warned.stderr).not.toContain(secret);
  });

  it('a schema registry URL that is not http or https is exit 2 naming where it came from', async () => {
    expect(await run(['schemas', '-r', 'notaurl'])).toMatchObject({
      code: 2,
      stderr: "zps: invalid schema registry URL 'notaurl' in --schema-registry: use an http:// or https:// URL, as http://localhost:8081\n",
    });
    expect(await run(['schemas'], { ZPS_SCHEMA_REGISTRY: `ftp://u:${secret}@x` })).toMatchObject({
      code: 2,
      stderr: "zps: invalid schema registry URL 'ftp://u:****@x' in ZPS_SCHEMA_REGISTRY: use an http:// or https:// URL, as http://localhost:8081\n",
    });
    // local mode has no registry: a shell's SCHEMA_REGISTRY_URL does not stop it
    expect((await run(['daemon', 'status'], { ZPS_ENV: 'local', SCHEMA_REGISTRY_URL: 'garbage' })).stderr).not.toMatch(/schema registry/);
  });

  it('a malformed basic.auth.user.info or -X names where it is, never its value', async () => {
    const bad = await run(['count', 't', '-X', `basic.auth.user.info=${secret}`, '--verbose']);
    expect(bad).toMatchObject({ code: 2, stderr: 'zps: invalid basic.auth.user.info in -X: use user:password\n' });
    const unnamed = await run(['count', 't', '-X', `=${secret}`, '--verbose']);
    expect(unnamed).toMatchObject({ code: 2, stderr: "zps: invalid -X: no name before '=': use -X name=value\n" });
  });
});
