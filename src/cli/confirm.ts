import { createInterface } from 'node:readline/promises';
import { ZpsError } from '../pubsub/errors.js';
import type { CliContext } from './context.js';

/**
 * Asks `question` on the terminal before a destructive `action` (reset, delete): anything but
 * yes cancels (exit 1). Without a terminal it refuses (exit 2): a script must say --yes.
 */
export async function confirm(ctx: CliContext, action: string, question: string): Promise<void> {
  if (!ctx.io.stdin.isTTY || !ctx.io.stderr.isTTY) {
    throw new ZpsError(`refusing to ${action} without confirmation`, { code: 'usage', hint: 'pass --yes to confirm from a script' });
  }
  const prompt = createInterface({ input: ctx.io.stdin, output: ctx.io.stderr });
  try {
    const answer = await prompt.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new ZpsError(`${action} cancelled`);
  } finally {
    prompt.close();
  }
}
