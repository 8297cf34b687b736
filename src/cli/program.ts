import { Command, Option } from 'commander';
import { VERSION } from '../version.js';
import { CliContext, type ToolsBuilder } from './context.js';
import type { Io } from './io.js';

export type CommandAction = (ctx: CliContext, command: Command) => Promise<void>;
/** Wraps a command's action: builds its context, runs it, always closes connections after. */
export type ActionRunner = (action: CommandAction) => (...args: unknown[]) => Promise<void>;

/** What a run learned of itself that its error report needs (set once the flags are parsed). */
export interface RunState {
  verbose: boolean;
  /** The command whose flags or arguments were wrong (`zps consume`), for the hint to its help. */
  usageOf?: string;
}

/** Other tools' words for zps's commands (kcat, rpk, Kafka's console tools): too far for commander's spelling suggestions. */
const OTHER_TOOLS_WORDS: Record<string, string> = { produce: 'publish', producer: 'publish', subscribe: 'consume', consumer: 'consume' };

/**
 * commander's error in zps's one-line form, its spelling suggestion on the line (`unknown command
 * 'consum': did you mean consume?`); at the top level, another tool's word for a command gets one too.
 */
function errorLine(text: string, topLevel: boolean): string {
  const line = text
    .replace(/^error: /, '')
    .trim()
    .replace(/\s*\(Did you mean (.*)\?\)$/, ': did you mean $1?');
  const word = /^unknown command '([^']*)'$/.exec(line)?.[1];
  return topLevel && word !== undefined && Object.hasOwn(OTHER_TOOLS_WORDS, word) ? `${line}: did you mean ${OTHER_TOOLS_WORDS[word]}?` : line;
}

/** Adds a command to the program. */
type Register = (program: Command, run: ActionRunner, io: Io) => void;

/**
 * zps's commands by name, in the order of the help: each module adds its command, and is loaded
 * when the command is built (the CLI bundle holds each in a chunk of its own, scripts/bundle-cli.mjs).
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  publish: async () => (await import('./commands/publish.js')).register,
  consume: async () => (await import('./commands/consume.js')).register,
  count: async () => (await import('./commands/count.js')).register,
  reset: async () => (await import('./commands/reset.js')).register,
  topics: async () => (await import('./commands/topics.js')).register,
  groups: async () => (await import('./commands/groups.js')).register,
  schemas: async () => (await import('./commands/schemas.js')).register,
  cluster: async () => (await import('./commands/cluster.js')).register,
  daemon: async () => (await import('./commands/daemon.js')).register,
  completion: async () => (await import('./commands/completion.js')).register,
  context: async () => {
    const { register } = await import('./commands/context.js');
    return (program, _run, io) => register(program, io);
  },
};

/**
 * The command `args` (the command line past the script) names: its first operand, past the
 * program's own flags and their values, when zps has such a command.
 */
function commandNamed(program: Command, args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return undefined;
    if (!arg.startsWith('-') || arg === '-') return Object.hasOwn(COMMANDS, arg) ? arg : undefined;
    const option = program.options.find((flag) => flag.short === arg || flag.long === arg);
    if (option?.required || (option?.optional && !args[i + 1]?.startsWith('-'))) i++; // the flag's value
  }
  return undefined;
}

/**
 * The commander program, writing to `io`. Actions build their context from the parsed flags and
 * `io`; `tools` makes the factory (tests give one over an in-process broker). Given the command
 * line it will parse (process.argv's form), only the command it names is loaded and built: a
 * one-shot command's start spends nothing on the others. All of them for help or a mistyped command.
 */
