import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clientFirstMessage, jwtExpiry, oauthBearerMechanism, oauthBearerProvider, regionOfBrokers, unsecuredToken } from '../../src/kafka/oauth.js';
import { parseJaasConfig } from '../../src/properties/client.js';
import { resolveSettings } from '../../src/settings.js';

const env = { ZPS_ENV: 'kafka' };
const OAUTH_LOGIN = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required';
const jwt = (claims: object) => `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

describe('OAUTHBEARER settings', () => {
  it('reads the OAuthBearerLoginModule options of sasl.jaas.config: client credentials, scope, the unsecured sub', () => {
    expect(parseJaasConfig(`${OAUTH_LOGIN} clientId="app" clientSecret="s3cret" scope="kafka";`, 'x')).toMatchObject({
      module: 'oauthbearer',
      clientId: 'app',
      clientSecret: 's3cret',
      scope: 'kafka',
    });
    expect(parseJaasConfig(`${OAUTH_LOGIN} unsecuredLoginStringClaim_sub="alice";`, 'x')).toMatchObject({ unsecuredSub: 'alice' });
    expect(parseJaasConfig(`${OAUTH_LOGIN} clientId="a" extension_logicalCluster="lkc-1" extension_identityPoolId="pool-2";`, 'x')).toMatchObject({
      extensions: { logicalCluster: 'lkc-1', identityPoolId: 'pool-2' },
    });
    expect(parseJaasConfig('software.amazon.msk.auth.iam.IAMLoginModule required awsProfileName="dev";', 'x')).toMatchObject({
      module: 'aws-msk-iam',
      awsProfileName: 'dev',
    });
  });

  it('takes the token from the strongest source: an option, then client properties, then ZPS_SASL_TOKEN, ZPS_SASL_TOKEN_COMMAND', () => {
    const token = (options: Parameters<typeof resolveSettings>[0], variables: Record<string, string> = {}) => {
      const { sasl } = resolveSettings(options, { ...env, ...variables }).settings;
      return sasl?.mechanism === 'oauthbearer' ? sasl.token : sasl;
    };
    expect(token({ sasl: { mechanism: 'OAUTHBEARER' } }, { ZPS_SASL_TOKEN: 't' })).toEqual({ kind: 'static', token: 't', from: 'ZPS_SASL_TOKEN' });
    // the token command alone asks for OAUTHBEARER, and beats the environment's static token
    expect(token({ sasl: { tokenCommand: 'print-token' } }, { ZPS_SASL_TOKEN: 't' })).toEqual({
      kind: 'command',
      command: 'print-token',
      from: 'sasl.tokenCommand',
    });
    const credentials = {
      'sasl.mechanism': 'OAUTHBEARER',
      'sasl.oauthbearer.token.endpoint.url': 'https://idp.example/token',
      'sasl.jaas.config': `${OAUTH_LOGIN} clientId="app" clientSecret="s3cret";`,
      'sasl.oauthbearer.scope': 'kafka',
    };
    expect(token({ properties: credentials }, { ZPS_SASL_TOKEN_COMMAND: 'print-token' })).toEqual({
      kind: 'client-credentials',
      endpoint: 'https://idp.example/token',
      clientId: 'app',
      clientSecret: 's3cret',
      scope: 'kafka',
      from: 'sasl.oauthbearer.token.endpoint.url in properties',
    });
    expect(token({ properties: { 'sasl.mechanism': 'OAUTHBEARER', 'sasl.jaas.config': `${OAUTH_LOGIN} unsecuredLoginStringClaim_sub="alice";` } })).toEqual({
      kind: 'unsecured',
      sub: 'alice',
      from: 'sasl.jaas.config in properties',
    });
    expect(token({ sasl: { mechanism: 'aws-msk-iam' } }, { AWS_DEFAULT_REGION: 'eu-west-1' })).toEqual({ mechanism: 'aws-msk-iam', region: 'eu-west-1' });
  });

  it("takes SASL extensions from librdkafka's sasl.oauthbearer.extensions, else sasl.jaas.config's extension_ options", () => {
    const sasl = (properties: Record<string, string>) =>
      resolveSettings({ properties: { 'sasl.mechanism': 'OAUTHBEARER', ...properties } }, { ...env, ZPS_SASL_TOKEN: 't' }).settings.sasl;
    expect(sasl({ 'sasl.oauthbearer.extensions': 'logicalCluster=lkc-1, identityPoolId=pool=2' })).toMatchObject({
      extensions: { logicalCluster: 'lkc-1', identityPoolId: 'pool=2' },
    });
    expect(sasl({ 'sasl.jaas.config': `${OAUTH_LOGIN} extension_logicalCluster="lkc-1";` })).toMatchObject({ extensions: { logicalCluster: 'lkc-1' } });
    expect(() => sasl({ 'sasl.oauthbearer.extensions': 'auth=x' })).toThrow(
      "invalid OAUTHBEARER extension 'auth' in sasl.oauthbearer.extensions in properties: use name=value, the name letters only",
    );
  });

  it('is not resolved in local mode: a shell set up for Kafka does not stop local commands', () => {
    expect(resolveSettings({}, { ZPS_SASL_MECHANISM: 'OAUTHBEARER' }).settings.sasl).toBeUndefined();
  });

  it('is a usage error naming the ways to give a token when none is given, and the missing client secret', () => {
    expect(() => resolveSettings({ properties: { 'sasl.mechanism': 'OAUTHBEARER' } }, env)).toThrow(
      /^SASL OAUTHBEARER \(sasl\.mechanism in properties\) needs a token: give it in ZPS_SASL_TOKEN, a command printing it with sasl\.tokenCommand \(ZPS_SASL_TOKEN_COMMAND\), OAuth client credentials/,
    );
    const endpoint = { 'sasl.mechanism': 'OAUTHBEARER', 'sasl.oauthbearer.token.endpoint.url': 'https://idp.example/token', 'sasl.oauthbearer.client.id': 'a' };
    expect(() => resolveSettings({ properties: endpoint }, env)).toThrow(
      'the token endpoint of sasl.oauthbearer.token.endpoint.url in properties needs sasl.oauthbearer.client.secret (or clientId and clientSecret in sasl.jaas.config)',
    );
  });
});

describe('OAUTHBEARER tokens', () => {
  it('reads exp from a JWT, and nothing from an opaque token', () => {
    expect(jwtExpiry(jwt({ exp: 1_700_000_000 }))).toBe(1_700_000_000_000);
    expect(jwtExpiry('opaque-token')).toBeUndefined();
    expect(jwtExpiry('a.not-json.b')).toBeUndefined();
  });

  it("makes Kafka's unsecured login token: alg none, sub, iat, exp an hour on, no signature", () => {
    const { value, expiresAt } = unsecuredToken('alice', 1_700_000_000_500);
    const [header, payload, signature] = value.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({ alg: 'none' });
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toEqual({ sub: 'alice', iat: 1_700_000_000, exp: 1_700_003_600 });
    expect(signature).toBe('');
    expect(expiresAt).toBe(1_700_003_600_000);
  });

  it('runs the token command again only when its token nears expiry (15 s before, to authenticate again in time)', async () => {
    const runs = async (lifetime: number) => {
      const counter = join(mkdtempSync(join(tmpdir(), 'zps-token-')), 'runs');
      // each run appends a line and prints a JWT valid for `lifetime` seconds
      const print = `node -e "const e=s=>Buffer.from(JSON.stringify(s)).toString('base64url');console.log(e({alg:'none'})+'.'+e({exp:Date.now()/1000+${lifetime}})+'.')"`;
      const provider = oauthBearerProvider(
        { mechanism: 'oauthbearer', token: { kind: 'command', command: `echo run >> ${counter}; ${print}`, from: 'test' } },
        [],
        5_000,
      );
      const tokens = new Set([(await provider()).value, (await provider()).value]);
      return { tokens: tokens.size, runs: readFileSync(counter, 'utf8').split('\n').filter(Boolean).length };
    };
    expect(await runs(3600)).toEqual({ tokens: 1, runs: 1 });
    expect(await runs(10)).toEqual({ tokens: 2, runs: 2 });
  });

  it('sends the token in the client-first message of RFC 7628, as kafkajs and Java clients do', async () => {
    const kafkajsRequest = (await import('kafkajs/src/protocol/sasl/oauthBearer/request.js' as string)) as {
      default: (sasl: object, token: { value: string }) => Promise<{ encode: () => Promise<Buffer> }>;
    };
    const theirs = await (await kafkajsRequest.default({}, { value: 'tok.en.' })).encode();
    expect(theirs.subarray(4).toString()).toBe(clientFirstMessage('tok.en.'));
    const extensions = { logicalCluster: 'lkc-1', identityPoolId: 'pool-2' };
    const withExtensions = await (await kafkajsRequest.default({}, { value: 'tok.en.', extensions } as { value: string })).encode();
    expect(withExtensions.subarray(4).toString()).toBe(clientFirstMessage('tok.en.', extensions));
  });
});

/**
 * Runs zps's OAUTHBEARER mechanism with the broker played by `answers` (its SASL bytes to each
 * message, '' for success); resolves the messages it sent, rejects with its error.
 */
async function authenticate(provider: () => Promise<{ value: string }>, answers: string[], sent: string[] = []): Promise<string[]> {
  await oauthBearerMechanism(provider).authenticate(async (bytes) => {
    sent.push(bytes.toString('utf8'));
    return Buffer.from(answers[sent.length - 1] ?? '');
  });
  return sent;
}

describe("zps's OAUTHBEARER authenticator (RFC 7628)", () => {
  const provider = async () => ({ value: 'tok.en.' });

  it('sends the token once and is done when the broker answers nothing', async () => {
    expect(await authenticate(provider, [''])).toEqual(['n,,\u0001auth=Bearer tok.en.\u0001\u0001']);
  });

  it("answers a refusal with %x01, as RFC 7628 asks, and fails with the broker's status", async () => {
    const sent: string[] = [];
    await expect(authenticate(provider, ['{"status":"invalid_token"}', ''], sent)).rejects.toThrow('the brokers refused the token (invalid_token)');
    expect(sent).toEqual(['n,,\u0001auth=Bearer tok.en.\u0001\u0001', '\u0001']);
  });
});

describe('AWS MSK IAM token (AWS signer, checked against the SigV4 rules)', () => {
  const credentials = {
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    AWS_SESSION_TOKEN: 'session-token/+=',
  };
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    for (const [name, value] of Object.entries(credentials)) [saved[name], process.env[name]] = [process.env[name], value];
  });
  afterEach(() => {
    for (const name of Object.keys(credentials)) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('tells the region from MSK host names', () => {
    expect(regionOfBrokers(['b-1.demo.abc123.c2.kafka.eu-west-1.amazonaws.com:9098'])).toBe('eu-west-1');
    expect(regionOfBrokers(['boot-abc.c1.kafka-serverless.us-east-2.amazonaws.com:9098'])).toBe('us-east-2');
    expect(regionOfBrokers(['localhost:9092'])).toBeUndefined();
  });

  it('sends a presigned kafka-cluster:Connect URL whose signature the SigV4 rules reproduce', async () => {
    const provider = oauthBearerProvider({ mechanism: 'aws-msk-iam' }, ['b-1.demo.abc123.c2.kafka.eu-west-1.amazonaws.com:9098'], 5_000);
    const { value } = await provider();
    expect(value).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, no padding
    const url = new URL(Buffer.from(value, 'base64url').toString('utf8'));
    expect(`${url.protocol}//${url.host}${url.pathname}`).toBe('https://kafka.eu-west-1.amazonaws.com/');
    const query = url.searchParams;
    const date = query.get('X-Amz-Date')!;
    expect(date).toMatch(/^\d{8}T\d{6}Z$/);
    expect(Object.fromEntries(query)).toMatchObject({
      Action: 'kafka-cluster:Connect',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': `AKIDEXAMPLE/${date.slice(0, 8)}/eu-west-1/kafka-cluster/aws4_request`,
      'X-Amz-Expires': '900',
      'X-Amz-SignedHeaders': 'host',
      'X-Amz-Security-Token': 'session-token/+=',
    });
    expect(query.get('User-Agent')).toMatch(/^aws-msk-iam-sasl-signer-js\//);

    // SigV4 (AWS's "Create a signed AWS API request"): every parameter but the signature and the
    // User-Agent the signer appends after signing, RFC 3986-encoded and sorted, in the canonical request
    const encode = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    const canonicalQuery = [...query]
      .filter(([name]) => name !== 'X-Amz-Signature' && name !== 'User-Agent')
      .map(([name, v]) => `${encode(name)}=${encode(v)}`)
      .sort()
      .join('&');
    const emptyPayload = createHash('sha256').update('').digest('hex');
    const canonicalRequest = ['GET', '/', canonicalQuery, 'host:kafka.eu-west-1.amazonaws.com', '', 'host', emptyPayload].join('\n');
    const scope = `${date.slice(0, 8)}/eu-west-1/kafka-cluster/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
    const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
    let key: Buffer = hmac(`AWS4${credentials.AWS_SECRET_ACCESS_KEY}`, date.slice(0, 8));
    for (const part of ['eu-west-1', 'kafka-cluster', 'aws4_request']) key = hmac(key, part);
    expect(query.get('X-Amz-Signature')).toBe(createHmac('sha256', key).update(stringToSign).digest('hex'));

    // that very token is what the authenticator sends in its client-first message
    const sent = await authenticate(provider, ['']);
    expect(sent).toEqual([`n,,\u0001auth=Bearer ${value}\u0001\u0001`]);
  });
});
