import { Command, Option } from 'commander';
import { VERSION } from '../version.js';
import { CliContext } from './context.js';
import * as completion from './commands/completion.js';
import * as consume from './commands/consume.js';
import * as count from './commands/count.js';
import * as daemon from './commands/daemon.js';
import * as publish from './commands/publish.js';
import * as reset from './commands/reset.js';
import * as topics from './commands/topics.js';

export type CommandAction = (ctx: CliContext, command: Command) => Promise<void>;
/** Wraps a command's action: builds its context, runs it, always closes connections after. */
export type ActionRunner = (action: CommandAction) => (...args: unknown[]) => Promise<void>;

/** The commander program; `run` decides how actions execute (main.ts maps their errors to exit codes). */
export function buildProgram(): Command {
  const program = new Command('zps')
    .description('publish, consume and inspect topics: Kafka, or a Kafka-faithful local broker')
    .version(VERSION, '-V, --version')
    .option('-e, --env <name>', 'environment: local (in-memory daemon) or anything else (Kafka)')
    .option('-b, --brokers <list>', 'Kafka brokers, comma-separated (default localhost:9092)')
    .addOption(new Option('--bootstrap-server <list>', 'alias of --brokers').hideHelp())
    .option('-r, --schema-registry <url>', 'Confluent-compatible schema registry URL')
    .option('-g, --group <id>', 'consumer group')
    .option('--socket <path>', 'local daemon socket')
    .option('--sasl-mechanism <mechanism>', 'plain, scram-sha-256 or scram-sha-512 (credentials from ZPS_SASL_USERNAME, ZPS_SASL_PASSWORD)')
    .option('--tls', 'connect to Kafka with TLS')
    .option('--tls-ca <file>', 'CA certificate for TLS')
    .option('--timeout <duration>', 'give up after this long, as 250ms, 10s, 2m (default 10s)')
    .option('--json', 'one JSON object per line on stdout')
    .option('--no-color', 'no colors')
    .option('--verbose', 'more detail on errors')
    .showSuggestionAfterError(true);
  // Set before the commands are added, which copy these settings: commander's usage errors then
  // come out in zps's one-line form and throw (exit 2 in main.ts) instead of exiting.
  program.exitOverride();
  program.configureOutput({
    outputError: (text, write) => write(`zps: ${text.replace(/^error: /, '').trim()}\n`),
  });
  const run: ActionRunner = (action) => async (...args) => {
    const command = args[args.length - 1] as Command;
    const options = command.optsWithGlobals<{ bootstrapServer?: string; brokers?: string }>();
    const ctx = await CliContext.create({ ...options, brokers: options.brokers ?? options.bootstrapServer });
    try {
      await action(ctx, command);
    } finally {
      await ctx.close();
    }
  };
  for (const module of [publish, consume, count, reset, topics, daemon, completion]) module.register(program, run);
  return program;
}