export async function buildProgram(io: Io, state: RunState, tools?: ToolsBuilder, argv?: string[]): Promise<Command> {
  const program = new Command('zps')
    .description('publish, consume and inspect topics: Kafka, or a Kafka-faithful local broker')
    .version(VERSION, '-V, --version')
    .option('-e, --env <name>', 'environment: local (in-memory daemon) or anything else (Kafka)')
    .option('-b, --brokers <list>', 'Kafka brokers, comma-separated (default localhost:9092)')
    .addOption(new Option('--bootstrap-server <list>', 'alias of --brokers').hideHelp())
    .option('-r, --schema-registry <url>', 'Confluent-compatible schema registry URL')
    .option('-g, --group <id>', 'consumer group')
    .option('--socket <path>', 'local daemon socket')
    .option(
      '--sasl-mechanism <mechanism>',
      'plain, scram-sha-256, scram-sha-512 (credentials from ZPS_SASL_USERNAME, ZPS_SASL_PASSWORD, or -X sasl.username=...), oauthbearer or aws-msk-iam',
    )
    .option('--sasl-token-command <cmd>', 'OAUTHBEARER: a shell command printing the token, run again before it expires')
    .option('--tls', 'connect to Kafka with TLS')
    .option('--tls-ca <file>', 'CA certificate for TLS')
    .option('--tls-cert <file>', 'client certificate for TLS (PEM)')
    .option('--tls-key <file>', "the client certificate's key (PEM; an encrypted key's passphrase from ZPS_TLS_KEY_PASSWORD)")
    .option('-F, --properties <file>', 'Kafka client properties file (client.properties: bootstrap.servers, security.protocol, sasl.*, ssl.*, ...)')
    .option('-X, --property <name=value>', 'a Kafka client property (repeatable), as in kcat', (value: string, previous: string[] = []) => [...previous, value])
    .option('--context <name>', 'a context of ~/.config/zps/config.toml (zps context add; default: ZPS_CONTEXT, else the current one)')
    .option('--timeout <duration>', 'give up after this long, as 250ms, 10s, 2m (default 10s)')
    .option('--json', 'one JSON object per line on stdout')
    .option('--no-color', 'no colors')
    .option('--verbose', 'more detail on errors')
    .showSuggestionAfterError(true);
  // Set before the commands are added, which copy these settings: commander's usage errors then
  // come out in zps's one-line form and throw (exit 2 in main.ts) instead of exiting.
  program.exitOverride();
  program.configureOutput({
    writeOut: (text) => io.stdout.write(text),
    writeErr: (text) => io.stderr.write(text),
    outputError: (text, write) => write(`zps: ${errorLine(text, true)}\n`),
  });
  const run: ActionRunner =
    (action) =>
    async (...args) => {
      const command = args[args.length - 1] as Command;
      const options = command.optsWithGlobals<{ bootstrapServer?: string; brokers?: string; verbose?: boolean }>();
      state.verbose = options.verbose ?? false;
      const ctx = await CliContext.create({ ...options, brokers: options.brokers ?? options.bootstrapServer }, io, tools);
      try {
        await io.admit?.(command, ctx);
        await action(ctx, command);
      } finally {
        await ctx.close();
      }
    };
  const named = argv && commandNamed(program, argv.slice(2));
  const registers = await Promise.all((named === undefined ? Object.keys(COMMANDS) : [named]).map((name) => COMMANDS[name]!()));
  for (const register of registers) register(program, run, io);
  leaveSchemasVersionFlag(program);
  // each command's usage errors point to its own help
  for (const command of commandsUnder(program)) {
    command.configureOutput({ outputError: (text, write) => write(`zps: ${errorLine(text, false)}\n`) });
    command.exitOverride((error) => {
      state.usageOf ??= commandPath(command);
      throw error;
    });
  }
  return program;
}

/**
 * commander takes a program's flag wherever it is on the line, so zps's own --version would print
 * the version for `zps schemas <subject> --version 3`: after `schemas`, --version (and its value) is that command's.
 */
function leaveSchemasVersionFlag(program: Command): void {
  const parseOptions = program.parseOptions.bind(program);
  program.parseOptions = (args) => {
    const names = new Set(program.commands.map((command) => command.name()));
    const at = args.findIndex((arg) => names.has(arg));
    if (args[at] !== 'schemas') return parseOptions(args);
    const flag = args.findIndex((arg, i) => i > at && (arg === '--version' || arg.startsWith('--version=')));
    if (flag < 0) return parseOptions(args);
    const length = args[flag] === '--version' ? 2 : 1;
    const parsed = parseOptions([...args.slice(0, flag), ...args.slice(flag + length)]);
    return { operands: parsed.operands, unknown: [...parsed.unknown, ...args.slice(flag, flag + length)] };
  };
}

function commandsUnder(command: Command): Command[] {
  return command.commands.flatMap((sub) => [sub, ...commandsUnder(sub)]);
}

function commandPath(command: Command): string {
  return command.parent ? `${commandPath(command.parent)} ${command.name()}` : command.name();
}
