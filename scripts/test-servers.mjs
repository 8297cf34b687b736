#!/usr/bin/env node
/**
 * The real servers the Kafka tests run against, fetched from Maven Central into .cache/ and run
 * on loopback ports: an Apache Kafka 4 broker in KRaft mode (a plaintext listener, a SASL one
 * whose SCRAM users are created at format time, and the TLS shapes of managed clusters: TLS, TLS
 * requiring a client certificate, SASL PLAIN over TLS, with a test CA made then) and Apicurio
 * Registry with its Confluent-compatible API.
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
import { oauthAudience, oauthClient, oauthIssuer } from './oauth-fixture.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join(root, '.cache');
const kafkaLibs = join(cache, 'kafka', 'libs');
const kafkaRun = join(cache, 'kafka', 'run');
const apicurioVersion = '3.0.9';
const apicurioDir = join(cache, 'apicurio');
const apicurioJar = join(apicurioDir, `apicurio-registry-app-${apicurioVersion}-runner.jar`);

const saslUser = 'zps';
const saslPassword = 'zps-secret';

/**
 * The certificates of a broker's TLS listeners, made with openssl and keytool in its run directory
 * (their keystores' and the encrypted key's password is the SASL password).
 */
export function tlsFiles(runDir) {
  return {
    /** The test CA, which signed the broker's and the client's certificates. */
    ca: join(runDir, 'ca.pem'),
    /** The CA in a PKCS#12 truststore, as keytool makes it. */
    truststore: join(runDir, 'truststore.p12'),
    clientCert: join(runDir, 'client.pem'),
    clientKey: join(runDir, 'client.key'),
    clientKeyEncrypted: join(runDir, 'client-encrypted.key'),
    /** The client's key, certificate and CA in a PKCS#12 keystore. */
    clientKeystore: join(runDir, 'client.p12'),
    /** A client certificate and key from another CA, which the brokers refuse. */
    foreignCert: join(runDir, 'foreign-client.pem'),
    foreignKey: join(runDir, 'foreign-client.key'),
    password: saslPassword,
  };
}

/**
 * A broker's addresses from its base port: plaintext there, its controller one above, and with
 * `secured`, SASL (PLAIN/SCRAM) at +2, TLS at +3, TLS requiring a client certificate at +4,
 * SASL PLAIN over TLS at +5, OAUTHBEARER with Kafka's unsecured validator at +6, OAUTHBEARER
 * validated against the OAuth fixture's keys at +7, and that fixture (scripts/oauth-fixture.mjs) at +8.
 */
function brokerAt(runDir, basePort, secured) {
  const at = (offset) => `127.0.0.1:${basePort + offset}`;
  const addresses = { brokers: at(0), controller: at(1) };
  if (!secured) return { runDir, ...addresses, listeners: [] };
  const secure = {
    saslBrokers: at(2),
    tlsBrokers: at(3),
    mtlsBrokers: at(4),
    saslSslBrokers: at(5),
    oauthUnsecuredBrokers: at(6),
    oauthJwksBrokers: at(7),
  };
  const issuer = oauthIssuer(basePort + 8);
  return {
    runDir,
    ...addresses,
    ...secure,
    tls: tlsFiles(runDir),
    oauth: { port: basePort + 8, issuer, tokenUrl: `${issuer}/token`, jwksUrl: `${issuer}/jwks`, audience: oauthAudience, client: oauthClient },
    listeners: [
      ['SASL_PLAINTEXT', secure.saslBrokers],
      ['SSL', secure.tlsBrokers],
      ['MTLS', secure.mtlsBrokers],
      ['SASL_SSL', secure.saslSslBrokers],
      ['OAUTH', secure.oauthUnsecuredBrokers],
      ['OAUTH_JWKS', secure.oauthJwksBrokers],
    ],
  };
}

/** The main test broker, shared by every Kafka test. */
const mainBroker = brokerAt(kafkaRun, 19092, true);

