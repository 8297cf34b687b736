/**
 * `zps context add|use|list|show|remove`: named sets of settings in the contexts file
 * (src/contexts/file.ts). These commands resolve nothing unless asked (`show`): a broken current
 * context must not stop the user from replacing or leaving it.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Context, type ContextsFile, contextsPath, readContexts, type SecretReference, writeContexts } from '../../contexts/file.js';
import { CONTEXT_SETTINGS, ContextLayer, isSecretSetting, unknownContext } from '../../contexts/layer.js';
import { ClientProperties, isSecretProperty, SECRET } from '../../properties/client.js';
import { parseProperties } from '../../properties/parse.js';
import { fileProblem, usageError, ZpsError } from '../../pubsub/errors.js';
import { parseBrokers, parseTimeout, resolveSettings } from '../../settings.js';
import { holdsPassword, shownUrl } from '../../properties/registry-url.js';
import { FLAG_NAMES, flagSettings, type GlobalOptions, propertyPairs } from '../context.js';
import type { Io } from '../io.js';
import { Output } from '../output.js';
import { table } from '../table.js';

type Options = GlobalOptions & { bootstrapServer?: string };

interface AddOptions {
  saslUsername?: string;
  saslPasswordEnv?: string;
  saslPasswordCommand?: string;
  tlsKeyPasswordEnv?: string;
  tlsKeyPasswordCommand?: string;
  storeSecrets?: boolean;
  force?: boolean;
}

export function register(program: Command, io: Io): void {
  const context = program.command('context').description('named sets of settings (brokers, SASL, TLS, properties) in ~/.config/zps/config.toml');
  /** Runs a subcommand with the global flags, its stdout flushed after. */
  const action =
    (body: (out: Output, options: Options, command: Command) => void) =>
    async (...args: unknown[]): Promise<void> => {
      const command = args[args.length - 1] as Command;
      const out = new Output(io.stdout);
      try {
        body(out, command.optsWithGlobals<Options>(), command);
      } finally {
        await out.flush();
      }
    };
  context
    .command('add')
    .description('save a context of the setting flags given with it (-e, -b, --sasl-mechanism, --tls..., -X, --properties)')
    .argument('<name>', "the context's name")
    .option('--sasl-username <name>', 'the SASL user name')
    .option('--sasl-password-env <variable>', 'the SASL password: read from this environment variable when used')
    .option('--sasl-password-command <command>', 'the SASL password: printed by this shell command when used')
    .option('--tls-key-password-env <variable>', "the client key's passphrase: read from this environment variable when used")
    .option('--tls-key-password-command <command>', "the client key's passphrase: printed by this shell command when used")
    .option('--store-secrets', 'store the secrets of -X and --properties (sasl.password...) in the file as they are')
    .option('--force', 'replace the context of that name')
    .action(action((_out, options, command) => add(io.env, command.args[0]!, options as Options & AddOptions)));
  context
    .command('use')
    .description('make a context the current one (used when neither --context nor ZPS_CONTEXT names one)')
    .argument('<name>', "the context's name")
    .action(
      action((_out, _options, command) => {
        const [path, file] = existing(io.env, command.args[0]!);
        writeContexts(path, { ...file, current: command.args[0]! });
      }),
    );
  context
    .command('list')
    .description('list the contexts, the current one marked with *')
    .action(action((out, options) => list(io.env, out, options.json ?? false)));
  context
    .command('show')
    .description('every effective setting and where it came from (secrets masked)')
    .argument('[name]', 'resolve as with --context <name>')
    .action(action((out, options, command) => show(io.env, out, options, command.args[0])));
  context
    .command('remove')
    .description('delete a context (the current one too)')
    .argument('<name>', "the context's name")
    .action(
      action((_out, _options, command) => {
        const name = command.args[0]!;
        const [path, file] = existing(io.env, name);
        const { [name]: _removed, ...contexts } = file.contexts;
        writeContexts(path, { current: file.current === name ? undefined : file.current, contexts });
      }),
    );
}

/** The file, which must hold the context `name` (else a usage error with the closest name). */
function existing(env: NodeJS.ProcessEnv, name: string): [string, ContextsFile] {
  const path = contextsPath(env);
  const file = readContexts(path) ?? { contexts: {} };
  if (!Object.hasOwn(file.contexts, name)) throw unknownContext(name, 'not in the contexts file', Object.keys(file.contexts));
  return [path, file];
}

function list(env: NodeJS.ProcessEnv, out: Output, json: boolean): void {
  const file = readContexts(contextsPath(env));
  for (const [name, context] of Object.entries(file?.contexts ?? {})) {
    const current = name === file?.current;
    const environment = typeof context.env === 'string' ? context.env : 'local';
    out.line(json ? JSON.stringify({ name, current, env: environment }) : `${current ? '*' : ' '} ${name}\t${environment}`);
  }
}

