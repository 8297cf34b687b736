import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFactory } from '../../dist/index.js';
// @ts-expect-error: a plain .mjs script, shared with the test servers
import { oauthClient } from '../../scripts/oauth-fixture.mjs';
import { unique, waitFor } from '../helpers/wait.js';
import { RunningZps, type RunOptions, zps } from '../helpers/zps.js';

const unsecured = () => process.env.ZPS_TEST_OAUTH_UNSECURED_BROKERS!;
const jwks = () => process.env.ZPS_TEST_OAUTH_JWKS_BROKERS!;
const tokenUrl = () => process.env.ZPS_TEST_OAUTH_TOKEN_URL!;
const client = oauthClient as { id: string; secret: string };
/** A token signed by the fixture, valid for `lifetime` seconds (negative: already expired). */
const mintUrl = (lifetime: number) => `${process.env.ZPS_TEST_OAUTH_ISSUER}/mint?lifetime=${lifetime}`;
const mint = async (lifetime: number) => (await fetch(mintUrl(lifetime))).text();
/** A shell command printing a fresh token, as a user's `gcloud auth print-access-token` would. */
const printToken = (lifetime: number) => `node -e "fetch(process.argv[1]).then((r) => r.text()).then((t) => process.stdout.write(t))" '${mintUrl(lifetime)}'`;

