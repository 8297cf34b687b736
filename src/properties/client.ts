/**
 * Client properties: the names Kafka users already have in their client.properties, from `-X`
 * (the library's `properties`) and a properties file (`--properties`, ZPS_PROPERTIES). They are
 * one more source that src/settings.ts consults, each value with where it came from.
 */
import { readFileSync, statSync } from 'node:fs';
import { fileProblem, usageError } from '../pubsub/errors.js';
import { holdsPassword } from './registry-url.js';
import { closestName, UNUSED_PROPERTIES } from './names.js';
import { parseProperties } from './parse.js';

/** The names zps reads (src/settings.ts says what each sets). */
export const USED_PROPERTIES: ReadonlySet<string> = new Set([
  'bootstrap.servers',
  'metadata.broker.list',
  'group.id',
  'security.protocol',
  'sasl.mechanism',
  'sasl.mechanisms',
  'sasl.jaas.config',
  'sasl.username',
  'sasl.password',
  'sasl.oauthbearer.token.endpoint.url',
  'sasl.oauthbearer.client.id',
  'sasl.oauthbearer.client.secret',
  'sasl.oauthbearer.client.credentials.client.id',
  'sasl.oauthbearer.client.credentials.client.secret',
  'sasl.oauthbearer.scope',
  'sasl.oauthbearer.extensions',
  'ssl.ca.location',
  'ssl.certificate.location',
  'ssl.key.location',
  'ssl.key.password',
  'ssl.keystore.location',
  'ssl.keystore.password',
  'ssl.keystore.type',
  'ssl.truststore.location',
  'ssl.truststore.password',
  'ssl.truststore.type',
  'ssl.endpoint.identification.algorithm',
  'schema.registry.url',
  'basic.auth.user.info',
  'schema.registry.basic.auth.user.info',
  'schema.registry.basic.auth.credentials.source',
  'basic.auth.credentials.source',
  'bearer.auth.credentials.source',
  'bearer.auth.token',
  'bearer.auth.logical.cluster',
  'bearer.auth.identity.pool.id',
  'bearer.auth.issuer.endpoint.url',
  'bearer.auth.client.id',
  'bearer.auth.client.secret',
  'bearer.auth.scope',
  'schema.registry.ssl.ca.location',
  'schema.registry.ssl.certificate.location',
  'schema.registry.ssl.key.location',
  'schema.registry.ssl.key.password',
  'schema.registry.ssl.keystore.location',
  'schema.registry.ssl.keystore.password',
  'schema.registry.ssl.keystore.type',
  'schema.registry.ssl.truststore.location',
  'schema.registry.ssl.truststore.password',
  'schema.registry.ssl.truststore.type',
  'schema.registry.ssl.endpoint.identification.algorithm',
]);

/** Names whose values are secrets: never printed, and a file holding one should be the owner's alone. */
export const SECRET = /password|secret|jaas|user\.info|token$|key\.pem|keystore\.key|^ssl_key$/;

/** Whether a property holds a secret: by its name, or a registry URL with a password in it. */
export function isSecretProperty(name: string, value: string): boolean {
  return SECRET.test(name) || (name === 'schema.registry.url' && holdsPassword(value));
}

/** One source of properties: `-X`, a file, or a context. */
interface PropertyLayer {
  /** How errors name it: `-X`, the file's path, or `context prod`. */
  from: string;
  properties: Map<string, string>;
  /** A context's properties, which settings.ts consults in the context's place among the sources. */
  context?: boolean;
}

/** Where the caller's properties come from, and its names for them in errors. */
export interface PropertySources {
  properties?: Record<string, string>;
  propertiesName: string;
  file?: [path: string, from: string];
  /** The contexts' properties, after the file's: the one --context names, then the fallback one. */
  contexts?: { from: string; properties: Record<string, string> }[];
}

export class ClientProperties {
  private constructor(private readonly layers: PropertyLayer[]) {}

  /**
   * The explicit properties, then the file's: every name checked (a name no Kafka client knows is
   * a usage error with the closest known one), and a file others can read while it holds a secret warned of.
   */
  static load(sources: PropertySources, warnings: string[]): ClientProperties {
    const layers: PropertyLayer[] = [];
    if (sources.properties) layers.push({ from: sources.propertiesName, properties: new Map(Object.entries(sources.properties)) });
    if (sources.file) layers.push(readFile(...sources.file, warnings));
    for (const { from, properties } of sources.contexts ?? []) layers.push({ from, properties: new Map(Object.entries(properties)), context: true });
    for (const { from, properties } of layers) {
      for (const name of properties.keys()) {
        if (USED_PROPERTIES.has(name) || UNUSED_PROPERTIES.has(name)) continue;
        const near = closestName(name, [...USED_PROPERTIES, ...UNUSED_PROPERTIES]);
        throw usageError(`unknown client property '${name}' in ${from}${near ? `: did you mean ${near}?` : ''}`);
      }
    }
    return new ClientProperties(layers);
  }

