/**
 * The `zps` command on this process. bin/zps.cjs runs it from the bundle dist/zps.cjs (see
 * scripts/bundle-cli.mjs).
 */
import { processIo } from './io.js';
import { runZps } from './run.js';

// No top-level await: the bundle is CommonJS (see scripts/bundle-cli.mjs).
const io = processIo();
void runZps(process.argv, io).then((code) => {
  // Its terminal gone, the process ends of the signal, as the shell expects, and skips Node's exit,
  // whose reset of that terminal aborts the process (an assertion in Node 20).
  if (io.hungUp) {
    process.removeAllListeners('SIGHUP');
    process.kill(process.pid, 'SIGHUP');
    return;
  }
  if (io.unwrittenDropped) process.exit(code);
  // Let stdout drain (a pipe may still hold output), then exit even if a handle lingers.
  process.stdout.write('', () => process.exit(code));
});
