import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const python = `${root}.cache/python/bin/python`;
const requirements = `${root}test/clients/requirements.txt`;
/** The requirements the venv was last installed with: a change to them installs again. */
const installed = `${root}.cache/python/requirements.txt`;

/**
 * The Python with confluent-kafka and its Protobuf extras (from PyPI, pinned in
 * test/clients/requirements.txt), made on first use and brought up to date when the requirements change.
 */
export function pythonWithKafkaClient(): string {
  const wanted = readFileSync(requirements, 'utf8');
  const ready = existsSync(python) && existsSync(installed) && readFileSync(installed, 'utf8') === wanted;
  if (!ready) {
    if (!existsSync(python)) execFileSync('python3', ['-m', 'venv', `${root}.cache/python`], { stdio: 'inherit' });
    execFileSync(python, ['-m', 'pip', 'install', '-q', '-r', requirements], { stdio: 'inherit' });
    writeFileSync(installed, wanted);
  }
  return python;
}

export const CLIENT_SCRIPTS = `${root}test/clients`;

/**
 * The franz-go check (test/clients/franz-go, franz-go pinned in its go.mod and go.sum, fetched from
 * the Go module proxy), built on first use; go's build cache makes later builds instant.
 */
export function franzGoCheck(): string {
  const binary = `${root}.cache/go/franz-go-check`;
  execFileSync('go', ['build', '-o', binary, '.'], { cwd: `${CLIENT_SCRIPTS}/franz-go`, stdio: 'inherit' });
  return binary;
}

/** Runs one of Kafka's own Java tools (kafka-tools, fetched beside the test broker) to completion. */
export function kafkaTool(mainClass: string, args: string[], timeoutMs = 60_000): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync('java', ['-Xmx256m', '-cp', `${root}.cache/kafka/libs/*`, mainClass, ...args], { encoding: 'utf8', timeout: timeoutMs });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const CONSUMER_GROUP_COMMAND = 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand';

/** Kafka's kafka-consumer-groups (ConsumerGroupCommand) against `bootstrap`. */
export function consumerGroups(bootstrap: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  return kafkaTool(CONSUMER_GROUP_COMMAND, ['--bootstrap-server', bootstrap, ...args]);
}

/** The group's committed offsets on the topic as kafka-consumer-groups --describe tells them: partition → offset (null: '-'). */
export function describedOffsets(bootstrap: string, group: string, topic: string): Map<number, number | null> {
  const described = consumerGroups(bootstrap, ['--describe', '--group', group]);
  if (described.code !== 0) throw new Error(`kafka-consumer-groups --describe failed: ${described.stderr}`);
  const rows = described.stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((cells) => cells[0] === group && cells[1] === topic);
  return new Map(rows.map((cells) => [Number(cells[2]), cells[3] === '-' ? null : Number(cells[3])]));
}
