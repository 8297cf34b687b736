/**
 * Entry point of the background daemon that autostart spawns (src/daemon/connect.ts), with the
 * one-shot commands it runs for clients: the CLI itself is loaded at the first of them, so the
 * first command of a session waits as little as possible.
 * Usage: node daemon-main.js <socket> <DaemonConfig as JSON>
 */
import { serveOneShot } from './cli/one-shot.js';
import { type DaemonConfig, runDaemon } from './daemon/run.js';

const [socket, config] = process.argv.slice(2);
runDaemon({ socket: socket!, ...(config ? (JSON.parse(config) as DaemonConfig) : { limits: {} }), oneShots: serveOneShot }).then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`zps daemon: ${error.message}\n`);
    process.exit(1);
  },
);
