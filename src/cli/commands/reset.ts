import type { Command } from 'commander';
import { ZpsError, usageError } from '../../pubsub/errors.js';
import { validateTopicName } from '../../pubsub/limits.js';
import { plural } from '../../pubsub/wording.js';
import type { Admin } from '../../pubsub/types.js';
import { confirm } from '../confirm.js';
import type { CliContext } from '../context.js';
import type { ActionRunner } from '../program.js';

export function register(program: Command, run: ActionRunner): void {
  program
    .command('reset')
    .description('delete messages: local with no topic drops every topic and group')
    .argument('[topic...]', "topics to empty (partitions, settings and offsets stay; local: their groups' offsets go)")
    .option('-y, --yes', 'do not ask for confirmation (needed outside local mode when stdin is not a terminal)')
    .action(run(async (ctx, command) => reset(ctx, command.args, command.opts<{ yes?: boolean }>().yes ?? false)));
}

async function reset(ctx: CliContext, topics: string[], yes: boolean): Promise<void> {
  topics.forEach(validateTopicName);
  if (!ctx.isLocal && topics.length === 0) throw usageError('name the topics to reset: outside local mode zps never resets everything');
  const admin = ctx.factory().getAdmin();
  await mustExist(ctx, admin, topics);
  if (!ctx.isLocal && !yes) await confirm(ctx, 'reset', `delete every message of ${topics.join(', ')} in ${ctx.settings.environment}?`);
  await admin.reset(topics.length === 0 ? undefined : topics);
  if (ctx.ui.stderrIsTty) {
    const what = topics.length === 0 ? 'every topic and group' : plural(topics.length, 'topic');
    ctx.tell(`reset ${what}`);
  }
}

/** A named topic that does not exist is an error in both modes, before anything is reset (as consume's). */
async function mustExist(ctx: CliContext, admin: Admin, topics: string[]): Promise<void> {
  const described = await Promise.all(topics.map((topic) => admin.describeTopic(topic)));
  const missing = topics.find((_, i) => described[i] === undefined);
  if (missing !== undefined) {
    throw new ZpsError(`cannot reset: topic ${missing} does not exist${ctx.onBrokers}`, {
      code: 'not-found',
      hint: topics.length > 1 ? 'nothing was reset' : undefined,
    });
  }
}
