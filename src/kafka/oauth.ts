/**
 * OAUTHBEARER tokens, asked for on each new connection and again before a session the broker
 * limited (KIP-368) ends. Each source's token is cached per process and fetched
 * again before it expires (refreshTime); a token whose expiry is unknown (not a JWT) is kept.
 * Errors are one line naming the source, never the token or secret.
 */
import { spawn } from 'node:child_process';
import { ZpsError, describeError, usageError } from '../pubsub/errors.js';
import type { SaslSettings, TokenSource } from '../settings/sasl.js';
import { SaslAuthenticationError } from './client/errors.js';
import { REAUTHENTICATION_THRESHOLD_MS, type SaslMechanism } from './client/sasl.js';

export interface BearerToken {
  value: string;
  /** When it expires (ms since the epoch), when known. */
  expiresAt?: number;
}

/** The `exp` claim of a JWT, in ms since the epoch; undefined when the token is not a JWT or has none. */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** Kafka's unsecured login token (OAuthBearerUnsecuredLoginCallbackHandler): an unsigned JWT, alg none, valid one hour. */
export function unsecuredToken(sub: string, now = Date.now()): BearerToken {
  const iat = Math.floor(now / 1000);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return { value: `${encode({ alg: 'none' })}.${encode({ sub, iat, exp: iat + 3600 })}.`, expiresAt: (iat + 3600) * 1000 };
}

const authFailure = (message: string) => new ZpsError(message, { code: 'auth' });

/** The token of a static source, refused when its JWT says it has expired (the broker would refuse it with less to say). */
function staticToken(token: string, from: string): BearerToken {
  const expiresAt = jwtExpiry(token);
  if (expiresAt !== undefined && expiresAt <= Date.now())
    throw authFailure(`the OAUTHBEARER token from ${from} expired at ${new Date(expiresAt).toISOString()}`);
  return { value: token, expiresAt };
}

/**
 * Runs the token command in the shell: its stdout, trimmed, is the token; a failure names its exit
 * status and last stderr line. It runs in a process group of its own, all of which a timeout ends
 * (a shell's `sleep` would otherwise hold its output open).
 */
