// The client of src/cli/one-shot.ts: asks the local daemon to run this command (count, publish,
// consume) and copies its output, exit code included. Loading and compiling the CLI is most of
// what such a command costs; the daemon has it loaded. Plain CommonJS, loading nothing of the CLI.
'use strict';

const GREETING = 'ZPS-RUN 1\n';
const Frame = { stdout: 0x6f, stderr: 0x65, dropped: 0x75, heard: 0x68, exit: 0x78, declined: 0x64, killed: 0x6b, started: 0x73 };
const Signal = { interrupt: 'i', stdoutClosed: 'c', withdraw: 'w' };
/** The signals that stop a command as Ctrl-C does (SIGHUP: its terminal closed), as src/cli/io.ts hears them. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** How long a daemon may take to say whether it runs the command (the CLI's default --timeout). */
const ANSWER_MS = 10_000;

/**
 * Runs the command in the daemon on the socket the environment names, or calls `runHere()` when
 * there is none, it is of another build, or it declines (whatever would run differently there).
 */
function runInDaemon(runHere) {
  const fs = require('node:fs');
  const path = require('node:path');
  const env = process.env;
  let socketPath;
  try {
    socketPath = daemonSocket(env, fs, path);
  } catch {
    return runHere(); // no working directory to resolve a relative ZPS_SOCKET against: the CLI says so
  }
  let build;
  try {
    build = fs.readFileSync(path.join(__dirname, '..', 'dist', 'cli-build'), 'utf8').trim();
  } catch {
    return runHere();
  }
  // no daemon (a Kafka user who never started one): as fast as without this
  if (!socketPath || !build || !fs.existsSync(socketPath)) return runHere();

  const tty = require('node:tty');
  const terminals = [0, 1, 2].filter((fd) => tty.isatty(fd));
  const stdoutTty = terminals.includes(1);
  const request = {
    build,
    args: process.argv.slice(2),
    env,
    stdout: { tty: stdoutTty, columns: stdoutTty ? process.stdout.columns || 0 : 0 },
    stderr: { tty: terminals.includes(2), columns: 0 },
  };
  const socket = require('node:net').connect(socketPath);
  let started = false; // the daemon runs it: this process may no longer run it itself
  let finished = false;
  let pending = Buffer.alloc(0);
  let signalled = 'SIGINT';
  /** The command dropped what stdout has not taken (Ctrl-C): the exit does not wait for it. */
  let dropped = false;
  /** Frames wait in `pending` while stdout or stderr is full (the socket paused), until it drains. */
  let full = false;
  /**
   * Output frames read after an interrupt, past a full stdout too, until the command answers it
   * (heard): a Ctrl-C'd consume drops them (dropped), anything else has them written.
   */
  let held;
  const interrupt = (signal) => {
    signalled = signal;
    socket.write(Signal.interrupt);
    held ??= [];
    if (full) {
      full = false;
      socket.resume();
      pump();
    }
  };
  // A daemon that does not say within ANSWER_MS whether it runs the command is asked to withdraw
  // it: it says `declined` (this process runs it, once) or `started` (too late: it runs there). One
  // that says nothing more fails the command, as a request to it would; it reads the withdrawal
  // before it would ever start the command.
  let givenUp;
  const unanswered = setTimeout(() => {
    socket.write(Signal.withdraw);
    givenUp = setTimeout(() => {
      stop();
      process.stderr.write(`zps: the local daemon did not answer on ${socketPath} in time\nsee its log: ${socketPath}.log\n`);
      process.exitCode = 1;
    }, ANSWER_MS);
  }, ANSWER_MS);
  for (const signal of STOP_SIGNALS) process.on(signal, interrupt);

  function declined() {
    if (started || finished) return;
    // interrupted while it waited for the answer: nothing ran, and this process ends of the signal
    if (held) return dieOfSignal();
    stop();
    runHere();
  }
  /** Done with the daemon: no more frames, signals or timers. */
  function stop() {
    finished = true;
    stopListening();
    socket.destroy();
  }
  /** Ends of the signal this process got, as it would have running the command itself. */
  function dieOfSignal() {
    stop();
    process.kill(process.pid, signalled);
  }
  function stopListening() {
    clearTimeout(unanswered);
    clearTimeout(givenUp);
    for (const signal of STOP_SIGNALS) process.off(signal, interrupt);
  }

  socket.on('connect', () => socket.write(`${GREETING}${JSON.stringify(request)}\n`));
  socket.on('error', () => {}); // 'close' follows
  socket.on('close', () => {
    if (!started) return declined();
    if (finished) return;
    finished = true;
    stopListening();
    process.stderr.write('zps: the local daemon stopped while it ran the command\n');
    process.exitCode = 1;
  });
  // its reader gone, the command sees a closed pipe, as it would here
  const stdout = outputTo(1, fs, () => socket.write(Signal.stdoutClosed));
  const stderr = outputTo(2, fs, () => {});
  socket.on('data', (chunk) => {
    pending = pending.byteLength === 0 ? chunk : Buffer.concat([pending, chunk]);
    pump();
  });

  function pump() {
    while (pending.byteLength >= 5 && !finished && !full) {
      const length = pending.readUInt32BE(1);
      if (pending.byteLength < 5 + length) break;
      const kind = pending[0];
      const payload = pending.subarray(5, 5 + length);
      pending = pending.subarray(5 + length);
      take(kind, payload);
    }
  }

  function write(kind, payload) {
    if (dropped && kind === Frame.stdout) return;
    const output = kind === Frame.stdout ? stdout : stderr;
    if (output.write(payload) === 'full' && !full) {
      full = true;
      socket.pause();
      output.whenDrained(() => {
        full = false;
        socket.resume();
        pump();
      });
    }
  }

  function writeHeld() {
    const frames = held ?? [];
    held = undefined;
    for (const [kind, payload] of frames) write(kind, payload);
  }

  function take(kind, payload) {
    if (kind === Frame.declined) return declined();
    if (!started) {
      started = true;
      clearTimeout(unanswered);
      clearTimeout(givenUp);
    }
    if (kind === Frame.stdout || kind === Frame.stderr) {
      if (held) held.push([kind, payload]);
      else write(kind, payload);
    } else if (kind === Frame.dropped) {
      dropped = true;
    } else if (kind === Frame.heard) {
      writeHeld();
    } else if (kind === Frame.exit && held) {
      // the command ended before the interrupt reached it: this process dies of it, as one whose
      // command has ended dies of a Ctrl-C while its output drains
      dieOfSignal();
    } else if (kind === Frame.exit) {
      stop();
      const code = Number(payload.toString());
      // a hangup, heard or a terminal gone (see src/cli/io.ts): this process ends of it, as the CLI's own exit does then
      const hungUp = signalled === 'SIGHUP' || terminals.some((fd) => !tty.isatty(fd));
      const exit = (status) => (hungUp ? endOfHangup() : process.exit(status));
      // Ctrl-C dropped what stdout had not taken, or stdout is a terminal gone: at once, as the CLI's own exit
      if (dropped || (hungUp && stdoutTty)) return exit(code);
      // without waiting for the daemon to close the connection, once what is written is out
      stdout.flushed(() =>
        stderr.flushed(() => {
          if (failure && !hungUp) fs.writeSync(2, failure);
          exit(failure && code === 0 ? 1 : code);
        }),
      );
    } else if (kind === Frame.killed) {
      // the command listened for no interrupt: this process ends of the signal, as it would have
      dieOfSignal();
    }
  }
}

