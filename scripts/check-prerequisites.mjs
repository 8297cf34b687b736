#!/usr/bin/env node
/**
 * What `npm test` needs, checked before anything runs (it is the first step of the script): Node
 * 20 or newer (`engines`); Java 17 and Maven, with which the Kafka tests fetch and run Apache
 * Kafka; kcat, python3 with venv (confluent-kafka-python) and go (franz-go), the other Kafka
 * clients the listener is checked with. Prints one line per missing tool, saying how to get it,
 * and exits 1; silent when all are there.
 */
import { spawnSync } from 'node:child_process';

const PREREQUISITES = [
  { what: 'Java 17 or newer (java)', command: 'java', args: ['-version'], atLeast: 17, get: 'apt-get install openjdk-17-jdk-headless' },
  { what: 'Maven (mvn)', command: 'mvn', args: ['-v'], get: 'apt-get install maven' },
  { what: 'Go (go)', command: 'go', args: ['version'], get: 'install it from https://go.dev/dl/' },
  { what: 'Python 3 with venv (python3)', command: 'python3', args: ['-m', 'venv', '--help'], get: 'apt-get install python3 python3-venv' },
  { what: 'kcat', command: 'kcat', args: ['-V'], get: 'apt-get install kcat' },
];

/** Why the tool cannot serve, or undefined when it can. */
function problem({ command, args, atLeast }) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
  if (result.error) return result.error.code === 'ENOENT' ? 'not found' : result.error.message;
  if (result.status !== 0) return `\`${command} ${args.join(' ')}\` failed`;
  if (atLeast !== undefined) {
    // `java -version` says `openjdk version "17.0.15"` (or "1.8.0_392" before 9) on stderr
    const version = /version "(?:1\.)?(\d+)/.exec(`${result.stderr}${result.stdout}`)?.[1];
    if (version === undefined || Number(version) < atLeast) return `version ${version ?? 'unknown'} is older than ${atLeast}`;
  }
  return undefined;
}

let missing = 0;
const node = Number(process.versions.node.split('.')[0]);
if (node < 20) {
  missing++;
  process.stderr.write(`npm test needs Node 20 or newer: this is ${process.version}; install it from https://nodejs.org/\n`);
}
for (const prerequisite of PREREQUISITES) {
  const why = problem(prerequisite);
  if (why === undefined) continue;
  missing++;
  process.stderr.write(`npm test needs ${prerequisite.what}: ${why}; ${prerequisite.get}\n`);
}
process.exit(missing === 0 ? 0 : 1);
