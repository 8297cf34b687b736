/**
 * Standard Kafka client property names zps accepts without using them: the Java producer,
 * consumer and admin clients', librdkafka's, and the Confluent schema registry clients'. A
 * client.properties written for those tools then works as it is; a name in none of them is a typo.
 */
const JAVA_CLIENTS = `acks auto.commit.interval.ms auto.include.jmx.reporter auto.offset.reset batch.size buffer.memory
check.crcs client.dns.lookup client.id client.rack compression.gzip.level compression.lz4.level compression.type
compression.zstd.level connections.max.idle.ms default.api.timeout.ms delivery.timeout.ms enable.auto.commit
enable.idempotence enable.metrics.push exclude.internal.topics fetch.max.bytes fetch.max.wait.ms fetch.min.bytes
group.instance.id group.protocol group.remote.assignor heartbeat.interval.ms interceptor.classes isolation.level
key.deserializer key.serializer linger.ms max.block.ms max.in.flight.requests.per.connection max.partition.fetch.bytes
max.poll.interval.ms max.poll.records max.request.size metadata.max.age.ms metadata.max.idle.ms
metadata.recovery.rebootstrap.trigger.ms metadata.recovery.strategy metric.reporters metrics.num.samples
metrics.recording.level metrics.sample.window.ms partition.assignment.strategy partitioner.adaptive.partitioning.enable
partitioner.availability.timeout.ms partitioner.class partitioner.ignore.keys receive.buffer.bytes
reconnect.backoff.max.ms reconnect.backoff.ms request.timeout.ms retries retry.backoff.max.ms retry.backoff.ms
security.providers send.buffer.bytes session.timeout.ms share.acknowledgement.mode socket.connection.setup.timeout.max.ms
socket.connection.setup.timeout.ms transaction.timeout.ms transactional.id value.deserializer value.serializer
sasl.client.callback.handler.class sasl.kerberos.kinit.cmd sasl.kerberos.min.time.before.relogin
sasl.kerberos.service.name sasl.kerberos.ticket.renew.jitter sasl.kerberos.ticket.renew.window.factor
sasl.login.callback.handler.class sasl.login.class sasl.login.connect.timeout.ms sasl.login.read.timeout.ms
sasl.login.refresh.buffer.seconds sasl.login.refresh.min.period.seconds sasl.login.refresh.window.factor
sasl.login.refresh.window.jitter sasl.login.retry.backoff.max.ms sasl.login.retry.backoff.ms
sasl.oauthbearer.assertion.algorithm sasl.oauthbearer.assertion.file sasl.oauthbearer.clock.skew.seconds
sasl.oauthbearer.expected.audience sasl.oauthbearer.expected.issuer sasl.oauthbearer.header.urlencode
sasl.oauthbearer.jwks.endpoint.refresh.ms sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms
sasl.oauthbearer.jwks.endpoint.retry.backoff.ms sasl.oauthbearer.jwks.endpoint.url sasl.oauthbearer.jwt.retriever.class
sasl.oauthbearer.jwt.validator.class sasl.oauthbearer.scope.claim.name sasl.oauthbearer.sub.claim.name
ssl.cipher.suites ssl.enabled.protocols ssl.engine.factory.class ssl.keymanager.algorithm ssl.keystore.certificate.chain
ssl.keystore.key ssl.protocol ssl.provider ssl.secure.random.implementation ssl.trustmanager.algorithm
ssl.truststore.certificates`;

const LIBRDKAFKA = `allow.auto.create.topics api.version.fallback.ms api.version.request api.version.request.timeout.ms
batch.num.messages broker.address.family broker.address.ttl broker.version.fallback builtin.features
client.software.name client.software.version compression.codec compression.level coordinator.query.interval.ms debug
delivery.report.only.error enable.auto.offset.store enable.gapless.guarantee enable.partition.eof
enable.sasl.oauthbearer.unsecure.jwt enable.ssl.certificate.verification enabled_events fetch.error.backoff.ms
fetch.message.max.bytes fetch.queue.backoff.ms fetch.wait.max.ms group.protocol.type log.connection.close log.queue
log.thread.name log_level max.in.flight message.copy.max.bytes message.max.bytes message.send.max.retries
message.timeout.ms partitioner plugin.library.paths queue.buffering.backpressure.threshold queue.buffering.max.kbytes
queue.buffering.max.messages queue.buffering.max.ms queued.max.messages.kbytes queued.min.messages
receive.message.max.bytes reconnect.backoff.jitter.ms request.required.acks sasl.kerberos.keytab
sasl.kerberos.principal sasl.oauthbearer.config
sasl.oauthbearer.method
socket.keepalive.enable socket.max.fails socket.nagle.disable socket.receive.buffer.bytes socket.send.buffer.bytes
socket.timeout.ms ssl.ca.certificate.stores ssl.ca.pem ssl.certificate.pem ssl.crl.location ssl.curves.list
ssl.engine.id ssl.engine.location ssl.key.pem ssl.providers ssl.sigalgs.list ssl_key statistics.interval.ms
sticky.partitioning.linger.ms topic.blacklist topic.metadata.propagation.max.ms
topic.metadata.refresh.fast.interval.ms topic.metadata.refresh.interval.ms topic.metadata.refresh.sparse`;

const SCHEMA_REGISTRY_CLIENTS = `auto.register.schemas bearer.auth.scope.claim.name bearer.auth.sub.claim.name
key.subject.name.strategy latest.compatibility.strict max.schemas.per.subject normalize.schemas specific.avro.reader
use.latest.version use.schema.id value.subject.name.strategy`;

/** Accepted, and named under --verbose as not used by zps. */
export const UNUSED_PROPERTIES: ReadonlySet<string> = new Set(`${JAVA_CLIENTS} ${LIBRDKAFKA} ${SCHEMA_REGISTRY_CLIENTS}`.split(/\s+/));

/** The known name closest to `name` when it is close enough to be a typo of it (at most a third of it edited). */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

/** Levenshtein distance: the fewest insertions, deletions and substitutions from `a` to `b`. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length]!;
}
