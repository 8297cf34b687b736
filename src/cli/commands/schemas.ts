import type { Command } from 'commander';
import { usageError } from '../../pubsub/errors.js';
import type { RegisteredSchema } from '../../pubsub/factory.js';
import type { CliContext } from '../context.js';
import type { ActionRunner } from '../program.js';

export function register(program: Command, run: ActionRunner): void {
  program
    .command('schemas')
    .description("Kafka: the schema registry's subjects; with a subject, its versions; with --version, that schema")
    .argument('[subject]', 'the subject to show')
    .option('--version <n|latest>', "with a subject: print that version's schema, type, id and references")
    .action(run(async (ctx, command) => schemas(ctx, command.args[0], command.opts<{ version?: string }>().version)));
}

async function schemas(ctx: CliContext, subject: string | undefined, version: string | undefined): Promise<void> {
  if (version !== undefined && subject === undefined) throw usageError('--version goes with a subject');
  const wanted = version === undefined ? undefined : parseVersion(version);
  const registry = await ctx.factory().schemaRegistry('zps schemas');
  if (subject === undefined) {
    for (const name of await registry.subjects()) ctx.out.line(ctx.json ? JSON.stringify({ subject: name }) : name);
  } else if (wanted === undefined) {
    for (const n of await registry.versions(subject)) ctx.out.line(ctx.json ? JSON.stringify({ subject, version: n }) : String(n));
  } else {
    const found = await registry.registered(subject, wanted);
    if (ctx.json) ctx.out.line(JSON.stringify(found));
    else for (const line of schemaLines(found)) ctx.out.line(line);
  }
}

/** `latest` or a version number (the registry numbers them from 1). */
function parseVersion(text: string): number | 'latest' {
  if (text === 'latest') return text;
  if (!/^[1-9][0-9]{0,9}$/.test(text) || Number(text) > 2 ** 31 - 1) throw usageError(`invalid --version '${text}': give a version number or latest`);
  return Number(text);
}

/** A header line, a line per reference, then the schema's text (JSON indented, Protobuf as registered). */
function schemaLines({ subject, version, id, type, schema, references }: RegisteredSchema): string[] {
  return [
    `subject ${subject} version ${version}: id ${id}, ${type}`,
    ...references.map((r) => `reference ${r.name}: subject ${r.subject} version ${r.version}`),
    type === 'PROTOBUF' ? schema.trimEnd() : indented(schema),
  ];
}

function indented(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}
