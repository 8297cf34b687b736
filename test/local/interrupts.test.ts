/**
 * The CLI's interrupt handling on a real process: a command hears Ctrl-C or SIGTERM once, without
 * the process dying of it, and a second signal of either kind ends the process even when the
 * command has not ended (a request that never gets an answer, say).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';

const io = fileURLToPath(new URL('../../dist/cli/io.js', import.meta.url));

/**
 * A process whose command listens for interrupts, says when it heard one, and never ends; after it,
 * a listener that kills the process by the signal when it is the last one listening (as
 * signal-exit does, which ora's spinner loads).
 */
function stuckCommand() {
  const script = `import { processIo } from ${JSON.stringify(io)};
processIo().onInterrupt(() => process.stdout.write('heard\\n'));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, function lastOne() {
    if (process.listeners(signal).length === 1) {
      process.off(signal, lastOne);
      process.kill(process.pid, signal);
    }
  });
}
setInterval(() => {}, 1000);
process.stdout.write('ready\\n');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const ended = new Promise<NodeJS.Signals | null>((resolve) => child.once('close', (_code, signal) => resolve(signal)));
  return { child, output: () => out, ended };
}

describe('interrupts', () => {
  for (const [first, second] of [
    ['SIGINT', 'SIGTERM'],
    ['SIGTERM', 'SIGINT'],
    ['SIGINT', 'SIGINT'],
  ] as const) {
    it(`${first} is heard by the command; a ${second} after it ends the process, though the command goes on`, async () => {
      const command = stuckCommand();
      try {
        await waitFor(() => command.output() === 'ready\n', 'the command to listen');
        command.child.kill(first);
        await waitFor(() => command.output() === 'ready\nheard\n', 'the command to hear the interrupt');
        command.child.kill(second);
        expect(await command.ended).toBe(second);
        expect(command.output()).toBe('ready\nheard\n');
      } finally {
        command.child.kill('SIGKILL');
      }
    });
  }
});
