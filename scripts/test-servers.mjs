#!/usr/bin/env node
/**
 * The real servers the Kafka tests run against, fetched from Maven Central into .cache/ and run
 * on loopback ports: an Apache Kafka 4 broker in KRaft mode (a plaintext listener, and a
 * SASL/SCRAM-SHA-256 one whose user is created at format time) and Apicurio Registry with its
 * Confluent-compatible API.
 *
 *   node scripts/test-servers.mjs up      fetch if needed, start, wait until both really answer
 *   node scripts/test-servers.mjs down    stop them
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join(root, '.cache');
const kafkaLibs = join(cache, 'kafka', 'libs');
const kafkaRun = join(cache, 'kafka', 'run');
const apicurioVersion = '3.0.9';
const apicurioDir = join(cache, 'apicurio');
const apicurioJar = join(apicurioDir, `apicurio-registry-app-${apicurioVersion}-runner.jar`);

export const servers = {
  brokers: '127.0.0.1:19092',
  saslBrokers: '127.0.0.1:19094',
  controller: '127.0.0.1:19093',
  registry: 'http://127.0.0.1:18081/apis/ccompat/v7',
  saslUser: 'zps',
  saslPassword: 'zps-secret',
};

function log(line) {
  process.stderr.write(`test-servers: ${line}\n`);
}

function fetchServers() {
  if (!existsSync(kafkaLibs) || readdirSync(kafkaLibs).length === 0) {
    log('fetching Apache Kafka from Maven Central');
    execFileSync('mvn', ['-q', '-B', '-f', join(root, 'scripts/kafka/pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${kafkaLibs}`], {
      stdio: 'inherit',
    });
  }
  if (!existsSync(apicurioJar)) {
    log('fetching Apicurio Registry from Maven Central');
    mkdirSync(apicurioDir, { recursive: true });
    execFileSync('mvn', ['-q', '-B', '-f', join(root, 'scripts/kafka/pom.xml'), 'dependency:copy',
      `-Dartifact=io.apicurio:apicurio-registry-app:${apicurioVersion}:tar.gz:all`, `-DoutputDirectory=${apicurioDir}`], { stdio: 'inherit' });
    const archive = join(apicurioDir, `apicurio-registry-app-${apicurioVersion}-all.tar.gz`);
    execFileSync('tar', ['xzf', archive, '-C', apicurioDir]);
    rmSync(archive);
  }
}

function portOpen(address) {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function registryAnswers() {
  try {
    const response = await fetch(`${servers.registry}/subjects`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}

async function kafkaAnswers() {
  if (!(await portOpen(servers.brokers))) return false;
  const { Kafka, logLevel } = (await import('kafkajs')).default;
  const admin = new Kafka({ brokers: [servers.brokers], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function waitUntil(check, what, timeoutMs, pidFile) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    if (pidFile && !alive(pidFile)) throw new Error(`${what} exited while starting: see ${pidFile.replace(/\.pid$/, '.log')}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} did not answer within ${timeoutMs / 1000}s`);
}

function alive(pidFile) {
  try {
    process.kill(Number(readFileSync(pidFile, 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
}

function java(args, name) {
  const logFd = openSync(join(kafkaRun, `${name}.log`), 'w');
  const child = spawn('java', args, { detached: true, stdio: ['ignore', logFd, logFd], cwd: kafkaRun });
  child.unref();
  writeFileSync(join(kafkaRun, `${name}.pid`), String(child.pid));
}

function startKafka() {
  const data = join(kafkaRun, 'data');
  rmSync(data, { recursive: true, force: true });
  const properties = join(kafkaRun, 'server.properties');
  writeFileSync(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@${servers.controller}`,
      `listeners=PLAINTEXT://${servers.brokers},SASL_PLAINTEXT://${servers.saslBrokers},CONTROLLER://${servers.controller}`,
      `advertised.listeners=PLAINTEXT://${servers.brokers},SASL_PLAINTEXT://${servers.saslBrokers}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
      'sasl.enabled.mechanisms=SCRAM-SHA-256',
      'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
      `log.dirs=${data}`,
      'num.partitions=1',
      'auto.create.topics.enable=false',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=4',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  );
  const log4j = join(kafkaRun, 'log4j2.properties');
  writeFileSync(
    log4j,
    ['rootLogger.level=WARN', 'rootLogger.appenderRef.out.ref=OUT', 'appender.out.type=Console', 'appender.out.name=OUT',
      'appender.out.layout.type=PatternLayout', 'appender.out.layout.pattern=%d %p %c: %m%n', 'logger.kafka.name=kafka.server.KafkaRaftServer', 'logger.kafka.level=INFO', ''].join('\n'),
  );
  const classpath = `${kafkaLibs}/*`;
  const clusterId = randomBytes(16).toString('base64url');
  execFileSync('java', ['-cp', classpath, `-Dlog4j2.configurationFile=${log4j}`, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', properties,
    '--add-scram', `SCRAM-SHA-256=[name=${servers.saslUser},password=${servers.saslPassword}]`], { stdio: 'ignore' });
  java(['-Xms256m', '-Xmx512m', '-XX:+UseSerialGC', '-cp', classpath, `-Dlog4j2.configurationFile=${log4j}`, 'kafka.Kafka', properties], 'kafka');
}

function startRegistry() {
  java(['-Xms128m', '-Xmx384m', '-XX:+UseSerialGC', '-Dquarkus.http.host=127.0.0.1', '-Dquarkus.http.port=18081',
    '-Dquarkus.log.level=WARN', '-jar', apicurioJar], 'registry');
}

export async function up() {
  const [kafka, registry] = await Promise.all([kafkaAnswers(), registryAnswers()]);
  if (kafka && registry) return false;
  fetchServers();
  mkdirSync(kafkaRun, { recursive: true });
  const started = Date.now();
  if (!kafka) startKafka();
  if (!registry) startRegistry();
  await Promise.all([
    kafka || waitUntil(kafkaAnswers, 'Kafka', 120_000, join(kafkaRun, 'kafka.pid')),
    registry || waitUntil(registryAnswers, 'the schema registry', 120_000, join(kafkaRun, 'registry.pid')),
  ]);
  log(`Kafka on ${servers.brokers} (SASL on ${servers.saslBrokers}), registry on ${servers.registry}, up in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return true;
}

export async function down() {
  for (const name of ['kafka', 'registry']) {
    const pidFile = join(kafkaRun, `${name}.pid`);
    if (!existsSync(pidFile)) continue;
    const pid = Number(readFileSync(pidFile, 'utf8'));
    try {
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && alive(pidFile)) await new Promise((resolve) => setTimeout(resolve, 200));
      if (alive(pidFile)) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(pidFile, { force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const command = process.argv[2];
  const action = command === 'up' ? up : command === 'down' ? down : undefined;
  if (!action) {
    process.stderr.write('usage: test-servers.mjs up|down\n');
    process.exit(2);
  }
  action().then(
    () => process.exit(0),
    (error) => {
      process.stderr.write(`test-servers: ${error.message}\n`);
      process.exit(1);
    },
  );
}
