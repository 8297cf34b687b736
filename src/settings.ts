/**
 * Every setting of zps, resolved once: an explicit value (a library option, or the CLI's flag)
 * beats a client property (`-X`, then the properties file), which beats the context named by
 * --context, which beats the first set environment variable, which beats the context named by
 * ZPS_CONTEXT (else the current one), which beats the default (README, Settings). The result is
 * one typed object with one name per setting, which the factory, the drivers and the commands read.
 */
import { type ListenAddress, parseListenAddress } from './daemon/kafka/address.js';
import { accessSync, constants } from 'node:fs';
import { contextsPath, readContexts } from './contexts/file.js';
import { type ContextLayer, contextLayers, type References, type Sourced } from './contexts/layer.js';
import { defaultSocketPath } from './daemon/paths.js';
import type { BrokerLimits } from './memory/broker.js';
import { ClientProperties, parseJaasConfig } from './properties/client.js';
import { fileProblem, usageError } from './pubsub/errors.js';
import { validateGroupId } from './pubsub/limits.js';
import { defaultOnError, type ErrorCallback, type RetryOptions } from './pubsub/retry.js';
import { checkedRegistryUrl } from './properties/registry-url.js';
import { resolveSasl, type SaslOptions, type SaslSettings, saslMechanism, type TokenSource } from './settings/sasl.js';

const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

/** Kafka TLS: whom to trust, and the client's certificate for brokers that ask for one. File paths. */
export interface TlsOptions {
  /** The CA certificate(s) that signed the brokers' (PEM). */
  ca?: string;
  /** The client certificate (PEM), with its key. */
  cert?: string;
  /** The client certificate's private key (PEM), encrypted or not. */
  key?: string;
  /** The passphrase of an encrypted `key`. */
  keyPassword?: string;
  /** The client certificate and key in a PKCS#12 keystore, instead of `cert` and `key`. */
  keystore?: string;
  keystorePassword?: string;
  /** The CA certificate(s) to trust, in a PEM file or a PKCS#12 truststore (as keytool makes it). */
  truststore?: string;
  truststorePassword?: string;
  /** The keystore's type: PKCS12, the only one Node reads (JKS is refused with how to convert it). */
  keystoreType?: string;
  /** The truststore's type, PKCS12 or PEM; without it, the file's own. */
  truststoreType?: string;
  /** Whether the brokers' certificates must name the host connected to (default true). */
  checkHostname?: boolean;
}

/** What a library user (or the CLI, from its flags) may give; everything is optional. */
export interface FactoryOptions {
  /** `local` (the default, or ZPS_ENV / ENV): the memory broker; anything else: Kafka. */
  environment?: string;
  kafkaBrokers?: string[];
  consumerGroup?: string;
  schemaRegistryUrl?: string;
  /**
   * Kafka client properties by their Java/librdkafka names (`{ 'security.protocol': 'SASL_SSL' }`):
   * below the options above, above `propertiesFile` (the CLI's `-X`).
   */
  properties?: Record<string, string>;
  /** A `.properties` file of client properties (default: ZPS_PROPERTIES; the CLI's `--properties`). */
  propertiesFile?: string;
  /**
   * A context of the user's contexts file (`zps context add`): below the properties, above the
   * environment variables; the one ZPS_CONTEXT names (else the current one) comes after them.
   */
  context?: string;
  /** Local mode: keep the broker in this process instead of the shared daemon (unit tests). */
  inProcess?: boolean;
  /** Local mode: the daemon's socket (default: ZPS_SOCKET, then the per-user default). */
  socketPath?: string;
  /** Local mode: start the daemon when none answers (default: unless ZPS_NO_AUTOSTART=1). */
  autostart?: boolean;
  /** Connecting and starting give up after this long (default: ZPS_TIMEOUT, then 10 s). */
  timeoutMs?: number;
  /** Redelivery of messages whose handler threw. */
  retry?: RetryOptions;
  /**
   * Gets the error of a message whose handler failed every attempt, and a consumer's own errors
   * (without message and meta); default: one line on stderr.
   */
  onError?: ErrorCallback;
  /**
   * Kafka SASL (default: ZPS_SASL_MECHANISM with ZPS_SASL_USERNAME / ZPS_SASL_PASSWORD; OAUTHBEARER's
   * token from ZPS_SASL_TOKEN or ZPS_SASL_TOKEN_COMMAND, or the sasl.oauthbearer.* properties).
   */
  sasl?: SaslOptions;
  /** Kafka TLS (default: ZPS_TLS, ZPS_TLS_CA, ZPS_TLS_CERT, ZPS_TLS_KEY, ZPS_TLS_KEY_PASSWORD). */
  tls?: boolean | TlsOptions;
  /** Local mode: limits of a daemon this factory starts. */
  daemonLimits?: Partial<BrokerLimits>;
  /** Local mode: a daemon this factory starts also answers Kafka clients here (default: ZPS_KAFKA_LISTEN), as 127.0.0.1:9092. */
  daemonKafkaListen?: string;
  /** Kafka mode: each failed connection on stderr. */
  verbose?: boolean;
  /** Local mode: called when this factory is about to start the daemon. */
  onDaemonStarting?: () => (() => void) | undefined;
}

