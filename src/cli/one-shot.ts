/**
 * One-shot commands the daemon runs for `zps` itself (bin/zps.cjs): a script's `zps count t`,
 * `zps publish t x` or `zps consume t -n 1`, in local mode or on Kafka, would otherwise spend most
 * of its time loading and compiling the CLI before it sends one request. The client connects, sends
 * its command line, environment and what its stdout and stderr are, and copies what comes back; the
 * daemon runs the command as the CLI would (runZps, on the broker it hosts or on the client's Kafka
 * cluster, on a connection an earlier command left idle when there is one: ConnectionPool) and
 * streams its output.
 *
 * The daemon declines, and the client runs the command itself, whenever running it here could
 * differ: another build of zps, local settings that are not this daemon's broker, standard input to
 * read, a command that runs on (--follow, --wait, a group), files named relative to the client's
 * directory or its home, a terminal on stderr (spinners), another time zone, a context's secret
 * `{ command = ... }`, and regular expressions (--grep, --regex): the last two could hold the
 * daemon's one thread for every client. On
 * Kafka also: whatever reads this process's own environment rather than the client's (AWS
 * credentials, a token command, Node's CAs and proxies) and --verbose.
 *
 * Client to daemon: ONE_SHOT_GREETING, one line of JSON (OneShotRequest), then single bytes: interrupt
 * (Ctrl-C, SIGTERM or SIGHUP), stdoutClosed (its reader went away) and withdraw (it waited too long to hear
 * that the command started). Daemon to client: frames of a kind byte and a u32 length: declined
 * alone, or started (the client may no longer run it itself), stdout and stderr bytes, dropped (the
 * command dropped what stdout has not taken, at Ctrl-C), heard (an interrupt reached the command,
 * which answered it), then exit (the code as text); killed
 * answers an interrupt no command listens to (the client then dies of the signal itself, and the
 * command does nothing more).
 */
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { ONE_SHOT_GREETING } from '../daemon/protocol.js';
import { ConnectionPool } from '../kafka/client/connection-pool.js';
import type { OneShotHost } from '../daemon/server.js';
import { packageFile } from '../package-files.js';
import type { Settings } from '../settings.js';
import type { CliContext } from './context.js';
import type { Io, OutStream } from './io.js';

/** The longest request line taken (a command line and an environment). */
const MAX_REQUEST_BYTES = 1024 * 1024;

export const Frame = { started: 0x73, stdout: 0x6f, stderr: 0x65, dropped: 0x75, heard: 0x68, exit: 0x78, declined: 0x64, killed: 0x6b } as const;
export const Signal = { interrupt: 0x69, stdoutClosed: 0x63, withdraw: 0x77 } as const;

interface StreamInfo {
  tty: boolean;
  columns: number;
}

export interface OneShotRequest {
  /** The client's CLI build (dist/cli-build), which must be the daemon's. */
  build: string;
  /** The command line past `zps`. */
  args: string[];
  env: Record<string, string>;
  stdout: StreamInfo;
  stderr: StreamInfo;
}

/** The commands run here: what a script runs once per event or assertion. */
const ONE_SHOT_COMMANDS = new Set(['count', 'publish', 'consume']);

/** The CLI, loaded at the first command run here (not at the daemon's start), then kept: an import each time costs ~0.2 ms. */
const importCli = () => Promise.all([import('./run.js'), import('../pubsub/factory.js'), import('../local/driver.js'), import('../factory.js')]);
let cli: ReturnType<typeof importCli> | undefined;
const loadCli = () => (cli ??= importCli());

/** Kafka connections the commands run here leave idle, for the next command with the same cluster and credentials. */
const kafkaConnections = new ConnectionPool();

/** This CLI's build, read when the daemon loads this module (at its start): it runs only the same build's commands. */
const BUILD = cliBuild();

