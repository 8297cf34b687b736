/**
 * Entry point of the background daemon that autostart spawns: no CLI framework to load, so the
 * first command of a session waits as little as possible.
 * Usage: node main.js <socket> <DaemonConfig as JSON>
 */
import { type DaemonConfig, runDaemon } from './run.js';

const [socket, config] = process.argv.slice(2);
runDaemon({ socket: socket!, ...(config ? (JSON.parse(config) as DaemonConfig) : { limits: {} }) }).then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`zps daemon: ${error.message}\n`);
    process.exit(1);
  },
);