/** How to reach the schema registry: its credentials and its TLS (the registry clients' properties). */
export interface RegistryAccess {
  /** HTTP basic auth (basic.auth.user.info, or the SASL credentials with basic.auth.credentials.source=SASL_INHERIT). */
  auth?: { username: string; password: string };
  /** A bearer token (bearer.auth.token, or OAuth client credentials), with Confluent Cloud's logical cluster and identity pool. */
  bearer?: { token: Extract<TokenSource, { kind: 'static' | 'client-credentials' }>; logicalCluster?: string; identityPoolId?: string };
  /** HTTPS: the CA to trust, a client certificate (schema.registry.ssl.*, as Kafka's ssl.*). */
  tls?: TlsOptions;
}

/** The resolved settings: every one decided, each under one name. */
export interface Settings {
  /** `local`, or the name of a Kafka environment. */
  environment: string;
  brokers: string[];
  schemaRegistryUrl?: string;
  /** The registry's HTTP basic auth (basic.auth.user.info) and HTTPS CA (schema.registry.ssl.ca.location). */
  schemaRegistryAccess?: RegistryAccess;
  sasl?: SaslSettings;
  tls?: TlsOptions;
  /** The consumer group of consumers created without one (and of `zps consume` with ZPS_GROUP). */
  group?: string;
  socket: string;
  inProcess: boolean;
  autostart: boolean;
  daemonLimits: Partial<BrokerLimits>;
  /** Where a daemon these settings start answers Kafka clients. */
  daemonKafka?: ListenAddress;
  timeoutMs: number;
  retry: RetryOptions;
  onError: ErrorCallback;
  verbose: boolean;
  onDaemonStarting?: () => (() => void) | undefined;
}

export interface ResolvedSettings {
  settings: Settings;
  /** What --verbose tells about the resolution (an environment variable ignored, say). */
  notes: string[];
  /** What stderr always tells (a properties file others can read holds a secret, say). */
  warnings: string[];
  /** Each setting given, by its flag name (`brokers`), with where it came from (`zps context show`). */
  sources: Record<string, Sourced>;
}

/** How the caller names each option in errors: the CLI names its flags, the library its options. */
export interface OptionNames {
  environment: string;
  kafkaBrokers: string;
  socketPath: string;
  consumerGroup: string;
  schemaRegistryUrl: string;
  tlsCa: string;
  tlsCert: string;
  tlsKey: string;
  saslMechanism: string;
  saslTokenCommand: string;
  properties: string;
  propertiesFile: string;
  context: string;
  timeout: string;
  tls: string;
}

