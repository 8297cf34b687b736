/**
 * The `zps` command on this process. bin/zps.cjs runs it from the bundle dist/zps.cjs (see
 * scripts/bundle-cli.mjs).
 */
import { argumentNotUtf8 } from './argv-bytes.js';
import { ExitCode } from './errors.js';
import { processIo } from './io.js';
import { report, runZps } from './run.js';

// No top-level await: the bundle is CommonJS (see scripts/bundle-cli.mjs).
const io = processIo();
const notText = argumentNotUtf8(process.argv);
if (notText) {
  const { position, at, byte } = notText;
  const hex = byte.toString(16).padStart(2, '0');
  io.stderr.write(`zps: argument ${position} is not UTF-8 (its byte ${at} is 0x${hex}): Node reads arguments as text, so its bytes cannot reach zps\n`);
  io.stderr.write('give such bytes on stdin, which publish reads exactly as given (-K for keys, --from-json for headers)\n');
  process.exit(ExitCode.usage);
}
// A failure nothing awaited (a library's own promise, as the registry client's for a request it
// cannot make): said as any error, with its exit code, where Node would print its stack.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (error: unknown) => process.exit(report(error, false, io)));
}
void runZps(process.argv, io).then((code) => {
  const hungUp = io.hungUp;
  const exit = hungUp ? endOfHangup : (code: number) => process.exit(code);
  if (io.unwrittenDropped || (hungUp && process.stdout.isTTY)) exit(code);
  // Let stdout drain (a pipe may still hold output), then exit even if a handle lingers.
  else process.stdout.write('', () => exit(code));
});

/**
 * After a hangup the process ends of SIGHUP, as the shell expects of a hung-up command, which also
 * skips Node's exit: its reset of a terminal that is gone aborts the process (an assertion in Node
 * 20). Where the signal cannot be sent to itself (Windows) or does not end it, exit 129, as a shell
 * reports it.
 */
function endOfHangup(): void {
  process.removeAllListeners('SIGHUP');
  try {
    process.kill(process.pid, 'SIGHUP');
  } catch {
    process.exit(129); // Windows sends itself no SIGHUP
  }
  setTimeout(() => process.exit(129), 1_000); // a signal held back (blocked) by whoever started this process
}
