import type { Command } from 'commander';
import type { DaemonClient } from '../../daemon/client.js';
import { connectDaemon, tryConnect } from '../../daemon/connect.js';
import { daemonPaths, socketDirExists } from '../../daemon/paths.js';
import type { BrokerLimits } from '../../memory/broker.js';
import { DEFAULT_KAFKA_LISTEN, formatListenAddress, parseListenAddress } from '../../daemon/kafka/address.js';
import type { DaemonStatus } from '../../daemon/protocol.js';
import type { DaemonConfig } from '../../daemon/run.js';
import { packageFile } from '../../package-files.js';
import { ZpsError } from '../../pubsub/errors.js';
import { formatBytes } from '../../pubsub/wording.js';
import type { CliContext } from '../context.js';
import { parseSize, parseWholeNumber } from '../parse.js';
import type { ActionRunner } from '../program.js';

interface DaemonFlags {
  retentionMessages?: string;
  retentionBytes?: string;
  maxMemory?: string;
  /** true: the default address. */
  kafka?: string | true;
}

export function register(program: Command, run: ActionRunner): void {
  const daemon = program.command('daemon').description('manage the local daemon that hosts the in-memory broker');
  const withOptions = (command: Command) =>
    command
      .option('--retention-messages <n>', 'keep at most n messages per partition (oldest dropped first)')
      .option('--retention-bytes <size>', 'keep at most this many bytes per partition, as 64MiB')
      .option('--max-memory <size>', 'refuse publishes past this much stored data, as 1GiB (default 2GiB)')
      .option('--kafka [address]', `also answer Kafka clients on this loopback address (default ${DEFAULT_KAFKA_LISTEN}; env ZPS_KAFKA_LISTEN)`);
  withOptions(daemon.command('start').description('start the daemon in the background (no-op when it runs with these settings)')).action(
    run(async (ctx, command) => start(ctx, configFrom(ctx, command.opts<DaemonFlags>()))),
  );
  withOptions(daemon.command('run').description('run the daemon in the foreground, logging to stderr')).action(
    run(async (ctx, command) => {
      // the server, its Kafka listener and their codecs, loaded only where they run: a path the CLI
      // bundle does not follow, so they stay out of what every command parses at start
      // the compiled modules (as the daemon autostart spawns runs), not the bundle's copies
      const [{ runDaemon }, { serveOneShot }] = (await Promise.all([
        import(packageFile('dist/daemon/run.js').href),
        import(packageFile('dist/cli/one-shot.js').href),
      ])) as [typeof import('../../daemon/run.js'), typeof import('../one-shot.js')];
      await runDaemon({ socket: socketOf(ctx), ...configFrom(ctx, command.opts<DaemonFlags>()), oneShots: serveOneShot });
    }),
  );
  daemon.command('stop').description('stop the daemon (its messages are lost)').action(run(stop));
  daemon.command('status').description('pid, version, uptime, socket, topics, messages, memory').action(run(status));
}

function socketOf(ctx: CliContext): string {
  return daemonPaths(ctx.settings.socket).socket;
}

/** The daemon's limits and Kafka listener: the flags, else ZPS_KAFKA_LISTEN (in the settings). */
function configFrom(ctx: CliContext, flags: DaemonFlags): DaemonConfig {
  const limits: Partial<BrokerLimits> = {};
  if (flags.retentionMessages !== undefined) limits.retentionMessages = parseWholeNumber(flags.retentionMessages, 'retention', 1);
  if (flags.retentionBytes !== undefined) limits.retentionBytes = parseSize(flags.retentionBytes, 'retention size');
  if (flags.maxMemory !== undefined) limits.maxMemoryBytes = parseSize(flags.maxMemory, 'memory cap');
  const kafka = flags.kafka === undefined ? ctx.settings.daemonKafka : parseListenAddress(flags.kafka === true ? DEFAULT_KAFKA_LISTEN : flags.kafka, '--kafka');
  return { limits, kafka };
}

async function start(ctx: CliContext, config: DaemonConfig): Promise<void> {
  const socket = socketOf(ctx);
  const client = await connectDaemon({
    socket,
    autostart: true,
    timeoutMs: ctx.settings.timeoutMs,
    daemon: config,
    onStarting: ctx.onDaemonStarting,
  });
  try {
    const status = await client.status();
    const { kafka } = status;
    // a daemon already running keeps its limits and doors: say so rather than pretend it took them
    const differences = settingsDifferences(config, status);
    if (differences.length > 0) {
      throw new ZpsError(`the zps daemon (pid ${client.hello.pid}) on ${socket} is running with other settings: ${differences.join(', ')}`, {
        hint: 'a running daemon keeps its own: stop it with "zps daemon stop" (its messages go with it), then start it with these',
      });
    }
    ctx.tell(`zps daemon running (pid ${client.hello.pid}) on ${socket}${kafka ? `, Kafka clients on ${kafka}` : ''}`);
  } finally {
    client.close();
  }
}