const LIBRARY_NAMES: OptionNames = {
  environment: 'environment',
  kafkaBrokers: 'kafkaBrokers',
  socketPath: 'socketPath',
  consumerGroup: 'consumerGroup',
  schemaRegistryUrl: 'schemaRegistryUrl',
  tlsCa: 'tls.ca',
  tlsCert: 'tls.cert',
  tlsKey: 'tls.key',
  saslMechanism: 'sasl.mechanism',
  saslTokenCommand: 'sasl.tokenCommand',
  properties: 'properties',
  propertiesFile: 'propertiesFile',
  context: 'context',
  timeout: 'timeoutMs',
  tls: 'tls',
};

export const DEFAULT_TIMEOUT_MS = 10_000;

/** A setting from its option, else the first of its client properties, else a context's or the first of its environment variables. */
type Pick = (option: string | undefined, optionName: string, propertyNames: string[], variables: string[]) => Sourced | undefined;

/**
 * Resolves the options against the client properties and the environment. Values that cannot
 * work are usage errors naming where they came from; Kafka's settings are checked only for Kafka environments.
 */
export function resolveSettings(
  options: FactoryOptions = {},
  env: NodeJS.ProcessEnv = process.env,
  names: OptionNames = LIBRARY_NAMES,
  /** `describe` for `zps context show`: a context's secret references are shown, never resolved. */
  references: References = 'resolve',
): ResolvedSettings {
  const notes: string[] = [];
  const warnings: string[] = [];
  const sources: Record<string, Sourced> = {};
  /** The first of these environment variables that is set (and not empty), with its name. */
  const variable = (...variables: string[]): Sourced | undefined => {
    const name = variables.find((n) => env[n] !== undefined && env[n] !== '');
    return name === undefined ? undefined : [env[name]!, name];
  };
  const contexts = loadContexts(options.context === undefined ? undefined : [options.context, names.context], env, references);
  const file = options.propertiesFile !== undefined ? ([options.propertiesFile, names.propertiesFile] as const) : variable('ZPS_PROPERTIES');
  const properties = ClientProperties.load(
    {
      properties: options.properties,
      propertiesName: names.properties,
      file: file && [file[0], file[1]],
      contexts: [contexts.named, contexts.fallback].filter((c) => c !== undefined).map((c) => ({ from: c.from, properties: c.properties })),
    },
    warnings,
  );
  const given = properties.given();
  const unused = properties.unused();
  if (unused.length > 0) notes.push(`client properties not used by zps: ${unused.join(', ')}`);
  /**
   * A setting (`brokers`) from its option, else -X and the file (what `fromProperties` finds in
   * them), else the --context context, else its environment variables, else the ZPS_CONTEXT (or
   * current) context; a context gives the setting itself, else what `fromProperties` finds in its
   * properties. Where it came from is kept for `zps context show`.
   */
  const layered = (
    option: string | undefined,
    optionName: string,
    setting: string | undefined,
    fromProperties: PropertiesReader,
    fromEnv: () => Sourced | undefined,
  ): Sourced | undefined => {
    const fromContext = (context: ContextLayer | undefined) =>
      context && ((setting === undefined ? undefined : context.setting(setting)) ?? fromProperties(context.propertyMap, context.from));
    const found =
      option !== undefined
        ? ([option, optionName] as const)
        : (given.find(fromProperties) ?? fromContext(contexts.named) ?? fromEnv() ?? fromContext(contexts.fallback));
    if (found !== undefined && setting !== undefined) sources[setting] = found;
    return found;
  };
  const pick: Pick = (option, optionName, propertyNames, variables) =>
    layered(option, optionName, settingOf(variables), propertyReader(propertyNames), () => variable(...variables));
  const [environment, environmentFrom] = layered(options.environment, names.environment, 'env', noProperties, () => environmentVariable(env, notes)) ?? [
    'local',
    'default',
  ];
  if (environment.trim() === '') throw usageError(`${environmentFrom} is empty: name an environment (local, or any other name for Kafka)`);
  const [socket, socketFrom] = pick(options.socketPath, names.socketPath, [], ['ZPS_SOCKET']) ?? [undefined, ''];
  if (socket !== undefined && socket.trim() === '') throw usageError(`${socketFrom} is empty: give the path of the daemon's socket`);
  const timeout = pick(options.timeoutMs === undefined ? undefined : `${options.timeoutMs}ms`, names.timeout, [], ['ZPS_TIMEOUT']);
  const group = pick(options.consumerGroup, names.consumerGroup, ['group.id'], ['ZPS_GROUP']);
  const registry = pick(options.schemaRegistryUrl, names.schemaRegistryUrl, ['schema.registry.url'], ['ZPS_SCHEMA_REGISTRY', 'SCHEMA_REGISTRY_URL']);
  let resolvedSocket: string | undefined;
  const settings: Settings = {
    environment: environment.trim(),
    brokers: ['localhost:9092'],
    // checked on Kafka only: local mode has no registry, and a shell's SCHEMA_REGISTRY_URL must not stop it
    schemaRegistryUrl: registry && (environment.trim() === 'local' ? registry[0] : checkedRegistryUrl(...registry)),
    group: group && validateGroupId(...group),
    // the default is found when asked for: a Kafka command never is (it stats $XDG_RUNTIME_DIR, loads node:os)
    get socket() {
      resolvedSocket ??= socket ?? defaultSocketPath(env);
      return resolvedSocket;
    },
    inProcess: options.inProcess ?? false,
    autostart: options.autostart ?? env.ZPS_NO_AUTOSTART !== '1',
    daemonLimits: options.daemonLimits ?? {},
    daemonKafka: environment === 'local' ? kafkaListen(options.daemonKafkaListen, env) : undefined,
    timeoutMs: options.timeoutMs ?? (timeout === undefined ? DEFAULT_TIMEOUT_MS : parseTimeout(timeout[0], `timeout in ${timeout[1]}`)),
    retry: options.retry ?? {},
    onError: options.onError ?? defaultOnError,
    verbose: options.verbose ?? false,
    onDaemonStarting: options.onDaemonStarting,
  };
  const protocol = securityProtocol(properties);
  const tokenOption = options.sasl?.tokenCommand !== undefined ? names.saslTokenCommand : options.sasl?.token !== undefined ? 'sasl.token' : undefined;
  const mechanism =
    pick(options.sasl?.mechanism, names.saslMechanism, ['sasl.mechanism', 'sasl.mechanisms'], ['ZPS_SASL_MECHANISM']) ??
    (tokenOption === undefined ? undefined : (['oauthbearer', tokenOption] as const));
  // a mechanism no Kafka client knows is exit 2 in every environment
  if (mechanism !== undefined) saslMechanism(...mechanism);
  // local mode has no SASL: a shell's OAUTHBEARER settings for Kafka must not stop local commands
  if (settings.environment === 'local') return { settings, notes, warnings, sources };
  // security.protocol decides, as in Java clients, unless a flag (option) asks for SASL itself
  const saslOn = protocol ? protocol[0].startsWith('SASL_') || options.sasl !== undefined : mechanism !== undefined;
  if (saslOn) {
    if (mechanism === undefined)
      throw usageError(
        `security.protocol=${protocol![0]} in ${protocol![1]} needs sasl.mechanism: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER or AWS_MSK_IAM`,
      );
    const jaas = properties.find((layer, from) =>
      layer.has('sasl.jaas.config')
        ? { ...parseJaasConfig(layer.get('sasl.jaas.config')!, `sasl.jaas.config in ${from}`), from: `sasl.jaas.config in ${from}` }
        : undefined,
    );
    /** The credential from sasl.username (sasl.password), else from sasl.jaas.config, of one layer of properties. */
    const fromLayer =
      (field: 'username' | 'password'): PropertiesReader =>
      (layer, from) => {
        const named = propertyReader([`sasl.${field}`])(layer, from);
        const login = layer.has('sasl.jaas.config') ? parseJaasConfig(layer.get('sasl.jaas.config')!, `sasl.jaas.config in ${from}`)[field] : undefined;
        return named ?? (login === undefined ? undefined : [login, `sasl.jaas.config in ${from}`]);
      };
    const credential = (field: 'username' | 'password', option: string | undefined) => {
      const variables = field === 'username' ? ['ZPS_SASL_USERNAME', 'KAFKA_USERNAME'] : ['ZPS_SASL_PASSWORD', 'KAFKA_PASSWORD'];
      return layered(option, `sasl.${field}`, `sasl-${field}`, fromLayer(field), () => variable(...variables))?.[0] ?? '';
    };
    settings.sasl = resolveSasl(mechanism, options.sasl, { pick, jaas, credential, names });
  }

  const brokers = pick(options.kafkaBrokers?.join(','), names.kafkaBrokers, ['bootstrap.servers', 'metadata.broker.list'], ['ZPS_BROKERS', 'KAFKA_BROKERS']);
  if (brokers !== undefined) settings.brokers = parseBrokers(brokers[0], brokers[1]);
  settings.tls = resolveTls(options.tls, names, pick, protocol, properties, warnings);
  // TLS that security.protocol turns on has that property for its source (zps context show)
  if (settings.tls && protocol?.[0].endsWith('SSL') && sources.tls === undefined) sources.tls = ['true', `security.protocol in ${protocol[1]}`];
  settings.schemaRegistryAccess = registryAccess(properties, settings.sasl, warnings);
  return { settings, notes, warnings, sources };
}

