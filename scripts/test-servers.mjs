#!/usr/bin/env node
/**
 * The real servers the Kafka tests run against, fetched from Maven Central into .cache/ and run
 * on loopback ports: an Apache Kafka 4 broker in KRaft mode (a plaintext listener, a SASL one
 * whose SCRAM users are created at format time, and a TLS one with a self-signed key made then)
 * and Apicurio Registry with its Confluent-compatible API.
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
  tlsBrokers: '127.0.0.1:19095',
  tlsCa: join(kafkaRun, 'ca.pem'),
  saslUser: 'zps',
  saslPassword: 'zps-secret',
};

function log(line) {
  process.stderr.write(`test-servers: ${line}\n`);
}

function fetchServers() {
  if (!existsSync(kafkaLibs) || !readdirSync(kafkaLibs).some((name) => name.startsWith('kafka-tools-4'))) {
    log('fetching Apache Kafka from Maven Central');
    execFileSync('mvn', ['-q', '-B', '-f', join(root, 'scripts/kafka/pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${kafkaLibs}`], {
      stdio: 'inherit',
    });
  }
  if (!existsSync(apicurioJar)) {
    log('fetching Apicurio Registry from Maven Central');
    mkdirSync(apicurioDir, { recursive: true });
    execFileSync(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        join(root, 'scripts/kafka/pom.xml'),
        'dependency:copy',
        `-Dartifact=io.apicurio:apicurio-registry-app:${apicurioVersion}:tar.gz:all`,
        `-DoutputDirectory=${apicurioDir}`,
      ],
      { stdio: 'inherit' },
    );
    const archive = join(apicurioDir, `apicurio-registry-app-${apicurioVersion}-all.tar.gz`);
    execFileSync('tar', ['xzf', archive, '-C', apicurioDir]);
    rmSync(archive);
  }
}

function portOpen(address) {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
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

async function kafkaAnswers(address = servers.brokers) {
  if (!(await portOpen(address))) return false;
  const { Kafka, logLevel } = (await import('kafkajs')).default;
  const admin = new Kafka({ brokers: [address], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
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

function java(args, runDir, name) {
  const logFd = openSync(join(runDir, `${name}.log`), 'w');
  const child = spawn('java', args, { detached: true, stdio: ['ignore', logFd, logFd], cwd: runDir });
  child.unref();
  writeFileSync(join(runDir, `${name}.pid`), String(child.pid));
}

/** The main test broker: plaintext, SASL (SCRAM-SHA-256/512 and PLAIN) and TLS listeners. */
const mainBroker = {
  runDir: kafkaRun,
  brokers: servers.brokers,
  controller: servers.controller,
  extraListeners: [
    ['SASL_PLAINTEXT', servers.saslBrokers],
    ['SSL', servers.tlsBrokers],
  ],
};

/** Writes the broker's configuration and formats fresh storage (SCRAM users and TLS key created here). */
function formatBroker(broker) {
  mkdirSync(broker.runDir, { recursive: true });
  const data = join(broker.runDir, 'data');
  rmSync(data, { recursive: true, force: true });
  const listeners = [['PLAINTEXT', broker.brokers], ...broker.extraListeners];
  const lines = [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${broker.controller}`,
    `listeners=${[...listeners, ['CONTROLLER', broker.controller]].map(([name, address]) => `${name}://${address}`).join(',')}`,
    `advertised.listeners=${listeners.map(([name, address]) => `${name}://${address}`).join(',')}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL',
    `log.dirs=${data}`,
    // Kafka's defaults everywhere else (auto.create.topics.enable=true, group.initial.rebalance.delay.ms=3000,
    // message.max.bytes=1048588, 50 offsets partitions): tests see what real clusters do. A single node
    // needs its internal topics at replication factor 1.
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
  ];
  const format = [];
  if (broker.extraListeners.some(([name]) => name === 'SASL_PLAINTEXT')) {
    const scram = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
    lines.push(
      'sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN',
      `listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=${scram}`,
      `listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=${scram}`,
      `listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${servers.saslUser}="${servers.saslPassword}";`,
    );
    for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512']) {
      format.push('--add-scram', `${mechanism}=[name=${servers.saslUser},password=${servers.saslPassword}]`);
    }
  }
  if (broker.extraListeners.some(([name]) => name === 'SSL')) {
    const keystore = join(broker.runDir, 'broker.p12');
    rmSync(keystore, { force: true });
    execFileSync(
      'keytool',
      [
        '-genkeypair',
        '-alias',
        'broker',
        '-keyalg',
        'RSA',
        '-keysize',
        '2048',
        '-validity',
        '3650',
        '-dname',
        'CN=localhost',
        '-ext',
        'SAN=ip:127.0.0.1,dns:localhost',
        '-keystore',
        keystore,
        '-storetype',
        'PKCS12',
        '-storepass',
        servers.saslPassword,
        '-keypass',
        servers.saslPassword,
      ],
      { stdio: 'ignore' },
    );
    execFileSync('keytool', ['-exportcert', '-alias', 'broker', '-keystore', keystore, '-storepass', servers.saslPassword, '-rfc', '-file', servers.tlsCa], {
      stdio: 'ignore',
    });
    lines.push(
      `listener.name.ssl.ssl.keystore.location=${keystore}`,
      'listener.name.ssl.ssl.keystore.type=PKCS12',
      `listener.name.ssl.ssl.keystore.password=${servers.saslPassword}`,
      `listener.name.ssl.ssl.key.password=${servers.saslPassword}`,
    );
  }
  writeFileSync(join(broker.runDir, 'server.properties'), `${lines.join('\n')}\n`);
  writeFileSync(
    join(broker.runDir, 'log4j2.properties'),
    [
      'rootLogger.level=WARN',
      'rootLogger.appenderRef.out.ref=OUT',
      'appender.out.type=Console',
      'appender.out.name=OUT',
      'appender.out.layout.type=PatternLayout',
      'appender.out.layout.pattern=%d %p %c: %m%n',
      'logger.kafka.name=kafka.server.KafkaRaftServer',
      'logger.kafka.level=INFO',
      '',
    ].join('\n'),
  );
  execFileSync(
    'java',
    [
      '-cp',
      `${kafkaLibs}/*`,
      `-Dlog4j2.configurationFile=${join(broker.runDir, 'log4j2.properties')}`,
      'kafka.tools.StorageTool',
      'format',
      // one argument, as a cluster id may start with '-'
      `--cluster-id=${randomBytes(16).toString('base64url')}`,
      '-c',
      join(broker.runDir, 'server.properties'),
      ...format,
    ],
    { stdio: 'ignore' },
  );
}

