import { accessSync, constants, lstatSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ZpsError, usageError } from '../pubsub/errors.js';

/** sun_path holds 108 bytes on Linux and 104 on macOS, terminator included. */
const MAX_SOCKET_PATH_BYTES = 103;

export interface DaemonPaths {
  socket: string;
  log: string;
  /** Used where the platform has no abstract sockets to lock with. */
  lockFile: string;
}

export function uid(): number {
  return process.getuid?.() ?? 0;
}

/** `$XDG_RUNTIME_DIR/zps/broker.sock` when that directory is usable, else `<tmpdir>/zps-<uid>/broker.sock`. */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  const runtimeDir = env.XDG_RUNTIME_DIR;
  if (runtimeDir && isAbsolute(runtimeDir) && isPrivateWritableDir(runtimeDir)) {
    return join(runtimeDir, 'zps', 'broker.sock');
  }
  return join(tmpdir(), `zps-${uid()}`, 'broker.sock');
}

export function daemonPaths(socket: string): DaemonPaths {
  const absolute = resolve(socket);
  return { socket: absolute, log: `${absolute}.log`, lockFile: `${absolute}.lock` };
}

/**
 * Makes sure the socket's directory exists, is a real directory (not a symlink), belongs to this
 * user and is closed to everyone else (0700): otherwise another user could read the messages or
 * pose as the daemon.
 */
export function prepareSocketDir(socket: string): void {
  const dir = dirname(checkSocketLength(socket));
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new ZpsError(`cannot create socket directory ${dir}: ${(error as Error).message}`);
    }
  }
  checkSocketDir(dir);
}

/**
 * Whether the socket's directory exists, checked as prepareSocketDir checks it, creating nothing:
 * for commands that only look for a running daemon (status, stop).
 */
export function socketDirExists(socket: string): boolean {
  const dir = dirname(checkSocketLength(socket));
  try {
    checkSocketDir(dir);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

function checkSocketLength(socket: string): string {
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH_BYTES) {
    throw usageError(`socket path is too long (${Buffer.byteLength(socket)} bytes, at most ${MAX_SOCKET_PATH_BYTES}): ${socket}`, 'socket-path-too-long');
  }
  return socket;
}

function checkSocketDir(dir: string): void {
  const stat = lstatSync(dir);
  if (stat.isSymbolicLink()) throw unsafeDir(dir, 'it is a symbolic link');
  if (!stat.isDirectory()) throw unsafeDir(dir, 'it is not a directory');
  if (stat.uid !== uid()) throw unsafeDir(dir, `it belongs to user ${stat.uid}`);
  if ((stat.mode & 0o077) !== 0) {
    throw unsafeDir(dir, `others can access it (mode ${(stat.mode & 0o777).toString(8)}); it must be 700`);
  }
}

function unsafeDir(dir: string, why: string): ZpsError {
  return new ZpsError(`refusing socket directory ${dir}: ${why}`, { reason: 'socket-dir-unsafe' });
}

function isPrivateWritableDir(dir: string): boolean {
  try {
    const stat = statSync(dir);
    accessSync(dir, constants.W_OK | constants.X_OK);
    return stat.isDirectory() && stat.uid === uid();
  } catch {
    return false;
  }
}

/**
 * Removes the socket a crashed daemon left (the caller holds the start lock). Anything else at
 * the path, a mistyped --socket naming a file of the user's, say, is never removed: exit 2.
 */
export function removeStaleSocket(socket: string): void {
  const found = lstatSync(socket, { throwIfNoEntry: false });
  if (!found) return;
  if (!found.isSocket()) throw usageError(`${socket} is not a socket: zps will not remove it; name another --socket (ZPS_SOCKET)`);
  try {
    unlinkSync(socket);
  } catch {
    // gone already
  }
}
