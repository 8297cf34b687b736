import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

export interface Lock {
  release(): Promise<void>;
}

/**
 * A per-socket mutex, so that of many commands starting at once exactly one spawns the daemon and
 * only the holder may unlink a stale socket. On Linux it is an abstract-namespace socket, which the
 * kernel frees when its holder dies, so a crash never leaves a stale lock; elsewhere an O_EXCL file
 * holding the owner's pid, taken over when that pid is gone.
 * Resolves null when the lock is busy.
 */
export async function tryLock(socket: string, lockFile: string): Promise<Lock | null> {
  return process.platform === 'linux' ? tryAbstractLock(socket) : tryFileLock(lockFile);
}

function tryAbstractLock(socket: string): Promise<Lock | null> {
  const name = `\0zps-lock-${createHash('sha256').update(socket).digest('hex').slice(0, 32)}`;
  return new Promise((resolve, reject) => {
    const server: Server = createServer((connection) => connection.destroy());
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(null);
      else reject(error);
    });
    server.listen(name, () => {
      server.unref();
      resolve({ release: () => new Promise((done) => server.close(() => done())) });
    });
  });
}

async function tryFileLock(lockFile: string): Promise<Lock | null> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return {
        release: async () => {
          try {
            unlinkSync(lockFile);
          } catch {
            // already gone
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (holderAlive(lockFile)) return null;
      try {
        unlinkSync(lockFile);
      } catch {
        // someone else took it over first
      }
    }
  }
  return null;
}

function holderAlive(lockFile: string): boolean {
  try {
    const pid = Number(readFileSync(lockFile, 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return true; // being written: treat as held
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