function commandToken(command: string, from: string, timeoutMs: number): Promise<BearerToken> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, { shell: true, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      child.stdout.destroy();
      child.stderr.destroy();
      reject(authFailure(`the token command of ${from} printed no token within ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(authFailure(`the token command of ${from} failed: ${describeError(error)}`));
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      const said = Buffer.concat(stderr).toString('utf8').trim().split('\n').at(-1);
      if (status !== 0)
        return reject(
          authFailure(`the token command of ${from} failed (${status === null ? `killed by ${signal}` : `exit status ${status}`})${said ? `: ${said}` : ''}`),
        );
      const token = Buffer.concat(stdout).toString('utf8').trim();
      if (token === '') return reject(authFailure(`the token command of ${from} printed no token`));
      try {
        resolve(staticToken(token, `the token command of ${from}`));
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** OAuth client credentials (RFC 6749 4.4), the client authenticated with HTTP basic auth as Java clients do. */
async function clientCredentialsToken(source: Extract<TokenSource, { kind: 'client-credentials' }>, timeoutMs: number): Promise<BearerToken> {
  const at = `the token endpoint ${source.endpoint}`;
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (source.scope !== undefined) form.set('scope', source.scope);
  const basic = Buffer.from(`${encodeURIComponent(source.clientId)}:${encodeURIComponent(source.clientSecret)}`).toString('base64');
  let response: Response;
  try {
    response = await fetch(source.endpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    throw new ZpsError(`cannot reach ${at}: ${describeError(cause ?? error)}`, { code: 'unavailable', cause: error });
  }
  const text = await response.text();
  let body: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // not JSON: the status says what went wrong
  }
  if (!response.ok) {
    const oauthError =
      typeof body.error === 'string' ? `: ${body.error}${typeof body.error_description === 'string' ? ` (${body.error_description})` : ''}` : '';
    throw authFailure(`${at} refused client ${source.clientId}: HTTP ${response.status}${oauthError}`);
  }
  if (typeof body.access_token !== 'string' || body.access_token === '') throw authFailure(`${at} answered HTTP ${response.status} without an access_token`);
  const expiresIn = typeof body.expires_in === 'number' ? Date.now() + body.expires_in * 1000 : undefined;
  return { value: body.access_token, expiresAt: jwtExpiry(body.access_token) ?? expiresIn };
}

/** The AWS region of MSK brokers' host names (b-1.name.abc123.c2.kafka.us-east-1.amazonaws.com, and MSK Serverless's kafka-serverless). */
export function regionOfBrokers(brokers: string[]): string | undefined {
  for (const broker of brokers) {
    const match = /\.kafka(?:-serverless)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?:\d+$/.exec(broker);
    if (match) return match[1];
  }
  return undefined;
}

/**
 * An MSK IAM token from AWS's own signer (a SigV4-presigned kafka-cluster:Connect URL, base64url),
 * with AWS's default credential chain. The signer and the AWS SDK load here, only when used.
 */
async function mskToken(sasl: Extract<SaslSettings, { mechanism: 'aws-msk-iam' }>, brokers: string[]): Promise<BearerToken> {
  const region = sasl.region ?? regionOfBrokers(brokers);
  if (region === undefined) {
    throw usageError(`SASL AWS_MSK_IAM needs the AWS region: set AWS_REGION (the brokers' host names ${brokers.join(',')} do not name one)`);
  }
  let signer: typeof import('aws-msk-iam-sasl-signer-js');
  try {
    signer = await import('aws-msk-iam-sasl-signer-js');
  } catch {
    throw usageError('SASL AWS_MSK_IAM needs the package aws-msk-iam-sasl-signer-js, which is not installed: npm install aws-msk-iam-sasl-signer-js');
  }
  try {
    const { token, expiryTime } = await signer.generateAuthToken(sasl.profile === undefined ? { region } : { region, awsProfileName: sasl.profile });
    return { value: token, expiresAt: expiryTime };
  } catch (error) {
    throw authFailure(`AWS MSK IAM cannot sign in ${region}: ${describeError(error)}`);
  }
}

/**
 * Where these settings' tokens come from, as one function connections call. A command or a token
 * endpoint gets most of the command's timeout, so that its own error is told, not "no answer from Kafka".
 */
function fetchToken(
  sasl: Extract<SaslSettings, { mechanism: 'oauthbearer' | 'aws-msk-iam' }>,
  brokers: string[],
  commandTimeoutMs: number,
): () => Promise<BearerToken> {
  const timeoutMs = Math.round(commandTimeoutMs * 0.8);
  if (sasl.mechanism === 'aws-msk-iam') return () => mskToken(sasl, brokers);
  const source = sasl.token;
  switch (source.kind) {
    case 'static':
      return async () => staticToken(source.token, source.from);
    case 'command':
      return () => commandToken(source.command, source.from, timeoutMs);
    case 'client-credentials':
      return () => clientCredentialsToken(source, timeoutMs);
    case 'unsecured':
      return async () => unsecuredToken(source.sub);
  }
}

/**
 * When a token is fetched again: once 80% of its life has passed, as Java clients' refresh window,
 * and at the latest 15 s before it expires, so that a connection, authenticating again 10 s before
 * a session ends, gets one that outlives that (else it would go again at once, with the same token).
 */
function refreshTime(token: BearerToken, now: number): number {
  if (token.expiresAt === undefined) return Number.POSITIVE_INFINITY;
  return Math.min(now + 0.8 * (token.expiresAt - now), token.expiresAt - REAUTHENTICATION_THRESHOLD_MS - 5_000);
}

/** The token of these settings: the cached one while it is fresh, else a new one (one fetch at a time). */
export function oauthBearerProvider(
  sasl: Extract<SaslSettings, { mechanism: 'oauthbearer' | 'aws-msk-iam' }>,
  brokers: string[],
  timeoutMs: number,
): () => Promise<{ value: string }> {
  const fetch = fetchToken(sasl, brokers, timeoutMs);
  let current: { token: BearerToken; refreshAt: number } | undefined;
  let pending: Promise<BearerToken> | undefined;
  return async () => {
    if (current && Date.now() < current.refreshAt) return { value: current.token.value };
    pending ??= fetch().finally(() => {
      pending = undefined;
    });
    const token = await pending;
    current = { token, refreshAt: refreshTime(token, Date.now()) };
    return { value: token.value };
  };
}

const SOH = '\u0001';

/** The client's first (and only) OAUTHBEARER message (RFC 7628 3.1), with its SASL extensions, as Kafka's Java client sends it. */
export function clientFirstMessage(token: string, extensions: Record<string, string> = {}): string {
  const listed = Object.entries(extensions).map(([name, value]) => `${SOH}${name}=${value}`);
  return `n,,${SOH}auth=Bearer ${token}${listed.join('')}${SOH}${SOH}`;
}

/**
 * The OAUTHBEARER exchange, both halves: a broker refuses a token by
 * answering with an error (RFC 7628 3.2.2, `{"status":"invalid_token"}`) that the client
 * acknowledges before the broker fails the exchange. Taken for success, the broker would then close
 * the connection, which would read as "cannot reach Kafka" after every retry.
 */
async function authenticateWithToken(
  provider: () => Promise<{ value: string }>,
  extensions: Record<string, string> | undefined,
  exchange: (message: string) => Promise<string>,
): Promise<void> {
  const { value } = await provider();
  const answer = await exchange(clientFirstMessage(value, extensions));
  if (!answer) return;
  await exchange(SOH).catch(() => undefined);
  let status = answer;
  try {
    status = String((JSON.parse(answer) as { status?: unknown }).status ?? answer);
  } catch {
    // not the JSON of RFC 7628: the answer as it is
  }
  throw new SaslAuthenticationError(`the brokers refused the token (${status})`);
}

/** OAUTHBEARER (and AWS MSK IAM's token through it) on zps's own connections. */
export function oauthBearerMechanism(provider: () => Promise<{ value: string }>, extensions?: Record<string, string>): SaslMechanism {
  return {
    name: 'OAUTHBEARER',
    authenticate: (exchange) => authenticateWithToken(provider, extensions, async (message) => (await exchange(Buffer.from(message, 'utf8'))).toString('utf8')),
  };
}