/** Starts a formatted broker (again, after a stop: its data stays). */
function launchBroker(broker) {
  java(
    [
      '-Xms256m',
      '-Xmx512m',
      '-XX:+UseSerialGC',
      '-cp',
      `${kafkaLibs}/*`,
      `-Dlog4j2.configurationFile=${join(broker.runDir, 'log4j2.properties')}`,
      'kafka.Kafka',
      join(broker.runDir, 'server.properties'),
    ],
    broker.runDir,
    'kafka',
  );
}

async function stopProcess(pidFile) {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  try {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && alive(pidFile)) await new Promise((resolve) => setTimeout(resolve, 100));
    if (alive(pidFile)) process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
  rmSync(pidFile, { force: true });
}

/**
 * A broker of its own, plaintext only, for tests that stop and restart one (the shared broker
 * must stay up for the others). `basePort` and `basePort + 1` are its broker and controller ports.
 */
export async function spareBroker(name, basePort) {
  fetchServers();
  const broker = {
    runDir: join(cache, 'kafka', `run-${name}`),
    brokers: `127.0.0.1:${basePort}`,
    controller: `127.0.0.1:${basePort + 1}`,
    extraListeners: [],
  };
  formatBroker(broker);
  const pidFile = join(broker.runDir, 'kafka.pid');
  const start = async () => {
    // something else answering there (a daemon's Kafka listener, say) would pass for this broker
    if (await portOpen(broker.brokers)) throw new Error(`${broker.brokers} is already taken: the spare broker ${name} needs it`);
    launchBroker(broker);
    await waitUntil(() => kafkaAnswers(broker.brokers), `Kafka on ${broker.brokers}`, 120_000, pidFile);
  };
  await start();
  return {
    brokers: broker.brokers,
    start,
    stop: () => stopProcess(pidFile),
    /** Freezes the broker (SIGSTOP): connections stay open and nothing answers, as in a long GC pause. */
    pause: () => process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGSTOP'),
    resume: () => process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGCONT'),
    destroy: async () => {
      await stopProcess(pidFile);
      rmSync(broker.runDir, { recursive: true, force: true });
    },
  };
}

function startRegistry() {
  mkdirSync(kafkaRun, { recursive: true });
  java(
    ['-Xms128m', '-Xmx384m', '-XX:+UseSerialGC', '-Dquarkus.http.host=127.0.0.1', '-Dquarkus.http.port=18081', '-Dquarkus.log.level=WARN', '-jar', apicurioJar],
    kafkaRun,
    'registry',
  );
}

export async function up() {
  const [kafka, registry] = await Promise.all([kafkaAnswers(), registryAnswers()]);
  if (kafka && registry) return false;
  fetchServers();
  const started = Date.now();
  if (!kafka) {
    formatBroker(mainBroker);
    launchBroker(mainBroker);
  }
  if (!registry) startRegistry();
  await Promise.all([
    kafka || waitUntil(() => kafkaAnswers(), 'Kafka', 120_000, join(kafkaRun, 'kafka.pid')),
    registry || waitUntil(registryAnswers, 'the schema registry', 120_000, join(kafkaRun, 'registry.pid')),
  ]);
  log(
    `Kafka on ${servers.brokers} (SASL on ${servers.saslBrokers}, TLS on ${servers.tlsBrokers}), registry on ${servers.registry}, up in ${((Date.now() - started) / 1000).toFixed(1)}s`,
  );
  return true;
}

export async function down() {
  await Promise.all(['kafka', 'registry'].map((name) => stopProcess(join(kafkaRun, `${name}.pid`))));
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
