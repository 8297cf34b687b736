/**
 * Clients nobody here wrote use the daemon's Kafka listener as they use Kafka:
 * confluent-kafka-python (librdkafka), franz-go (Go) and the Java client 4.1 through Kafka's own
 * tools. In the kafka project because Kafka's tools come with the test broker's jars.
 */
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_SCRIPTS, franzGoCheck, kafkaTool, pythonWithKafkaClient } from '../helpers/clients.js';
import { partitionForKey } from '../../dist/wire/murmur2.js';
import { kafkaListenerDaemon } from '../helpers/kafka-listener-daemon.js';
import { unique } from '../helpers/wait.js';
import { privateSocket, zps } from '../helpers/zps.js';

const listener = kafkaListenerDaemon();
const run = (args: string[], input?: string) => zps(listener.socket(), args, { input });
const lines = (text: string) => text.split('\n').filter(Boolean);

describe('confluent-kafka-python against the daemon', () => {
  let python: string;
  beforeAll(() => {
    python = pythonWithKafkaClient();
  }, 120_000);

  it('idempotent produce, a group of two (each message once), commits, seek, watermarks, delete_records', async () => {
    const t = unique('py');
    const group = unique('pyg');
    const result = spawnSync(python, [`${CLIENT_SCRIPTS}/confluent_kafka_check.py`, listener.address(), t, group], { encoding: 'utf8', timeout: 90_000 });
    expect(result.status, result.stderr).toBe(0);
    const seen = JSON.parse(result.stdout);
    expect(seen).toMatchObject({
      acked: 1000,
      failed: [],
      received: 1000,
      distinct: 1000,
      values_match_keys: true,
      seek_first_offset: 5,
      low_after_delete: [10],
    });
    expect(seen.per_member.every((n: number) => n > 0)).toBe(true);
    expect(seen.committed).toEqual(seen.watermarks.map(([, high]: number[]) => high));
    expect(seen.watermarks_after_delete).toEqual([10, seen.watermarks[0][1]]);
    // the same broker from zps's side: counts, the group's lag, the records
    expect((await run(['count', t])).stdout).toBe(`${1000 - 10}\n`);
    expect((await run(['count', t, '-g', group])).stdout).toMatch(/^0\b/);
    const values = lines((await run(['consume', t, '--format', '%k=%s\\n'])).stdout);
    expect(values).toHaveLength(990);
    expect(values.every((line) => /^k(\d+)=v\1$/.test(line))).toBe(true);
  }, 120_000);

  it('init_transactions fails at once with the reason, as a fatal error, not after its timeout', () => {
    // the call's own timeout is 30 s: it returns when librdkafka gives up, which must be at once
    const result = spawnSync(python, [`${CLIENT_SCRIPTS}/confluent_kafka_transactions.py`, listener.address(), unique('tx')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status, result.stderr).toBe(0);
    const outcome = JSON.parse(result.stdout);
    expect(outcome).toMatchObject({ initialized: false, fatal: true });
    expect(outcome.error).toMatch(/Transactional Id authorization failed: transactions are not supported by zps's local broker/);
    expect(outcome.seconds).toBeLessThan(2);
  }, 60_000);
});

describe('franz-go against the daemon', () => {
  let check: string;
  beforeAll(() => {
    check = franzGoCheck();
  }, 300_000);

  it("with kgo's defaults (idempotent, snappy, classic groups): a group of two sees each record once, commits; keys land where zps puts them", async () => {
    const t = unique('go');
    const group = unique('gog');
    const result = spawnSync(check, [listener.address(), t, group], { encoding: 'utf8', timeout: 90_000 });
    expect(result.status, result.stderr).toBe(0);
    const seen = JSON.parse(result.stdout);
    expect(seen).toMatchObject({
      acked: 3000,
      failed: [],
      received: 3000,
      distinct: 3000,
      tombstones: 6,
      headers_match: true,
      values_match_keys: true,
    });
    expect(Object.keys(seen.compressions)).toEqual(['2']); // every batch snappy-compressed
    expect(seen.per_member.every((n: number) => n > 0)).toBe(true);
    expect(seen.committed).toEqual(seen.ends);
    // the same records from zps's side: in the partitions murmur2 gives their keys, header and tombstones kept
    expect((await run(['count', t, '-g', group])).stdout).toMatch(/^0\b/);
    const read = lines((await run(['consume', t, '--format', '%p %k %h %S\\n'])).stdout).map((line) => line.split(' '));
    expect(read).toHaveLength(3000);
    for (const [partition, key, header, size] of read) {
      const n = key!.slice(1);
      expect(Number(partition)).toBe(partitionForKey(Buffer.from(key!), 3));
      expect(header).toBe(`n=${n}`);
      expect(size).toBe(Number(n) % 500 === 7 ? '-1' : String(`v${n}`.length));
    }
  }, 120_000);
});

describe("the Java client (Kafka's own tools) against the daemon", () => {
  it('VerifiableProducer → VerifiableConsumer: every acknowledged message consumed; ConsumerGroupCommand and TopicCommand', async () => {
    const t = unique('java');
    const group = unique('jg');
    await run(['publish', t, '--partitions', '3'], '');
    const produced = kafkaTool('org.apache.kafka.tools.VerifiableProducer', [
      '--bootstrap-server',
      listener.address(),
      '--topic',
      t,
      '--max-messages',
      '1000',
      '--acks',
      '-1',
    ]);
    expect(produced.code, produced.stderr).toBe(0);
    const producerEvents = lines(produced.stdout).map((l) => JSON.parse(l));
    const acked = producerEvents.filter((e) => e.name === 'producer_send_success').map((e) => `${e.partition}:${e.offset}`);
    expect(acked).toHaveLength(1000);
    const consumed = kafkaTool('org.apache.kafka.tools.VerifiableConsumer', [
      '--bootstrap-server',
      listener.address(),
      '--topic',
      t,
      '--group-id',
      group,
      '--max-messages',
      '1000',
      '--reset-policy',
      'earliest',
    ]);
    expect(consumed.code, consumed.stderr).toBe(0);
    const records = lines(consumed.stdout)
      .map((l) => JSON.parse(l))
      .filter((e) => e.name === 'records_consumed')
      .flatMap((e) =>
        e.partitions.flatMap((p: { partition: number; minOffset: number; maxOffset: number }) =>
          Array.from({ length: p.maxOffset - p.minOffset + 1 }, (_, i) => `${p.partition}:${p.minOffset + i}`),
        ),
      );
    expect(new Set(records)).toEqual(new Set(acked));
    const described = kafkaTool('org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', [
      '--bootstrap-server',
      listener.address(),
      '--describe',
      '--group',
      group,
    ]);
    expect(described.code, described.stderr).toBe(0);
    const rows = lines(described.stdout).filter((l) => l.startsWith(group));
    // a row per partition the group committed (those with messages), each with no lag
    expect(rows.map((row) => row.split(/\s+/)[2]).sort()).toEqual([...new Set(acked.map((a) => a.split(':')[0]))].sort());
    for (const row of rows) expect(row.split(/\s+/)[5]).toBe('0'); // LAG
    expect((await run(['count', t, '-g', group])).stdout).toMatch(/^0\b/);
    const listed = kafkaTool('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', listener.address(), '--list']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(lines(listed.stdout)).toContain(t);
  }, 120_000);
});

describe("Kafka's TopicCommand against the daemon's limits", () => {
  it("a huge partition count is refused as Kafka's controller refuses it, the memory cap counts partitions; the daemon and its messages stay", async () => {
    const capped = privateSocket();
    try {
      expect(await zps(capped.socket, ['daemon', 'start', '--kafka', '127.0.0.1:0', '--max-memory', '10MiB'])).toMatchObject({ code: 0 });
      expect(await zps(capped.socket, ['publish', 'kept', 'before'])).toMatchObject({ code: 0 });
      const status = async () => JSON.parse((await zps(capped.socket, ['daemon', 'status', '--json'])).stdout);
      const { pid, kafka } = await status();
      const create = (topic: string, partitions: number) =>
        kafkaTool('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', kafka, '--create', '--topic', topic, '--partitions', String(partitions)]);
      const huge = create('boom', 5_000_000);
      expect(huge.code).not.toBe(0);
      expect(huge.stdout).toContain('Error while executing topic command : Excessively large number of partitions per request.');
      expect(create('wide-1', 9999)).toMatchObject({ code: 0 });
      // 1 KiB a partition: a second topic of 9,999 does not fit in 10 MiB
      const full = create('wide-2', 9999);
      expect(full.code).not.toBe(0);
      expect(full.stdout).toMatch(/Error while executing topic command : broker memory is full: [\d.]+ MiB of 10 MiB used/);
      expect(await status()).toMatchObject({ pid, topics: 2, messages: 1 });
      expect((await zps(capped.socket, ['consume', 'kept'])).stdout).toBe('before\n');
    } finally {
      capped.cleanup();
    }
  }, 60_000);
});