export const servers = {
  brokers: mainBroker.brokers,
  saslBrokers: mainBroker.saslBrokers,
  controller: mainBroker.controller,
  registry: 'http://127.0.0.1:18081/apis/ccompat/v7',
  tlsBrokers: mainBroker.tlsBrokers,
  mtlsBrokers: mainBroker.mtlsBrokers,
  saslSslBrokers: mainBroker.saslSslBrokers,
  oauthUnsecuredBrokers: mainBroker.oauthUnsecuredBrokers,
  oauthJwksBrokers: mainBroker.oauthJwksBrokers,
  oauth: mainBroker.oauth,
  tlsCa: mainBroker.tls.ca,
  tls: mainBroker.tls,
  saslUser,
  saslPassword,
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

function openssl(dir, ...args) {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A key and a certificate for `subject`, signed by the CA `caName` (`<caName>.pem`, `.key`) in `dir`. */
function signedCertificate(dir, name, caName, subject, extensions) {
  writeFileSync(join(dir, `${name}.ext`), `${extensions}\n`);
  openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
  const ca = ['-CA', `${caName}.pem`, '-CAkey', `${caName}.key`, '-CAcreateserial'];
  openssl(dir, 'x509', '-req', '-in', `${name}.csr`, ...ca, '-days', '3650', '-out', `${name}.pem`, '-extfile', `${name}.ext`);
  rmSync(join(dir, `${name}.csr`));
  rmSync(join(dir, `${name}.ext`));
}

/**
 * A fresh test CA, the broker's key and certificate (for 127.0.0.1 and localhost) in a PKCS#12
 * keystore, the client's certificate and key in each shape clients take them, and a client
 * certificate from another CA. Returns the broker's TLS settings, the same for each TLS listener.
 */
function makeCertificates(dir, files) {
  const pass = `pass:${files.password}`;
  for (const ca of ['ca', 'foreign-ca']) {
    openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '3650', '-subj', `/CN=zps test ${ca}`);
  }
  signedCertificate(dir, 'broker', 'ca', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth');
  signedCertificate(dir, 'client', 'ca', '/CN=zps-client', 'extendedKeyUsage=clientAuth');
  signedCertificate(dir, 'foreign-client', 'foreign-ca', '/CN=zps-client', 'extendedKeyUsage=clientAuth');
  openssl(dir, 'pkey', '-in', 'client.key', '-aes256', '-passout', pass, '-out', files.clientKeyEncrypted);
  for (const [name, keystore] of [
    ['broker', 'broker.p12'],
    ['client', files.clientKeystore],
  ]) {
    openssl(dir, 'pkcs12', '-export', '-in', `${name}.pem`, '-inkey', `${name}.key`, '-certfile', 'ca.pem', '-name', name, '-passout', pass, '-out', keystore);
  }
  rmSync(files.truststore, { force: true });
  execFileSync(
    'keytool',
    ['-importcert', '-noprompt', '-alias', 'ca', '-file', files.ca, '-keystore', files.truststore, '-storetype', 'PKCS12', '-storepass', files.password],
    {
      stdio: 'ignore',
    },
  );
  return [
    `ssl.keystore.location=${join(dir, 'broker.p12')}`,
    'ssl.keystore.type=PKCS12',
    `ssl.keystore.password=${files.password}`,
    `ssl.key.password=${files.password}`,
    // whom a listener requiring client certificates trusts
    `ssl.truststore.location=${files.ca}`,
    'ssl.truststore.type=PEM',
  ];
}

/**
 * The OAUTHBEARER listeners: OAUTH takes the unsigned tokens of Kafka's unsecured login (test
 * clusters), OAUTH_JWKS takes the fixture's signed tokens for its audience and issuer. OAUTH_JWKS
 * asks clients to authenticate again before their token expires (KIP-368), as a managed cluster's
 * listener does, so an expired token ends a session.
 */
function oauthListeners(oauth) {
  const login = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;';
  return [
    'listener.name.oauth.sasl.enabled.mechanisms=OAUTHBEARER',
    `listener.name.oauth.oauthbearer.sasl.jaas.config=${login.replace(';', ' unsecuredLoginStringClaim_sub="broker";')}`,
    'listener.name.oauth_jwks.sasl.enabled.mechanisms=OAUTHBEARER',
    `listener.name.oauth_jwks.oauthbearer.sasl.jaas.config=${login}`,
    'listener.name.oauth_jwks.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler',
    `listener.name.oauth_jwks.oauthbearer.sasl.oauthbearer.jwks.endpoint.url=${oauth.jwksUrl}`,
    `listener.name.oauth_jwks.oauthbearer.sasl.oauthbearer.expected.audience=${oauth.audience}`,
    `listener.name.oauth_jwks.oauthbearer.sasl.oauthbearer.expected.issuer=${oauth.issuer}`,
    'listener.name.oauth_jwks.oauthbearer.connections.max.reauth.ms=3600000',
  ];
}

/** Starts the OAuth fixture of a secured broker unless it answers already (it must, before the broker starts). */
async function startOauthFixture(broker) {
  if (!broker.oauth || (await portOpen(`127.0.0.1:${broker.oauth.port}`))) return;
  mkdirSync(broker.runDir, { recursive: true });
  const logFd = openSync(join(broker.runDir, 'oauth.log'), 'w');
  const child = spawn(process.execPath, [join(root, 'scripts/oauth-fixture.mjs'), String(broker.oauth.port)], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
  });
  child.unref();
  const pidFile = join(broker.runDir, 'oauth.pid');
  writeFileSync(pidFile, String(child.pid));
  await waitUntil(() => portOpen(`127.0.0.1:${broker.oauth.port}`), 'the OAuth fixture', 10_000, pidFile);
}

/** Writes the broker's configuration and formats fresh storage (SCRAM users and certificates created here). */
function formatBroker(broker) {
  mkdirSync(broker.runDir, { recursive: true });
  const data = join(broker.runDir, 'data');
  rmSync(data, { recursive: true, force: true });
  const listeners = [['PLAINTEXT', broker.brokers], ...broker.listeners];
  const lines = [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${broker.controller}`,
    `listeners=${[...listeners, ['CONTROLLER', broker.controller]].map(([name, address]) => `${name}://${address}`).join(',')}`,
    `advertised.listeners=${listeners.map(([name, address]) => `${name}://${address}`).join(',')}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,MTLS:SSL,SASL_SSL:SASL_SSL,OAUTH:SASL_PLAINTEXT,OAUTH_JWKS:SASL_PLAINTEXT',
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
  if (broker.tls) {
    const plain = `org.apache.kafka.common.security.plain.PlainLoginModule required user_${saslUser}="${saslPassword}";`;
    const scram = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
    lines.push(
      'sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN',
      `listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=${scram}`,
      `listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=${scram}`,
      `listener.name.sasl_plaintext.plain.sasl.jaas.config=${plain}`,
      // Confluent Cloud's shape: PLAIN only, over TLS
      'listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN',
      `listener.name.sasl_ssl.plain.sasl.jaas.config=${plain}`,
      ...makeCertificates(broker.runDir, broker.tls),
      'listener.name.mtls.ssl.client.auth=required',
      ...oauthListeners(broker.oauth),
    );
    for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512']) {
      format.push('--add-scram', `${mechanism}=[name=${saslUser},password=${saslPassword}]`);
    }
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
      // Kafka 4 fetches OAuth keys and tokens only from the URLs listed here
      ...(broker.oauth ? [`-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=${broker.oauth.jwksUrl},${broker.oauth.tokenUrl}`] : []),
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
 * A broker of its own, for tests that stop and restart one (the shared broker must stay up for
 * the others). `basePort` and `basePort + 1` are its broker and controller ports; with `secured`,
 * it has the shared broker's SASL and TLS listeners too, at the same offsets from `basePort`.
 */
export async function spareBroker(name, basePort, { secured = false } = {}) {
  fetchServers();
  const broker = brokerAt(join(cache, 'kafka', `run-${name}`), basePort, secured);
  formatBroker(broker);
  const pidFile = join(broker.runDir, 'kafka.pid');
  const start = async () => {
    // something else answering there (a daemon's Kafka listener, say) would pass for this broker
    if (await portOpen(broker.brokers)) throw new Error(`${broker.brokers} is already taken: the spare broker ${name} needs it`);
    await startOauthFixture(broker);
    launchBroker(broker);
    await waitUntil(() => kafkaAnswers(broker.brokers), `Kafka on ${broker.brokers}`, 120_000, pidFile);
  };
  await start();
  return {
    ...broker,
    start,
    stop: () => stopProcess(pidFile),
    /** Freezes the broker (SIGSTOP): connections stay open and nothing answers, as in a long GC pause. */
    pause: () => process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGSTOP'),
    resume: () => process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGCONT'),
    destroy: async () => {
      await Promise.all([stopProcess(pidFile), stopProcess(join(broker.runDir, 'oauth.pid'))]);
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
    await startOauthFixture(mainBroker);
    formatBroker(mainBroker);
    launchBroker(mainBroker);
  }
  if (!registry) startRegistry();
  await Promise.all([
    kafka || waitUntil(() => kafkaAnswers(), 'Kafka', 120_000, join(kafkaRun, 'kafka.pid')),
    registry || waitUntil(registryAnswers, 'the schema registry', 120_000, join(kafkaRun, 'registry.pid')),
  ]);
  log(
    `Kafka on ${servers.brokers} (SASL on ${servers.saslBrokers}, TLS on ${servers.tlsBrokers}, TLS with client certificates on ${servers.mtlsBrokers}, SASL_SSL on ${servers.saslSslBrokers}, OAUTHBEARER on ${servers.oauthUnsecuredBrokers} and ${servers.oauthJwksBrokers} with tokens from ${servers.oauth.tokenUrl}), registry on ${servers.registry}, up in ${((Date.now() - started) / 1000).toFixed(1)}s`,
  );
  return true;
}

export async function down() {
  await Promise.all(['kafka', 'registry', 'oauth'].map((name) => stopProcess(join(kafkaRun, `${name}.pid`))));
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