/** What the running daemon has that differs from what was asked, each as "what it has (asked what)". */
function settingsDifferences({ limits, kafka }: DaemonConfig, status: DaemonStatus): string[] {
  const differences: string[] = [];
  if (kafka) {
    const running = status.kafka === null ? undefined : parseListenAddress(status.kafka, "the daemon's Kafka listener");
    // port 0 asks for any free port on that host
    const same = running?.host === kafka.host && (kafka.port === 0 || running.port === kafka.port);
    if (!same) differences.push(`${running ? `Kafka listener ${status.kafka}` : 'no Kafka listener'} (asked ${formatListenAddress(kafka)})`);
  }
  const differ = (name: string, asked: number | undefined, has: number | null, format: (n: number) => string) => {
    if (asked !== undefined && asked !== (has ?? Number.POSITIVE_INFINITY))
      differences.push(`${name} ${has === null ? 'none' : format(has)} (asked ${format(asked)})`);
  };
  differ('max memory', limits.maxMemoryBytes, status.stats.maxMemoryBytes, formatBytes);
  differ('retention messages', limits.retentionMessages, status.retention.messages, String);
  differ('retention bytes', limits.retentionBytes, status.retention.bytes, formatBytes);
  return differences;
}

/** A client of the running daemon, or undefined when none answers (never starts one, nor creates its directory). */
async function running(ctx: CliContext): Promise<DaemonClient | undefined> {
  const socket = socketOf(ctx);
  return socketDirExists(socket) ? tryConnect(socket) : undefined;
}

async function stop(ctx: CliContext): Promise<void> {
  const client = await running(ctx);
  if (!client) {
    if (ctx.ui.stderrIsTty) ctx.io.stderr.write(`no zps daemon is running on ${socketOf(ctx)}\n`);
    return;
  }
  await client.shutdown();
  ctx.tell(`stopped the zps daemon (pid ${client.hello.pid})`);
}

async function status(ctx: CliContext): Promise<void> {
  const client = await running(ctx);
  if (!client) {
    if (ctx.json) ctx.out.line(JSON.stringify({ running: false, socket: socketOf(ctx) }));
    throw new ZpsError(`no zps daemon is running on ${socketOf(ctx)}`, { hint: 'start one with "zps daemon start"' });
  }
  try {
    const s = await client.status();
    const uptimeMs = Date.now() - s.startedAt;
    if (ctx.json) {
      ctx.out.line(
        JSON.stringify({
          running: true,
          pid: s.pid,
          version: s.version,
          protocol: s.protocol,
          uptimeMs,
          socket: s.socket,
          kafka: s.kafka,
          topics: s.stats.topics,
          messages: s.stats.messages,
          groups: s.stats.groups,
          storedBytes: s.stats.bytes,
          maxMemoryBytes: s.stats.maxMemoryBytes,
          rssBytes: s.rssBytes,
          requests: s.requests,
          commandsRun: s.commandsRun,
          commandsRunning: s.commandsRunning,
        }),
      );
      return;
    }
    const rows: Array<[string, string]> = [
      ['pid', String(s.pid)],
      ['version', s.version],
      ['uptime', formatUptime(uptimeMs)],
      ['socket', s.socket],
      ['kafka', s.kafka ?? 'off (start the daemon with --kafka to answer Kafka clients)'],
      ['topics', String(s.stats.topics)],
      ['messages', String(s.stats.messages)],
      ['groups', String(s.stats.groups)],
      ['memory', `${formatBytes(s.stats.bytes)} used of ${formatBytes(s.stats.maxMemoryBytes)} allowed, ${formatBytes(s.rssBytes)} resident`],
      ['commands', `${s.commandsRun} run for clients (count, publish, consume -n), ${s.commandsRunning} running`],
    ];
    for (const [name, value] of rows) ctx.out.line(`${ctx.ui.out.bold(name.padEnd(9))}${value}`);
  } finally {
    client.close();
  }
}

function formatUptime(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const parts = [
    [Math.floor(seconds / 86_400), 'd'],
    [Math.floor(seconds / 3600) % 24, 'h'],
    [Math.floor(seconds / 60) % 60, 'm'],
    [seconds % 60, 's'],
  ] as const;
  const shown = parts.filter(([n], i) => n > 0 || i === parts.length - 1);
  return shown.map(([n, unit]) => `${n}${unit}`).join(' ');
}