const dir = mkdtempSync(join(tmpdir(), 'zps-oauth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function propertiesFile(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  chmodSync(file, 0o600);
  return file;
}

const run = (brokers: string, args: string[], options: RunOptions = {}) =>
  zps('/nonexistent/unused.sock', args, { ...options, env: { ZPS_ENV: 'test', ZPS_BROKERS: brokers, ...options.env }, timeoutMs: 30_000 });

const credentials = ['-X', `sasl.oauthbearer.client.id=${client.id}`, '-X', `sasl.oauthbearer.client.secret=${client.secret}`];

describe('OAUTHBEARER against the real broker', () => {
  it("publishes and consumes with Kafka's unsecured login from a Java client.properties (-F)", async () => {
    const t = unique('oauth-unsecured');
    const file = propertiesFile('unsecured.properties', [
      `bootstrap.servers=${unsecured()}`,
      'security.protocol=SASL_PLAINTEXT',
      'sasl.mechanism=OAUTHBEARER',
      'sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="alice";',
    ]);
    expect(await run('', ['publish', '-F', file, t, 'unsecured'])).toMatchObject({ code: 0, stderr: '' });
    expect(await run('', ['consume', '-F', file, t])).toMatchObject({ code: 0, stdout: 'unsecured\n', stderr: '' });
  });

  it('takes a signed token from ZPS_SASL_TOKEN to the listener that checks it against the JWKS, never printing it', async () => {
    const t = unique('oauth-static');
    const env = { ZPS_SASL_MECHANISM: 'OAUTHBEARER', ZPS_SASL_TOKEN: await mint(300) };
    expect(await run(jwks(), ['publish', t, 'static'], { env })).toMatchObject({ code: 0, stderr: '' });
    const consumed = await run(jwks(), ['consume', t, '--verbose'], { env });
    expect(consumed).toMatchObject({ code: 0, stdout: 'static\n' });
    expect(consumed.stderr).not.toContain(env.ZPS_SASL_TOKEN);
  });

  it('runs --sasl-token-command for its token (the flag alone means OAUTHBEARER)', async () => {
    const t = unique('oauth-command');
    const command = ['--sasl-token-command', printToken(300)];
    expect(await run(jwks(), ['publish', t, ...command, 'from-command'])).toMatchObject({ code: 0, stderr: '' });
    expect(await run(jwks(), ['consume', t, ...command])).toMatchObject({ code: 0, stdout: 'from-command\n', stderr: '' });
  });

  it('a context saved with --sasl-token-command (and nothing else of SASL) signs in with OAUTHBEARER', async () => {
    const t = unique('oauth-context');
    const env = { XDG_CONFIG_HOME: mkdtempSync(join(dir, 'config-')) };
    const added = await run(jwks(), ['context', 'add', 'idp', '-e', 'test', '-b', jwks(), '--sasl-token-command', printToken(300)], { env });
    expect(added).toMatchObject({ code: 0, stderr: '' });
    // nothing of the cluster outside the context: ZPS_ENV and ZPS_BROKERS emptied
    const only = { ...env, ZPS_ENV: '', ZPS_BROKERS: '' };
    expect(await run(jwks(), ['publish', t, '--context', 'idp', 'in-context'], { env: only })).toMatchObject({ code: 0, stderr: '' });
    expect(await run(jwks(), ['consume', t, '--context', 'idp'], { env: only })).toMatchObject({ code: 0, stdout: 'in-context\n', stderr: '' });
  });

  it('gets tokens by OAuth client credentials (-X with SASL extensions, and a Java sasl.jaas.config), for group consumers too, the secret never printed', async () => {
    const t = unique('oauth-oidc');
    // with SASL extensions, as Confluent Cloud asks for (the broker parses them, and accepts any)
    const x = ['--sasl-mechanism', 'oauthbearer', '-X', `sasl.oauthbearer.token.endpoint.url=${tokenUrl()}`, ...credentials];
    x.push('-X', 'sasl.oauthbearer.extensions=logicalCluster=lkc-1,identityPoolId=pool-2');
    expect(await run(jwks(), ['publish', t, ...x, 'by-client-credentials'])).toMatchObject({ code: 0, stderr: '' });
    const file = propertiesFile('oidc.properties', [
      'security.protocol=SASL_PLAINTEXT',
      'sasl.mechanism=OAUTHBEARER',
      `sasl.oauthbearer.token.endpoint.url=${tokenUrl()}`,
      `sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId="${client.id}" clientSecret="${client.secret}" scope="kafka";`,
    ]);
    const consumed = await run(jwks(), ['consume', t, '-F', file, '-g', unique('oauth-group'), '-n', '1', '--verbose']);
    expect(consumed).toMatchObject({ code: 0, stdout: 'by-client-credentials\n' });
    expect(consumed.stderr).not.toContain(client.secret);
  });

  it('the library takes a token command as its sasl option', async () => {
    const t = unique('oauth-library');
    const factory = createFactory({ environment: 'test', kafkaBrokers: [jwks()], sasl: { tokenCommand: printToken(300) }, timeoutMs: 30_000 });
    try {
      await (await factory.getPublisherFactory().create(t)).publish('k', 'from-library');
    } finally {
      await factory.close();
    }
    expect(await run(jwks(), ['consume', t, '--sasl-token-command', printToken(300)])).toMatchObject({ code: 0, stdout: '"from-library"\n' });
  });

  it('a consume --follow keeps reading after its first token expired: its connections get a new token (kafkajs authenticates again)', async () => {
    const t = unique('oauth-refresh');
    const runs = join(dir, 'token-runs');
    // the broker ends a session when its token expires (connections.max.reauth.ms): 20 s tokens
    const command = ['--sasl-token-command', `echo run >> ${runs}; ${printToken(20)}`];
    expect(await run(jwks(), ['publish', t, ...command, 'before-expiry'])).toMatchObject({ code: 0, stderr: '' });
    rmSync(runs);
    const consumer = new RunningZps('/nonexistent/unused.sock', ['consume', t, '--follow', ...command], { ZPS_ENV: 'test', ZPS_BROKERS: jwks() });
    try {
      await consumer.waitForLines(1, 20_000);
      // its first token was made before it read that line
      const firstExpiry = Date.now() + 20_000;
      await waitFor(() => Date.now() > firstExpiry + 1_000, 'the first token to expire', 30_000);
      expect(await run(jwks(), ['publish', t, ...command, 'after-expiry'])).toMatchObject({ code: 0, stderr: '' });
      expect(await consumer.waitForLines(2, 20_000)).toEqual(['before-expiry', 'after-expiry']);
      // the first token, then the one kafkajs authenticated again with before the first expired
      expect(readFileSync(runs, 'utf8').split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(2);
    } finally {
      consumer.child.kill('SIGINT');
    }
    expect(await consumer.result).toMatchObject({ code: 0, stderr: '' });
  }, 90_000);
});

describe('OAUTHBEARER failures: one line, exit code, within the timeout', () => {
  it('a wrong client secret: the token endpoint, its HTTP status and OAuth error, never the secret', async () => {
    const x = ['--sasl-mechanism', 'oauthbearer', '-X', `sasl.oauthbearer.token.endpoint.url=${tokenUrl()}`];
    const args = ['topics', ...x, '-X', `sasl.oauthbearer.client.id=${client.id}`, '-X', 'sasl.oauthbearer.client.secret=not-it'];
    expect(await run(jwks(), args)).toMatchObject({
      code: 1,
      stdout: '',
      stderr: `zps: the token endpoint ${tokenUrl()} refused client ${client.id}: HTTP 401: invalid_client (client authentication failed)\n`,
    });
    expect((await run(jwks(), [...args, '--verbose'])).stderr).not.toContain('not-it');
  });

  it('an expired token is refused before connecting; a token the broker refuses is its answer at once', async () => {
    const expired = await mint(-60);
    const result = await run(jwks(), ['topics', '--sasl-mechanism', 'oauthbearer'], { env: { ZPS_SASL_TOKEN: expired } });
    expect(result).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^zps: the OAUTHBEARER token from ZPS_SASL_TOKEN expired at \S+Z\n$/) });
    // a token signed by no key the listener knows
    const unsigned = await run(jwks(), ['topics', '--sasl-mechanism', 'oauthbearer', '--timeout', '5s'], { env: { ZPS_SASL_TOKEN: 'not.a-jwt.at-all' } });
    expect(unsigned).toMatchObject({
      code: 1,
      stderr: `zps: authentication failed at ${jwks()} with the OAUTHBEARER token from ZPS_SASL_TOKEN: the brokers refused the token (invalid_token)\n`,
    });
  });

  it('a failing token command: its exit status and last stderr line', async () => {
    const result = await run(jwks(), ['topics', '--sasl-token-command', 'echo working >&2; echo no session, log in first >&2; exit 4']);
    expect(result).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'zps: the token command of --sasl-token-command failed (exit status 4): no session, log in first\n',
    });
    // one that hangs (a shell waiting on its child) is ended with its children, within the timeout
    const started = Date.now();
    const hung = await run(jwks(), ['topics', '--sasl-token-command', 'sleep 60', '--timeout', '2s']);
    expect(hung).toMatchObject({ code: 1, stderr: 'zps: the token command of --sasl-token-command printed no token within 1600 ms\n' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('no token source: exit 2 naming the ways to give one', async () => {
    const result = await run(jwks(), ['topics', '--sasl-mechanism', 'oauthbearer']);
    expect(result).toMatchObject({
      code: 2,
      stderr:
        'zps: SASL OAUTHBEARER (--sasl-mechanism) needs a token: give it in ZPS_SASL_TOKEN, a command printing it with --sasl-token-command (ZPS_SASL_TOKEN_COMMAND), ' +
        'OAuth client credentials with sasl.oauthbearer.token.endpoint.url, or unsecuredLoginStringClaim_sub in sasl.jaas.config (test clusters)\n',
    });
  });
});

describe('AWS MSK IAM (no AWS here)', () => {
  it("sends AWS's signed token by OAUTHBEARER: a broker that is not MSK refuses it in one line naming MSK IAM", async () => {
    const aws = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', AWS_REGION: 'eu-west-1' };
    const result = await run(unsecured(), ['topics', '--sasl-mechanism', 'aws-msk-iam', '--verbose'], { env: aws });
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toMatch(
      new RegExp(`^zps: authentication failed at ${unsecured()} with AWS MSK IAM: the brokers refused the token \\(invalid_token\\)\\n`, 'm'),
    );
    expect(result.stderr).not.toContain(aws.AWS_SECRET_ACCESS_KEY);
  });

  it('without a region in the environment or the host names: exit 2 saying to set AWS_REGION', async () => {
    const result = await run(unsecured(), ['topics', '-X', 'sasl.mechanism=AWS_MSK_IAM']);
    expect(result).toMatchObject({
      code: 2,
      stderr: `zps: SASL AWS_MSK_IAM needs the AWS region: set AWS_REGION (the brokers' host names ${unsecured()} do not name one)\n`,
    });
  });
});