/** Serves a one-shot connection whose first bytes, from ONE_SHOT_GREETING on, are `first`. */
export function serveOneShot(socket: Socket, first: Buffer, host: OneShotHost): void {
  socket.on('error', () => {}); // 'close' follows
  let pending = Buffer.alloc(0);
  const take = (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    const end = pending.indexOf(0x0a, ONE_SHOT_GREETING.length);
    if (end < 0) {
      if (pending.byteLength > MAX_REQUEST_BYTES) socket.destroy();
      return;
    }
    socket.off('data', take);
    let request: OneShotRequest | undefined;
    try {
      if (pending.toString('latin1', 0, ONE_SHOT_GREETING.length) === ONE_SHOT_GREETING)
        request = checkedRequest(JSON.parse(pending.toString('utf8', ONE_SHOT_GREETING.length, end)));
    } catch {
      // not JSON: closed below
    }
    if (request === undefined) {
      socket.destroy(); // not bin/zps.cjs's
      return;
    }
    void run(socket, request, host, pending.subarray(end + 1)).catch(() => socket.destroy());
  };
  socket.on('data', take);
  take(first);
}

/** `value` as a request, or undefined when it is not one: its environment as strings only, on no prototype. */
function checkedRequest(value: unknown): OneShotRequest | undefined {
  if (!isRecord(value)) return undefined;
  const { build, args, env, stdout, stderr } = value;
  if (typeof build !== 'string' || !Array.isArray(args) || !args.every((arg) => typeof arg === 'string') || !isRecord(env)) return undefined;
  const streams = [stdout, stderr].map(streamInfo);
  if (streams[0] === undefined || streams[1] === undefined) return undefined;
  const strings: Record<string, string> = Object.create(null);
  for (const [name, text] of Object.entries(env)) {
    if (typeof text !== 'string') return undefined;
    strings[name] = text;
  }
  return { build, args, env: strings, stdout: streams[0], stderr: streams[1] };
}

