/**
 * The SASL settings by mechanism: PLAIN and SCRAM take a user name and password; OAUTHBEARER takes
 * a token from one of four sources; AWS MSK IAM takes AWS's credentials when connecting. Called from
 * src/settings.ts with its `pick`, so every value has one precedence and one record of its source.
 */
import type { JaasLogin } from '../properties/client.js';
import { usageError } from '../pubsub/errors.js';

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer', 'aws-msk-iam'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** Where an OAUTHBEARER token comes from; `from` names the source in errors (never the secret). */
export type TokenSource =
  | { kind: 'static'; token: string; from: string }
  | { kind: 'command'; command: string; from: string }
  | { kind: 'client-credentials'; endpoint: string; clientId: string; clientSecret: string; scope?: string; from: string }
  /** Kafka's unsecured login (test clusters): an unsigned JWT naming `sub`. */
  | { kind: 'unsecured'; sub: string; from: string };

export type SaslSettings =
  | { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
  /** `extensions`: SASL extensions sent with the token (Confluent Cloud's logicalCluster and identityPoolId). */
  | { mechanism: 'oauthbearer'; token: TokenSource; extensions?: Record<string, string> }
  /** `region` from AWS_REGION or AWS_DEFAULT_REGION, else the brokers' host names tell it when connecting. */
  | { mechanism: 'aws-msk-iam'; region?: string; profile?: string };

/** The library's SASL option (the CLI's --sasl-mechanism and --sasl-token-command). */
export interface SaslOptions {
  /** Default: OAUTHBEARER when `token` or `tokenCommand` is given. */
  mechanism?: string;
  username?: string;
  password?: string;
  /** OAUTHBEARER: the token itself. */
  token?: string;
  /** OAUTHBEARER: a shell command printing the token, run again before it expires. */
  tokenCommand?: string;
}

type Sourced = readonly [value: string, from: string];
type Pick = (option: string | undefined, optionName: string, propertyNames: string[], variables: string[]) => Sourced | undefined;

/** What resolveSasl needs from settings.ts: its pick, the login of sasl.jaas.config, and how the caller names its options. */
export interface SaslSources {
  pick: Pick;
  jaas: (JaasLogin & { from: string }) | undefined;
  /** The PLAIN/SCRAM user name or password: the option, else sasl.username (sasl.password) or sasl.jaas.config of the first source that has one. */
  credential: (field: 'username' | 'password', option: string | undefined) => string;
  names: { saslMechanism: string; saslTokenCommand: string };
}

/** `plain`, `SCRAM-SHA-256`, `AWS_MSK_IAM`: the flag's and Kafka's spellings alike. */
export function saslMechanism(name: string, from: string): SaslMechanism {
  const lower = name.toLowerCase().replaceAll('_', '-');
  if (!(SASL_MECHANISMS as readonly string[]).includes(lower)) {
    throw usageError(`invalid SASL mechanism '${name}' in ${from}: use ${SASL_MECHANISMS.join(', ')}`);
  }
  return lower as SaslMechanism;
}

export function resolveSasl(mechanism: Sourced, option: SaslOptions | undefined, { pick, jaas, credential, names }: SaslSources): SaslSettings {
  const name = saslMechanism(...mechanism);
  if (name === 'oauthbearer') {
    return { mechanism: name, token: tokenSource(mechanism[1], option, pick, jaas, names.saslTokenCommand), extensions: saslExtensions(pick, jaas) };
  }
  if (name === 'aws-msk-iam') {
    return { mechanism: name, region: pick(undefined, '', [], ['AWS_REGION', 'AWS_DEFAULT_REGION'])?.[0], profile: jaas?.awsProfileName };
  }
  return { mechanism: name, username: credential('username', option?.username), password: credential('password', option?.password) };
}

/**
 * The OAUTHBEARER token's source: of those given, the one with the strongest source (an option or
 * flag, then client properties, then environment variables), and among equals a static token, a
 * token command, client credentials, then the unsecured login, in that order.
 */
function tokenSource(mechanismFrom: string, option: SaslOptions | undefined, pick: Pick, jaas: SaslSources['jaas'], commandFlag: string): TokenSource {
  const candidates: [rank: number, source: TokenSource][] = [];
  const rank = (sourced: Sourced, optionName: string, variables: string[]) => (sourced[1] === optionName ? 0 : variables.includes(sourced[1]) ? 2 : 1);
  const token = pick(option?.token, 'sasl.token', [], ['ZPS_SASL_TOKEN']);
  if (token) candidates.push([rank(token, 'sasl.token', ['ZPS_SASL_TOKEN']), { kind: 'static', token: token[0], from: token[1] }]);
  const command = pick(option?.tokenCommand, commandFlag, [], ['ZPS_SASL_TOKEN_COMMAND']);
  if (command) candidates.push([rank(command, commandFlag, ['ZPS_SASL_TOKEN_COMMAND']), { kind: 'command', command: command[0], from: command[1] }]);
  const endpoint = pick(undefined, '', ['sasl.oauthbearer.token.endpoint.url'], []);
  if (endpoint) candidates.push([1, clientCredentials(endpoint, pick, jaas)]);
  if (jaas?.unsecuredSub !== undefined) candidates.push([1, { kind: 'unsecured', sub: jaas.unsecuredSub, from: jaas.from }]);
  const best = candidates.sort((a, b) => a[0] - b[0])[0];
  if (best === undefined) {
    throw usageError(
      `SASL OAUTHBEARER (${mechanismFrom}) needs a token: give it in ZPS_SASL_TOKEN, a command printing it with ${commandFlag} (ZPS_SASL_TOKEN_COMMAND), ` +
        'OAuth client credentials with sasl.oauthbearer.token.endpoint.url, or unsecuredLoginStringClaim_sub in sasl.jaas.config (test clusters)',
    );
  }
  return best[1];
}

/** OAUTHBEARER's SASL extensions: librdkafka's `sasl.oauthbearer.extensions` (`name=value,...`), else sasl.jaas.config's `extension_<name>`. */
function saslExtensions(pick: Pick, jaas: SaslSources['jaas']): Record<string, string> | undefined {
  const listed = pick(undefined, '', ['sasl.oauthbearer.extensions'], []);
  const pairs = listed?.[0].split(',').map((pair): [string, string] => {
    const equals = pair.indexOf('=');
    return equals < 0 ? [pair.trim(), ''] : [pair.slice(0, equals).trim(), pair.slice(equals + 1).trim()];
  });
  const extensions = pairs ? Object.fromEntries(pairs) : jaas?.extensions;
  for (const [name, value] of Object.entries(extensions ?? {})) {
    // RFC 7628 3.1: names are letters (auth is the token's), values printable ASCII
    if (!/^[A-Za-z]+$/.test(name) || name === 'auth' || !/^[\x21-\x7E \t]+$/.test(value)) {
      throw usageError(`invalid OAUTHBEARER extension '${name}' in ${listed?.[1] ?? jaas?.from}: use name=value, the name letters only`);
    }
  }
  return extensions;
}

/** OIDC client credentials: the endpoint, and the client's id, secret and scope from their properties or from sasl.jaas.config (as Java clients take them). */
function clientCredentials([endpoint, from]: Sourced, pick: Pick, jaas: SaslSources['jaas']): TokenSource {
  const property = (names: string[], jaasValue: string | undefined) => pick(undefined, '', names, [])?.[0] ?? jaasValue;
  const clientId = property(['sasl.oauthbearer.client.id', 'sasl.oauthbearer.client.credentials.client.id'], jaas?.clientId);
  const clientSecret = property(['sasl.oauthbearer.client.secret', 'sasl.oauthbearer.client.credentials.client.secret'], jaas?.clientSecret);
  if (clientId === undefined || clientSecret === undefined) {
    const missing = clientId === undefined ? 'sasl.oauthbearer.client.id' : 'sasl.oauthbearer.client.secret';
    throw usageError(`the token endpoint of ${from} needs ${missing} (or clientId and clientSecret in sasl.jaas.config)`);
  }
  if (!/^https?:\/\//.test(endpoint)) throw usageError(`invalid ${from}: use an http:// or https:// URL`);
  return { kind: 'client-credentials', endpoint, clientId, clientSecret, scope: property(['sasl.oauthbearer.scope'], jaas?.scope), from };
}

/** How errors name the credentials of these settings: `for user app`, `with the OAUTHBEARER token from ZPS_SASL_TOKEN`, `with AWS MSK IAM`. */
export function describeCredentials(sasl: SaslSettings): string {
  if (sasl.mechanism === 'oauthbearer') return `with the OAUTHBEARER token from ${sasl.token.from}`;
  if (sasl.mechanism === 'aws-msk-iam') return 'with AWS MSK IAM';
  return `for user ${sasl.username}`;
}