/** What one layer of client properties says of a setting, and where (`bootstrap.servers in -X`). */
type PropertiesReader = (properties: ReadonlyMap<string, string>, from: string) => Sourced | undefined;

/** The first of these properties a layer sets. */
function propertyReader(names: string[]): PropertiesReader {
  return (properties, from) => {
    const name = names.find((n) => properties.has(n));
    return name === undefined ? undefined : [properties.get(name)!, `${name} in ${from}`];
  };
}
const noProperties: PropertiesReader = () => undefined;

/** A context's name for the setting of these variables: ZPS_SASL_PASSWORD is `sasl-password`, as its flag. */
function settingOf(variables: string[]): string | undefined {
  const zps = variables[0];
  return zps?.startsWith('ZPS_') ? zps.slice(4).toLowerCase().replaceAll('_', '-') : undefined;
}

/** The contexts file's contexts this run consults: the one named (--context), and ZPS_CONTEXT's or the current one. */
function loadContexts(named: [string, string] | undefined, env: NodeJS.ProcessEnv, references: References) {
  const fallback: [string, string] | undefined = env.ZPS_CONTEXT ? [env.ZPS_CONTEXT, 'ZPS_CONTEXT'] : undefined;
  const file = readContexts(contextsPath(env));
  return contextLayers(file, named, fallback, env, references);
}

