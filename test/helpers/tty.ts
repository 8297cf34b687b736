import { spawn } from 'node:child_process';
import { cleanEnv, ZPS_BIN } from './zps.js';

/**
 * Starts zps on a pseudo-terminal (util-linux script), as a person at a terminal would; with
 * `typing`, what is written to its stdin is typed on the terminal.
 */
export function spawnOnTty(args: string[], env: NodeJS.ProcessEnv = {}, typing = false) {
  const command = `stty cols 100 rows 30; ${[process.execPath, ZPS_BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ')}`;
  return spawn('script', ['-qfec', command, '/dev/null'], {
    env: cleanEnv({ TERM: 'xterm-256color', ...env }),
    stdio: [typing ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
}