/** Each setting's value (secrets `****`, a reference as itself) and where it came from. */
function show(env: NodeJS.ProcessEnv, out: Output, options: Options, name: string | undefined): void {
  const flags = { ...options, brokers: options.brokers ?? options.bootstrapServer, context: name ?? options.context };
  const { settings, sources } = resolveSettings(flagSettings(flags, false), env, FLAG_NAMES, 'describe');
  const defaults: Record<string, string> = { env: 'local', socket: settings.socket, timeout: '10s' };
  if (settings.environment !== 'local') defaults.brokers = settings.brokers.join(',');
  const rows: { setting: string; value: string; from: string }[] = [];
  for (const setting of CONTEXT_SETTINGS) {
    const found = sources[setting];
    if (found === undefined) {
      if (defaults[setting] !== undefined) rows.push({ setting, value: defaults[setting], from: 'default' });
      continue;
    }
    const [value, from] = found;
    // a reference (`{ env = "NAME" }`) is shown as itself: zps context show never resolves one
    const masked = (isSecretSetting(setting) || SECRET.test(from.split(' ')[0]!)) && !/\((environment variable|command)\)$/.test(from);
    rows.push({ setting, value: masked ? '****' : shownUrl(value), from });
  }
  if (options.json) for (const row of rows) out.line(JSON.stringify(row));
  else for (const line of table(rows.map(({ setting, value, from }) => [setting, value, from]))) out.line(line);
}

/** The context of the flags given: settings by flag name, files as absolute paths, -X and --properties as its properties. */
function add(env: NodeJS.ProcessEnv, name: string, options: Options & AddOptions): void {
  if (!/^[\w.-]+$/.test(name)) throw usageError(`invalid context name '${name}': use letters, digits, '.', '_' and '-'`);
  const path = contextsPath(env);
  const file = readContexts(path) ?? { contexts: {} };
  if (Object.hasOwn(file.contexts, name) && !options.force)
    throw new ZpsError(`context ${name} exists: add --force to replace it, or zps context remove ${name}`);
  const absolute = (file?: string) => file && resolve(file);
  const brokers = options.brokers ?? options.bootstrapServer;
  if (brokers !== undefined) parseBrokers(brokers, '--brokers');
  if (options.timeout !== undefined) parseTimeout(options.timeout, '--timeout');
  const context: Context = {
    env: options.env,
    brokers,
    'schema-registry': options.schemaRegistry,
    group: options.group,
    socket: absolute(options.socket),
    // --sasl-token-command alone means OAUTHBEARER, as on any command
    'sasl-mechanism': options.saslMechanism ?? (options.saslTokenCommand === undefined ? undefined : 'oauthbearer'),
    'sasl-token-command': options.saslTokenCommand,
    'sasl-username': options.saslUsername,
    'sasl-password': reference('--sasl-password', options.saslPasswordEnv, options.saslPasswordCommand),
    tls: options.tls,
    'tls-ca': absolute(options.tlsCa),
    'tls-cert': absolute(options.tlsCert),
    'tls-key': absolute(options.tlsKey),
    'tls-key-password': reference('--tls-key-password', options.tlsKeyPasswordEnv, options.tlsKeyPasswordCommand),
    timeout: options.timeout,
  };
  const properties = { ...(options.properties && fileProperties(options.properties)), ...(options.property && propertyPairs(options.property)) };
  // the names are checked as any -X's (a typo is refused now, not at each later run)
  ClientProperties.load({ properties, propertiesName: '-X or --properties' }, []);
  const secret = Object.entries(properties).find(([property, value]) => isSecretProperty(property, value))?.[0];
  if (options.schemaRegistry !== undefined && holdsPassword(options.schemaRegistry) && !options.storeSecrets) {
    throw usageError(
      'the schema registry URL holds a password: keep it out of the contexts file with basic.auth.user.info in a 0600 --properties file, or add --store-secrets to store it as it is',
    );
  }
  if (secret !== undefined && !options.storeSecrets) {
    throw usageError(
      `${secret} is a secret: keep it out of the contexts file with --sasl-password-env or --sasl-password-command, or add --store-secrets to store it as it is`,
    );
  }
  if (Object.keys(properties).length > 0) context.properties = properties;
  const given = Object.fromEntries(Object.entries(context).filter(([, value]) => value !== undefined)) as Context;
  new ContextLayer(name, given, env, 'describe'); // checks the settings as a read would
  writeContexts(path, { ...file, contexts: { ...file.contexts, [name]: given } });
}

function reference(flag: string, variable: string | undefined, command: string | undefined): SecretReference | undefined {
  if (variable !== undefined && command !== undefined) throw usageError(`give ${flag}-env or ${flag}-command, not both`);
  if (variable !== undefined && !/^[A-Za-z_]\w*$/.test(variable)) throw usageError(`invalid ${flag}-env '${variable}': give an environment variable's name`);
  return variable !== undefined ? { env: variable } : command !== undefined ? { command } : undefined;
}

/** The properties of a --properties file, copied into the context. */
function fileProperties(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw usageError(`cannot read the properties file ${path} given by --properties: ${fileProblem(error)}`);
  }
  return Object.fromEntries(parseProperties(text, path));
}
