import type { Command } from 'commander';
import type { ClusterDescription } from '../../pubsub/types.js';
import { plural } from '../../pubsub/wording.js';
import type { CliContext } from '../context.js';
import type { ActionRunner } from '../program.js';
import { table } from '../table.js';

export function register(program: Command, run: ActionRunner): void {
  program
    .command('cluster')
    .description("the cluster's id, brokers and controller (local: the daemon, and its Kafka listener)")
    .action(run(async (ctx) => cluster(ctx)));
}

async function cluster(ctx: CliContext): Promise<void> {
  const described = await ctx.factory().getAdmin().cluster();
  if (ctx.json) {
    ctx.out.line(JSON.stringify(described));
    return;
  }
  for (const line of clusterLines(described)) ctx.out.line(line);
}

/** A header line, then a table of brokers (local: the daemon's socket, and its Kafka listener when it has one). */
function clusterLines({ clusterId, controller, brokers }: ClusterDescription): string[] {
  const local = brokers.some((b) => b.kafka !== undefined);
  const header = ['id', 'address', ...(local ? ['kafka'] : ['rack'])];
  const rows = brokers.map((b) => [String(b.id), b.address, (local ? b.kafka : b.rack) ?? '-']);
  return [`cluster ${clusterId}: ${plural(brokers.length, 'broker')}, controller ${controller}`, ...table([header, ...rows])];
}