/** A file that cannot be read is a usage error naming what it is and where it was given. */
function checkReadable(file: string, what: string, from: string): void {
  try {
    accessSync(file, constants.R_OK);
  } catch (error) {
    throw usageError(`cannot read the ${what} ${file} given by ${from}: ${fileProblem(error)}`);
  }
}

function securityProtocol(properties: ClientProperties): Sourced | undefined {
  const protocol = properties.get('security.protocol');
  if (protocol === undefined) return undefined;
  const [upper, layer] = [protocol[0].toUpperCase(), protocol[1].replace(/^security\.protocol in /, '')];
  if (!SECURITY_PROTOCOLS.includes(upper)) throw usageError(`invalid security.protocol '${protocol[0]}' in ${layer}: use ${SECURITY_PROTOCOLS.join(', ')}`);
  return [upper, layer];
}

/** A host name check turned off by ssl.endpoint.identification.algorithm= (said on stderr), else undefined: on. */
function hostnameCheck(properties: ClientProperties, warnings: string[], property = 'ssl.endpoint.identification.algorithm'): false | undefined {
  const identification = properties.get(property);
  if (identification === undefined) return undefined;
  const [algorithm, from] = identification;
  if (algorithm.toLowerCase() === 'https') return undefined;
  if (algorithm !== '') throw usageError(`invalid ${from} '${algorithm}': use https, or nothing for no host name check`);
  warnings.push(`${from} is empty: the brokers' certificates are not checked against their host names`);
  return false;
}

