import { loadFactory } from '../factory-options.js';
import { resolveSettings, type Settings } from '../pubsub/settings.js';
import type { PubSubFactory } from '../pubsub/types.js';
import { Output } from './output.js';
import { createUi, type Ui } from './ui.js';

export interface GlobalOptions {
  env?: string;
  brokers?: string;
  schemaRegistry?: string;
  group?: string;
  socket?: string;
  saslMechanism?: string;
  tls?: boolean;
  tlsCa?: string;
  timeout?: string;
  json?: boolean;
  verbose?: boolean;
  color?: boolean;
}

/** What a command needs from the outside world, built once from flags and environment. */
export class CliContext {
  readonly settings: Settings;
  readonly json: boolean;
  readonly verbose: boolean;
  readonly ui: Ui;
  readonly out = new Output();
  /** Whether --timeout or ZPS_TIMEOUT was given, which turns waits into deadlines. */
  readonly timeoutGiven: boolean;
  private factoryInstance: Promise<PubSubFactory> | undefined;

  /** Settings from flags and environment; colors need an (async) look at the terminal. */
  static async create(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Promise<CliContext> {
    return new CliContext(options, await createUi(options.color === false, env), env);
  }

  private constructor(options: GlobalOptions, ui: Ui, env: NodeJS.ProcessEnv) {
    const { settings, notes } = resolveSettings(
      {
        environment: options.env,
        brokers: options.brokers?.split(',').map((b) => b.trim()).filter(Boolean),
        schemaRegistryUrl: options.schemaRegistry,
        group: options.group,
        socket: options.socket,
        saslMechanism: options.saslMechanism,
        tls: options.tls,
        tlsCa: options.tlsCa,
        timeout: options.timeout,
      },
      env,
      { environment: '--env', brokers: '--brokers', socket: '--socket', tlsCa: '--tls-ca' },
    );
    this.settings = settings;
    this.json = options.json ?? false;
    this.verbose = options.verbose ?? false;
    if (this.verbose) for (const note of notes) process.stderr.write(`zps: ${note}\n`);
    this.ui = ui;
    this.timeoutGiven = options.timeout !== undefined || Boolean(env.ZPS_TIMEOUT);
  }

  get isLocal(): boolean {
    return this.settings.environment === 'local';
  }

  /** Shows "starting the local daemon" on a TTY; returns the function that ends it. */
  readonly onDaemonStarting = (): (() => void) => {
    const spinner = this.ui.spinner('starting the local daemon');
    return () => spinner.stop();
  };

  /** The factory for the selected environment; starting the daemon shows a spinner on a TTY. */
  factory(): Promise<PubSubFactory> {
    this.factoryInstance ??= loadFactory({
      environment: this.settings.environment,
      kafkaBrokers: this.settings.brokers,
      schemaRegistryUrl: this.settings.schemaRegistryUrl,
      socketPath: this.settings.socket,
      timeoutMs: this.settings.timeoutMs,
      sasl: this.settings.sasl,
      tls: this.settings.tls,
      verbose: this.verbose,
      onDaemonStarting: this.onDaemonStarting,
    });
    return this.factoryInstance;
  }

  async close(): Promise<void> {
    await this.out.flush();
    await (await this.factoryInstance)?.close();
  }
}
