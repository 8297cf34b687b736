/**
 * Entry point of the background daemon that autostart spawns: no CLI framework to load, so the
 * first command of a session waits as little as possible.
 * Usage: node main.js <socket> <limits as JSON>
 */
import { runDaemon } from './run.js';

const [socket, limits] = process.argv.slice(2);
runDaemon({ socket: socket!, limits: limits ? (JSON.parse(limits) as object) : {} }).then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`zps daemon: ${error.message}\n`);
    process.exit(1);
  },
);
