import { toolsFor } from '../factory.js';
import type { Io } from './io.js';
import type { ToolsFactory } from '../pubsub/types.js';
import { usageError, ZpsError } from '../pubsub/errors.js';
import { type FactoryOptions, parseTimeout, resolveSettings, type Settings, type TlsOptions } from '../settings.js';
import type { SaslOptions } from '../settings/sasl.js';
import { Output } from './output.js';
import { createUi, type Ui } from './ui.js';

export interface GlobalOptions {
  env?: string;
  brokers?: string;
  schemaRegistry?: string;
  group?: string;
  socket?: string;
  saslMechanism?: string;
  saslTokenCommand?: string;
  tls?: boolean;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** -F: a client properties file. */
  properties?: string;
  /** -X: client properties, as given (`name=value`). */
  property?: string[];
  timeout?: string;
  /** A context of the contexts file (`zps context add`). */
  context?: string;
  json?: boolean;
  verbose?: boolean;
  color?: boolean;
}

/** `-X name=value` flags as properties (a later one for the same name wins, as in kcat). */
export function propertyPairs(flags: string[]): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const flag of flags) {
    const equals = flag.indexOf('=');
    // the value may be a secret: an error quotes the flag only when it has none
    if (equals < 0) throw usageError(`invalid -X '${flag}': use -X name=value`);
    if (equals === 0) throw usageError(`invalid -X: no name before '=': use -X name=value`);
    properties[flag.slice(0, equals).trim()] = flag.slice(equals + 1);
  }
  return properties;
}

/** Makes the factory of resolved settings (toolsFor; tests give one over an in-process broker). */
export type ToolsBuilder = (settings: Settings) => ToolsFactory;

/** The CLI's names for the settings, in its errors. */
export const FLAG_NAMES = {
  environment: '--env',
  kafkaBrokers: '--brokers',
  socketPath: '--socket',
  consumerGroup: '--group',
  schemaRegistryUrl: '--schema-registry',
  tlsCa: '--tls-ca',
  tlsCert: '--tls-cert',
  tlsKey: '--tls-key',
  saslMechanism: '--sasl-mechanism',
  saslTokenCommand: '--sasl-token-command',
  properties: '-X',
  propertiesFile: '--properties',
  context: '--context',
  timeout: '--timeout',
  tls: '--tls',
};

/** --sasl-mechanism and --sasl-token-command. */
function saslFlags(options: GlobalOptions): SaslOptions | undefined {
  if (options.saslMechanism === undefined && options.saslTokenCommand === undefined) return undefined;
  return { mechanism: options.saslMechanism, tokenCommand: options.saslTokenCommand };
}

/** --tls-ca, --tls-cert and --tls-key, which turn TLS on; else --tls. */
function tlsFlags(options: GlobalOptions): boolean | TlsOptions | undefined {
  const files = { ca: options.tlsCa, cert: options.tlsCert, key: options.tlsKey };
  return Object.values(files).some((file) => file !== undefined) ? files : options.tls;
}

/** The global flags as the settings' options (`zps context show` resolves them as every command does). */
export function flagSettings(options: GlobalOptions, verbose: boolean, onDaemonStarting?: () => () => void): FactoryOptions {
  return {
    environment: options.env,
    kafkaBrokers: options.brokers
      ?.split(',')
      .map((b) => b.trim())
      .filter(Boolean),
    schemaRegistryUrl: options.schemaRegistry,
    consumerGroup: options.group,
    socketPath: options.socket,
    sasl: saslFlags(options),
    tls: tlsFlags(options),
    properties: options.property && propertyPairs(options.property),
    propertiesFile: options.properties,
    context: options.context,
    timeoutMs: options.timeout === undefined ? undefined : parseTimeout(options.timeout, 'timeout'),
    verbose,
    onDaemonStarting,
  };
}

/** What a command needs from the outside world, built once from flags and environment. */
export class CliContext {
  settings: Settings;
  readonly json: boolean;
  readonly verbose: boolean;
  readonly ui: Ui;
  readonly out: Output;
  /** Whether --timeout or ZPS_TIMEOUT was given, which turns waits into deadlines. */
  readonly timeoutGiven: boolean;
  /** Whether --timeout itself was given: ZPS_TIMEOUT, set for a whole job, asks for no deadline of its own. */
  readonly timeoutFlag: boolean;
  private factoryInstance: ToolsFactory | undefined;
  private abandoned = false;

  /** Settings from flags and environment; colors need an (async) look at the terminal. */
  static async create(options: GlobalOptions, io: Io, tools: ToolsBuilder = toolsFor): Promise<CliContext> {
    return new CliContext(options, io, await createUi(options.color === false, io), tools);
  }

  private constructor(
    options: GlobalOptions,
    readonly io: Io,
    ui: Ui,
    private readonly tools: ToolsBuilder,
  ) {
    const env = io.env;
    this.json = options.json ?? false;
    this.verbose = options.verbose ?? false;
    this.ui = ui;
    this.out = new Output(io.stdout);
    const references = io.runsSecretCommands === false ? 'without-commands' : 'resolve';
    const { settings, notes, warnings, sources } = resolveSettings(flagSettings(options, this.verbose, this.onDaemonStarting), env, FLAG_NAMES, references);
    this.settings = settings;
    this.timeoutFlag = options.timeout !== undefined;
    // ZPS_TIMEOUT or a context's timeout, set for a whole job, also turns waits into deadlines
    this.timeoutGiven = sources.timeout !== undefined;
    for (const warning of warnings) this.note(warning);
    if (this.verbose) for (const note of notes) this.note(note);
  }

  /** A diagnostic line on stderr, `zps: ` first. */
  note(line: string): void {
    this.io.stderr.write(`zps: ${line}\n`);
  }

  /** A summary for a person at a terminal (green), never in a pipe. */
  tell(line: string): void {
    if (this.ui.stderrIsTty) this.io.stderr.write(this.ui.err.green(`${line}\n`));
  }

  get isLocal(): boolean {
    return this.settings.environment === 'local';
  }

  /** Where a topic was looked for, for errors: ` on <brokers>` on Kafka, nothing in local mode. */
  get onBrokers(): string {
    return this.isLocal ? '' : ` on ${this.settings.brokers.join(',')}`;
  }

  /** Shows "starting the local daemon" on a TTY; returns the function that ends it. */
  readonly onDaemonStarting = (): (() => void) => {
    const spinner = this.ui.spinner('starting the local daemon');
    return () => spinner.stop();
  };

  /**
   * A command that waits `ms` at most (count --wait) gives up each request within it too, so an
   * unreachable broker's cause is known by then. Before the factory is made.
   */
  limitTimeout(ms: number): void {
    if (ms < this.settings.timeoutMs) this.settings = { ...this.settings, timeoutMs: Math.max(ms, 1) };
  }

  /** The factory for the selected environment: its driver is loaded when first used. */
  factory(): ToolsFactory {
    if (this.abandoned) throw new ZpsError('interrupted');
    this.factoryInstance ??= this.tools(this.settings);
    return this.factoryInstance;
  }

  /**
   * The process this command runs for is gone (the daemon's client died of a signal): what it has
   * connected closes now, and it connects nothing more, as if it had died with it.
   */
  abandon(): void {
    this.abandoned = true;
    void this.factoryInstance?.close().catch(() => {});
  }

  async close(): Promise<void> {
    await this.out.flush();
    await this.factoryInstance?.close();
    if (this.out.failure) throw new ZpsError(`cannot write to stdout: ${this.out.failure.message}`);
  }
}