/** The schema registry's credentials and TLS, from the properties the Confluent registry clients take. */
function registryAccess(properties: ClientProperties, sasl: Settings['sasl'], warnings: string[]): RegistryAccess {
  const access: RegistryAccess = { auth: registryAuth(properties, sasl), bearer: registryBearer(properties) };
  if (access.auth && access.bearer) throw usageError('the schema registry takes basic.auth.user.info or bearer.auth.token, not both');
  const tls = storeProperties(properties, 'schema.registry.');
  for (const [field, what, , property] of TLS_FILES) {
    const found = properties.get(`schema.registry.${property}`);
    if (found === undefined) continue;
    checkReadable(found[0], `registry's ${what}`, found[1]);
    tls[field] = found[0];
  }
  tls.keyPassword = properties.get('schema.registry.ssl.key.password')?.[0];
  tls.checkHostname = hostnameCheck(properties, warnings, 'schema.registry.ssl.endpoint.identification.algorithm');
  if ((tls.cert === undefined) !== (tls.key === undefined))
    throw usageError("the registry's client certificate needs schema.registry.ssl.certificate.location and schema.registry.ssl.key.location both");
  const given = definedOnly(tls);
  if (Object.keys(given).length > 0) access.tls = given;
  return access;
}

/**
 * HTTP basic auth: basic.auth.user.info (`user:password`) with basic.auth.credentials.source
 * USER_INFO (the default), or the Kafka SASL credentials with SASL_INHERIT, as Confluent's clients.
 */
function registryAuth(properties: ClientProperties, sasl: Settings['sasl']): RegistryAccess['auth'] {
  const source = properties.get('schema.registry.basic.auth.credentials.source', 'basic.auth.credentials.source');
  const kind = source?.[0].toUpperCase();
  if (kind === 'SASL_INHERIT') {
    if (sasl === undefined || !('username' in sasl)) throw usageError(`${source![1]} is SASL_INHERIT, but no SASL user and password are set`);
    return { username: sasl.username, password: sasl.password };
  }
  if (source !== undefined && kind !== 'USER_INFO') throw usageError(`invalid ${source[1]} '${source[0]}': use USER_INFO or SASL_INHERIT`);
  const info = properties.get('schema.registry.basic.auth.user.info', 'basic.auth.user.info');
  if (info === undefined) return undefined;
  const colon = info[0].indexOf(':');
  // the value is a secret: the error names where it is, never what it is
  if (colon < 0) throw usageError(`invalid ${info[1]}: use user:password`);
  return { username: info[0].slice(0, colon), password: info[0].slice(colon + 1) };
}

/**
 * The registry's bearer token, as Confluent's registry clients take it: bearer.auth.credentials.source
 * STATIC_TOKEN with bearer.auth.token, or OAUTHBEARER with OAuth client credentials
 * (bearer.auth.issuer.endpoint.url, bearer.auth.client.id and .secret, bearer.auth.scope).
 */