/** Ends of SIGHUP, as src/cli/main.ts's endOfHangup does (there: why), 129 where that cannot be. */
function endOfHangup() {
  process.removeAllListeners('SIGHUP');
  try {
    process.kill(process.pid, 'SIGHUP');
  } catch {
    process.exit(129);
  }
  setTimeout(() => process.exit(129), 1_000);
}

/** What is written straight to a file descriptor before its stream takes over (see outputTo). */
const DIRECT_BYTES = 16 * 1024;

/**
 * Output to file descriptor `fd` (1 or 2). Its first DIRECT_BYTES are written at once (writeSync),
 * which any pipe takes without blocking, so a Ctrl-C is never held up behind them: creating
 * process.stdout costs more than a short command's whole output. Then, or when the descriptor
 * would block, through process.stdout or process.stderr, whose backpressure pauses the daemon.
 * `onClosed` once its reader went away (EPIPE).
 */
/** A write that failed other than on a closed pipe: said at the end, and the exit is 1. */
let failure;

function outputTo(fd, fs, onClosed) {
  let direct = DIRECT_BYTES;
  let stream;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    onClosed();
  };
  return {
    /** 'written', 'full' (call whenDrained), or 'closed' (dropped: nobody reads it). */
    write(bytes) {
      if (closed) return 'closed';
      let offset = 0;
      while (!stream && offset < bytes.byteLength && bytes.byteLength - offset <= direct) {
        try {
          const written = fs.writeSync(fd, bytes, offset);
          offset += written;
          direct -= written;
        } catch (error) {
          if (error.code === 'EAGAIN') break;
          // its reader gone (EPIPE), or nowhere to write (a full disk): the command stops as at a closed pipe
          if (error.code !== 'EPIPE') failure ??= `zps: cannot write to ${fd === 1 ? 'stdout' : 'stderr'}: ${error.message}\n`;
          close();
          return 'closed';
        }
      }
      if (offset === bytes.byteLength) return 'written';
      if (!stream) {
        stream = fd === 1 ? process.stdout : process.stderr;
        stream.on('error', close);
      }
      return stream.write(bytes.subarray(offset)) ? 'written' : 'full';
    },
    whenDrained(resume) {
      stream.once('drain', resume);
    },
    /** Calls `done` once what was written is out (or cannot be). */
    flushed(done) {
      if (!stream || closed) done();
      else stream.write('', done);
    },
  };
}

/**
 * The daemon's socket as the CLI finds it (src/daemon/paths.ts): $ZPS_SOCKET, else
 * $XDG_RUNTIME_DIR/zps/broker.sock when that directory is private, else <tmpdir>/zps-<uid>/broker.sock;
 * undefined when its directory is not this user's alone (the CLI then refuses, or starts one).
 */
function daemonSocket(env, fs, path) {
  const uid = process.getuid?.();
  const privateDir = (dir) => {
    try {
      const stat = fs.lstatSync(dir);
      return stat.isDirectory() && stat.uid === uid && (stat.mode & 0o077) === 0;
    } catch {
      return false;
    }
  };
  let socket;
  if (env.ZPS_SOCKET) socket = path.resolve(env.ZPS_SOCKET);
  else if (env.XDG_RUNTIME_DIR && path.isAbsolute(env.XDG_RUNTIME_DIR) && privateDir(env.XDG_RUNTIME_DIR))
    socket = path.join(env.XDG_RUNTIME_DIR, 'zps', 'broker.sock');
  else {
    // os.tmpdir() without loading node:os
    let tmp = env.TMPDIR || env.TMP || env.TEMP || '/tmp';
    if (tmp.length > 1 && tmp.endsWith('/')) tmp = tmp.slice(0, -1);
    socket = path.join(tmp, `zps-${uid}`, 'broker.sock');
  }
  return privateDir(path.dirname(socket)) ? socket : undefined;
}

module.exports = { runInDaemon };