  /** The first of `names` set in the first layer that sets one, and where: `bootstrap.servers in -X`. */
  get(...names: string[]): [value: string, from: string] | undefined {
    return this.find((properties, from) => {
      const name = names.find((n) => properties.has(n));
      return name === undefined ? undefined : [properties.get(name)!, `${name} in ${from}`];
    });
  }

  /** What `derive` makes of the first layer it makes something of (a value read from sasl.jaas.config, say). */
  find<T>(derive: (properties: ReadonlyMap<string, string>, from: string) => T | undefined): T | undefined {
    for (const { properties, from } of this.layers) {
      const found = derive(properties, from);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** The properties of -X and the file alone, without the contexts'. */
  given(): ClientProperties {
    return new ClientProperties(this.layers.filter((layer) => !layer.context));
  }

  /** The names given that zps does not use, for --verbose. */
  unused(): string[] {
    return [...new Set(this.layers.flatMap(({ properties }) => [...properties.keys()].filter((name) => !USED_PROPERTIES.has(name))))];
  }
}

function readFile(path: string, from: string, warnings: string[]): PropertyLayer {
  let text: string;
  let mode: number;
  try {
    text = readFileSync(path, 'utf8');
    mode = statSync(path).mode;
  } catch (error) {
    throw usageError(`cannot read the properties file ${path} given by ${from}: ${fileProblem(error)}`);
  }
  const properties = parseProperties(text, path);
  const secret = [...properties].find(([name, value]) => isSecretProperty(name, value))?.[0];
  if (secret !== undefined && (mode & 0o044) !== 0) {
    warnings.push(`the properties file ${path} holds a secret (${secret}) and others can read it: chmod 600 ${path}`);
  }
  return { from: path, properties };
}

/** The options zps reads from a login module in sasl.jaas.config. */
export interface JaasLogin {
  module: 'plain' | 'scram' | 'oauthbearer' | 'aws-msk-iam';
  /** PLAIN, SCRAM. */
  username?: string;
  password?: string;
  /** OAUTHBEARER with OAuth client credentials, as Java clients take them. */
  clientId?: string;
  clientSecret?: string;
  scope?: string;
  /** OAUTHBEARER's unsecured login (test clusters): the token's `sub`. */
  unsecuredSub?: string;
  /** OAUTHBEARER's SASL extensions, from `extension_<name>="value"` options (Confluent Cloud's logicalCluster, identityPoolId). */
  extensions?: Record<string, string>;
  /** AWS MSK IAM: a profile of the AWS config files instead of the default credential chain. */
  awsProfileName?: string;
}

const LOGIN_MODULES: Record<string, JaasLogin['module']> = {
  'org.apache.kafka.common.security.plain.PlainLoginModule': 'plain',
  'org.apache.kafka.common.security.scram.ScramLoginModule': 'scram',
  'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule': 'oauthbearer',
  'software.amazon.msk.auth.iam.IAMLoginModule': 'aws-msk-iam',
};

/**
 * `<LoginModule class> required key="value" ...;` as Java's JAAS configuration parser reads one
 * entry; `from` names it in errors (which never quote the value: it holds a password).
 */
export function parseJaasConfig(text: string, from: string): JaasLogin {
  const match = /^\s*([\w.$]+)\s+(required|requisite|sufficient|optional)\b([^;]*);?\s*$/.exec(text);
  if (!match) throw usageError(`cannot read ${from}: use <LoginModule> required username="..." password="...";`);
  const module = LOGIN_MODULES[match[1]!];
  if (module === undefined) {
    throw usageError(`unknown login module ${match[1]} in ${from}: use PlainLoginModule, ScramLoginModule, OAuthBearerLoginModule or IAMLoginModule`);
  }
  const options = new Map<string, string>();
  for (const [, name, , quoted, bare] of match[3]!.matchAll(/([\w.-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|([^\s"]+))/g)) {
    options.set(name!, quoted === undefined ? bare! : quoted.replace(/\\(.)/g, '$1'));
  }
  return {
    module,
    username: options.get('username'),
    password: options.get('password'),
    clientId: options.get('clientId'),
    clientSecret: options.get('clientSecret'),
    scope: options.get('scope'),
    unsecuredSub: options.get('unsecuredLoginStringClaim_sub'),
    awsProfileName: options.get('awsProfileName'),
    extensions: extensionsOf(options),
  };
}

function extensionsOf(options: Map<string, string>): Record<string, string> | undefined {
  const extensions = [...options].filter(([name]) => name.startsWith('extension_')).map(([name, value]) => [name.slice('extension_'.length), value]);
  return extensions.length === 0 ? undefined : Object.fromEntries(extensions);
}