function registryBearer(properties: ClientProperties): RegistryAccess['bearer'] {
  const source = properties.get('bearer.auth.credentials.source');
  const token = properties.get('bearer.auth.token');
  if (source === undefined && token === undefined) return undefined;
  const kind = source?.[0].toUpperCase() ?? 'STATIC_TOKEN';
  const headers = { logicalCluster: properties.get('bearer.auth.logical.cluster')?.[0], identityPoolId: properties.get('bearer.auth.identity.pool.id')?.[0] };
  if (kind === 'STATIC_TOKEN') {
    if (token === undefined || token[0] === '') throw usageError('bearer.auth.credentials.source=STATIC_TOKEN needs bearer.auth.token');
    return { token: { kind: 'static', token: token[0], from: token[1] }, ...headers };
  }
  if (kind !== 'OAUTHBEARER') throw usageError(`invalid ${source![1]} '${source![0]}': use STATIC_TOKEN or OAUTHBEARER`);
  const required = (name: string): Sourced => {
    const found = properties.get(name);
    if (found === undefined || found[0] === '') throw usageError(`bearer.auth.credentials.source=OAUTHBEARER needs ${name}`);
    return found;
  };
  const [endpoint, clientId, clientSecret] = [
    required('bearer.auth.issuer.endpoint.url'),
    required('bearer.auth.client.id'),
    required('bearer.auth.client.secret'),
  ];
  if (!/^https?:\/\//.test(endpoint[0])) throw usageError(`invalid ${endpoint[1]}: use an http:// or https:// URL`);
  const scope = properties.get('bearer.auth.scope')?.[0];
  return {
    token: { kind: 'client-credentials', endpoint: endpoint[0], clientId: clientId[0], clientSecret: clientSecret[0], scope, from: endpoint[1] },
    ...headers,
  };
}

/** The TLS files: [field, what it is, its option's name, its client property, its environment variable]. */
const TLS_FILES = [
  ['ca', 'CA certificate', 'tlsCa', 'ssl.ca.location', 'ZPS_TLS_CA'],
  ['cert', 'client certificate', 'tlsCert', 'ssl.certificate.location', 'ZPS_TLS_CERT'],
  ['key', 'client key', 'tlsKey', 'ssl.key.location', 'ZPS_TLS_KEY'],
  ['keystore', 'keystore', undefined, 'ssl.keystore.location', undefined],
  ['truststore', 'truststore', undefined, 'ssl.truststore.location', undefined],
] as const;

/**
 * Kafka TLS: on when asked for (an option or flag, security.protocol, ZPS_TLS) or when any of its
 * files is given, each from its option, else its client property, else its variable. Each file
 * must be readable (a usage error naming it and where it came from); keys are decrypted when
 * connecting. security.protocol, when given, decides alone whether TLS is on, as in Java clients.
 */
function resolveTls(
  option: FactoryOptions['tls'],
  names: OptionNames,
  pick: Pick,
  protocol: Sourced | undefined,
  properties: ClientProperties,
  warnings: string[],
): TlsOptions | undefined {
  const given = typeof option === 'object' ? option : {};
  const tls: TlsOptions = { ...storeProperties(properties, ''), ...definedOnly(given) };
  for (const [field, what, optionKey, property, variable] of TLS_FILES) {
    const found = pick(given[field], optionKey ? names[optionKey] : `tls.${field}`, [property], variable ? [variable] : []);
    if (found === undefined) continue;
    checkReadable(found[0], what, found[1]);
    tls[field] = found[0];
  }
  if (tls.cert !== undefined && tls.key === undefined)
    throw usageError(`the client certificate ${tls.cert} needs its key: give it with ${names.tlsKey} (ZPS_TLS_KEY)`);
  if (tls.key !== undefined && tls.cert === undefined)
    throw usageError(`the client key ${tls.key} needs its certificate: give it with ${names.tlsCert} (ZPS_TLS_CERT)`);
  tls.keyPassword ??= pick(undefined, '', ['ssl.key.password'], ['ZPS_TLS_KEY_PASSWORD'])?.[0];
  tls.checkHostname ??= hostnameCheck(properties, warnings);
  const anyFile = TLS_FILES.some(([field]) => tls[field] !== undefined);
  const asked = pick(option === true ? 'true' : undefined, names.tls, [], ['ZPS_TLS']);
  const on = option === true || typeof option === 'object' || (protocol ? protocol[0].endsWith('SSL') : isTrue(asked?.[0]) || anyFile);
  if (!on) return undefined;
  return definedOnly(tls);
}

/** The passwords and types of a keystore and a truststore: `<prefix>ssl.*` (Kafka's, or the registry's `schema.registry.ssl.*`). */
function storeProperties(properties: ClientProperties, prefix: string): TlsOptions {
  const value = (name: string) => properties.get(`${prefix}ssl.${name}`)?.[0];
  return {
    keystorePassword: value('keystore.password'),
    truststorePassword: value('truststore.password'),
    keystoreType: value('keystore.type'),
    truststoreType: value('truststore.type'),
  };
}

/** The TLS options that are set. */
function definedOnly(tls: TlsOptions): TlsOptions {
  return Object.fromEntries(Object.entries(tls).filter(([, value]) => value !== undefined)) as TlsOptions;
}

/**
 * The environment name from ZPS_ENV, else ENV. ENV is also the POSIX shell's startup-file
 * variable (ENV=/root/.shrc): a value that looks like a path is not a name.
 */
function environmentVariable(env: NodeJS.ProcessEnv, notes: string[]): Sourced | undefined {
  if (env.ZPS_ENV) return [env.ZPS_ENV, 'ZPS_ENV'];
  const fallback = env.ENV;
  if (fallback && looksLikePath(fallback)) {
    notes.push(`ignoring ENV=${fallback}: it looks like a path (the shell's startup file), not an environment name`);
  } else if (fallback) return [fallback, 'ENV'];
  return undefined;
}

function looksLikePath(value: string): boolean {
  return value.includes('/') || value.startsWith('~') || value.startsWith('.');
}

/** `host:port,host:port` (IPv6 hosts in brackets); anything else is a usage error naming `from`. */
export function parseBrokers(list: string, from: string): string[] {
  const brokers = list
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) throw usageError(`${from} is empty: give the brokers as host:port, as localhost:9092`);
  for (const broker of brokers) {
    const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):(\d{1,5})$/.exec(broker);
    if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) {
      throw usageError(`invalid broker '${broker}' in ${from}: use host:port, as localhost:9092`);
    }
  }
  return brokers;
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value);
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** The longest wait a timer holds (Node's, as Kafka's settings in int milliseconds): ~596 hours. */
const MAX_WAIT_MS = 2 ** 31 - 1;