function streamInfo(value: unknown): StreamInfo | undefined {
  if (!isRecord(value) || typeof value.tty !== 'boolean') return undefined;
  const columns = value.columns;
  return { tty: value.tty, columns: typeof columns === 'number' && Number.isSafeInteger(columns) && columns > 0 ? columns : 0 };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A reason to leave the command to the client, for what is known before it is parsed. */
function declinedBeforeParsing(request: OneShotRequest): boolean {
  return (
    BUILD === undefined ||
    request.build !== BUILD ||
    !ONE_SHOT_COMMANDS.has(request.args[0] ?? '') ||
    request.stderr.tty ||
    Boolean(request.env.ZPS_PROPERTIES) ||
    Boolean(request.env.ZPS_NO_DAEMON_RUN) ||
    (request.env.TZ ?? '') !== (process.env.TZ ?? '') ||
    // where the contexts file is looked for: the daemon's own home, or a path relative to its directory, would be another file
    !isAbsolute(request.env.HOME ?? '') ||
    (Boolean(request.env.XDG_CONFIG_HOME) && !isAbsolute(request.env.XDG_CONFIG_HOME!))
  );
}

/** Whether the parsed command, with its resolved settings, runs here exactly as in the client. */
function runsHere(command: Command, ctx: CliContext, host: OneShotHost): boolean {
  const { settings } = ctx;
  const globals = command.optsWithGlobals<{ properties?: string }>();
  if (!(isThisDaemon(settings, host) || kafkaRunsHere(settings, ctx.io.env)) || globals.properties !== undefined) return false;
  const options = command.opts<Record<string, unknown>>();
  switch (command.name()) {
    // a pattern runs on the daemon's one thread: one that backtracks for minutes would stall every client
    case 'count':
      return options.wait === undefined && options.regex === undefined;
    case 'publish': {
      const values = command.args.slice(1);
      const files = ['schema', 'keySchema', 'proto', 'protoPath'].some((name) => options[name] !== undefined);
      return values.length > 0 && !values.includes('-') && !files;
    }
    case 'consume':
      return (
        options.maxMessages !== undefined &&
        !options.follow &&
        settings.group === undefined &&
        options.proto === undefined &&
        options.regex === undefined &&
        options.grep === undefined
      );
    default:
      return false;
  }
}

function isThisDaemon(settings: Settings, host: OneShotHost): boolean {
  return settings.environment === 'local' && !settings.inProcess && settings.socket === host.socketPath;
}

/** Environment variables Node or OpenSSL read for the whole process (CAs, proxies, flags): the client's must be the daemon's. */
const PROCESS_WIDE = [
  'NODE_OPTIONS',
  'NODE_EXTRA_CA_CERTS',
  'NODE_TLS_REJECT_UNAUTHORIZED',
  'NODE_USE_ENV_PROXY',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'OPENSSL_CONF',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
];

/**
 * Whether Kafka settings connect from here as from the client: certificate files named absolutely,
 * no credentials this process would look up itself (AWS's chain, a token command run in its shell),
 * the same process-wide variables, and no --verbose (the connection code writes its notes to the
 * process's own stderr).
 */
function kafkaRunsHere(settings: Settings, env: NodeJS.ProcessEnv): boolean {
  if (settings.environment === 'local' || settings.verbose) return false;
  const { sasl } = settings;
  if (sasl?.mechanism === 'aws-msk-iam' || (sasl?.mechanism === 'oauthbearer' && sasl.token.kind === 'command')) return false;
  const files = [settings.tls, settings.schemaRegistryAccess?.tls].flatMap((tls) => (tls ? [tls.ca, tls.cert, tls.key, tls.keystore, tls.truststore] : []));
  return files.every((file) => file === undefined || isAbsolute(file)) && PROCESS_WIDE.every((name) => (env[name] ?? '') === (process.env[name] ?? ''));
}

async function run(socket: Socket, request: OneShotRequest, host: OneShotHost, signals: Buffer): Promise<void> {
  if (declinedBeforeParsing(request)) {
    socket.end(frame(Frame.declined));
    return;
  }
  const stdout = new FramedStream(socket, Frame.stdout, request.stdout);
  const stderr = new FramedStream(socket, Frame.stderr, request.stderr);
  const interrupts = new Set<() => void>();
  /** Set once the command is admitted: what to call when it ends (it counts as running meanwhile). */
  let admitted: (() => void) | undefined;
  let admittedCtx: CliContext | undefined;
  /** Interrupted or withdrawn before it was admitted: it never starts (the client dies of the signal, or gave up, meanwhile). */
  let cancelled = false;
  /** Interrupted while no command listened: the client died of the signal. */
  let killed = false;
  const onSignal = (bytes: Buffer) => {
    for (const byte of bytes) {
      if (byte === Signal.stdoutClosed) stdout.closeByReader();
      // the client gave up waiting to hear that it started: too late once it did (the client carries on then)
      if (byte === Signal.withdraw && !admitted) cancelled = true;
      if (byte !== Signal.interrupt) continue;
      if (!admitted) cancelled = true;
      if (interrupts.size === 0) {
        // the client dies of it: the command must do nothing more, as if it had died with it (a
        // publish would send its values); one that listens later stops at once
        killed = true;
        socket.write(frame(Frame.killed));
        admittedCtx?.abandon();
      }
      for (const handler of [...interrupts]) handler();
      interrupts.clear();
      // the command's answer to it (dropped, say) is out: the client may write what it held back
      if (!killed) socket.write(frame(Frame.heard));
    }
  };
  socket.on('data', onSignal);
  // the client gone (killed): its command stops as at Ctrl-C, with nobody to write to
  let gone = false;
  const onClose = () => {
    if (gone) return;
    gone = true;
    stdout.closeByReader();
    onSignal(Buffer.of(Signal.interrupt));
  };
  // its end is read with the bytes ('end'); 'close' comes only after setImmediate callbacks (admit's)
  socket.once('end', onClose);
  socket.once('close', onClose);
  onSignal(signals);
  const io: Io = {
    get stdin(): Io['stdin'] {
      throw new Error('the daemon cannot read the standard input of a command it runs'); // runsHere() admits none that does
    },
    stdout,
    stderr,
    env: request.env,
    onInterrupt(handler) {
      if (killed) {
        handler();
        return () => {};
      }
      interrupts.add(handler);
      return () => interrupts.delete(handler);
    },
    // the client exits without writing what its stdout has not taken
    dropUnwritten() {
      if (admitted && !killed) socket.write(frame(Frame.dropped));
    },
    // a context's password command would block this one thread, in the daemon's directory
    runsSecretCommands: false,
    async admit(command, ctx) {
      // An interrupt, a withdrawal or the client's end that came while this daemon was busy is read
      // first: libuv reads what follows a partial read at the next poll, one loop turn on.
      await new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
      if (cancelled || !runsHere(command, ctx, host)) throw new Error(`${command.name()} is not run by the daemon`); // ends the run: the client runs it
      admittedCtx = ctx;
      admitted = host.onRun();
      socket.write(frame(Frame.started));
      stdout.release();
      stderr.release();
    },
  };
  const [{ runZps }, { Factory }, { LocalDriver }, { toolsFor }] = await loadCli();
  // local: the broker this daemon hosts; Kafka: the client's cluster, as the client would reach it
  const tools = (settings: Settings) =>
    settings.environment === 'local'
      ? new Factory(settings, { driver: async () => new LocalDriver(settings, host.service) })
      : toolsFor(settings, kafkaConnections);
  const code = await runZps(['node', 'zps', ...request.args], io, tools);
  socket.off('end', onClose);
  socket.off('close', onClose);
  admitted?.();
  // a command not admitted (declined, or it failed before: a usage error, a file named relative to the client) is the client's to run
  if (!admitted) {
    socket.end(frame(Frame.declined));
    return;
  }
  await Promise.all([stdout.finished(), stderr.finished()]);
  socket.end(frame(Frame.exit, Buffer.from(String(code))));
}

/** The build of the CLI this daemon belongs to (scripts/bundle-cli.mjs), or undefined without one. */
function cliBuild(): string | undefined {
  try {
    return readFileSync(packageFile('dist/cli-build'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function frame(kind: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.allocUnsafe(5);
  head[0] = kind;
  head.writeUInt32BE(payload.byteLength, 1);
  return Buffer.concat([head, payload]);
}

/**
 * The client's stdout or stderr, as frames on its connection: held until the command is admitted
 * (what a declined command wrote is dropped, the client writes it again), then written as the
 * socket takes them, which is the backpressure of the client's own stream.
 */
class FramedStream extends Writable implements OutStream {
  readonly isTTY: boolean;
  readonly columns: number;
  private held: Array<{ chunk: Buffer; done: (error?: Error | null) => void }> | undefined = [];
  private readerGone = false;

  constructor(
    private readonly socket: Socket,
    private readonly kind: number,
    info: StreamInfo,
  ) {
    super();
    this.isTTY = info.tty;
    this.columns = info.columns;
    this.on('error', () => {}); // a closed pipe: Output sees it on stdout, stderr's are dropped
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.readerGone) {
      done(epipe());
      return;
    }
    if (this.held) this.held.push({ chunk, done });
    else this.socket.write(frame(this.kind, chunk), (error) => done(error ? epipe() : null));
  }

  /** The command was admitted: what it wrote goes out. */
  release(): void {
    const held = this.held;
    this.held = undefined;
    for (const { chunk, done } of held ?? []) this._write(chunk, 'binary', done);
  }

  /** The client's reader went away: writes fail as on a closed pipe (EPIPE). */
  closeByReader(): void {
    if (this.readerGone) return;
    this.readerGone = true;
    if (!this.held) this.emit('error', epipe());
  }

  /** Resolves once what was written went to the socket (or could not). */
  finished(): Promise<void> {
    return new Promise((resolve) => this.end(() => resolve()));
  }
}

function epipe(): NodeJS.ErrnoException {
  return Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
}