/** `250ms`, `10s`, `1.5m`, `2h` → milliseconds, a wait a timer can hold (a longer one would fire at once). */
export function parseDuration(text: string, what = 'duration'): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw usageError(`invalid ${what} '${text}': use a number with a unit, as 250ms, 10s or 2m`);
  const ms = Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
  if (ms > MAX_WAIT_MS) throw usageError(`invalid ${what} '${text}': at most ${MAX_WAIT_MS}ms (about 596h)`);
  return ms;
}

/** A timeout (--timeout, ZPS_TIMEOUT, a context's): a duration of at least 1 ms, as one of none would fail every request. */
export function parseTimeout(text: string, what: string): number {
  const ms = parseDuration(text, what);
  if (ms < 1) throw usageError(`invalid ${what} '${text}': use at least 1ms`);
  return ms;
}

/** The Kafka listener of a daemon that local mode starts: the option, else ZPS_KAFKA_LISTEN. */
function kafkaListen(option: string | undefined, env: NodeJS.ProcessEnv): ListenAddress | undefined {
  if (option !== undefined) return parseListenAddress(option, 'daemonKafkaListen');
  const value = env.ZPS_KAFKA_LISTEN;
  return value === undefined || value === '' ? undefined : parseListenAddress(value, 'ZPS_KAFKA_LISTEN');
}
