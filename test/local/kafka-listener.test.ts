/**
 * The daemon's Kafka listener, proved by kcat (librdkafka) and by bare requests: one
 * broker behind two doors, groups, idempotence, long polls, limits, and frames that are not Kafka.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { decodeRecordBatches, encodeRecordBatch } from '../../dist/wire/kafka/record-batch.js';
import { outgoingBatch } from '../../dist/records/record-batch.js';
import { crc32c } from '../../dist/wire/kafka/crc32c.js';
import { kafkaListenerDaemon } from '../helpers/kafka-listener-daemon.js';
import { KafkaWire } from '../helpers/kafka-wire.js';
import { unique, waitFor } from '../helpers/wait.js';
import { privateSocket, RunningZps, zps, zpsRaw } from '../helpers/zps.js';

const listener = kafkaListenerDaemon();
const run = (args: string[], input?: string) => zps(listener.socket(), args, { input });
const lines = (text: string) => text.split('\n').filter(Boolean);

function kcat(args: string[], input?: string | Buffer): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync('kcat', ['-b', listener.address(), ...args], { input, timeout: 30_000, encoding: 'utf8' });
  if (result.error) throw new Error(`kcat could not run (install Debian's kcat): ${result.error.message}`);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('zps daemon --kafka', () => {
  it('status shows the address; only loopback addresses; a port in use is one line naming it', async () => {
    const status = JSON.parse((await run(['daemon', 'status', '--json'])).stdout);
    expect(status.kafka).toMatch(/^127\.0\.0\.1:\d+$/);
    expect((await run(['daemon', 'status'])).stdout).toMatch(new RegExp(`kafka\\s+${status.kafka}`));
    const other = privateSocket();
    try {
      const wide = await zps(other.socket, ['daemon', 'start', '--kafka', '0.0.0.0:9092']);
      expect(wide).toMatchObject({ code: 2 });
      expect(wide.stderr).toMatch(/^zps: --kafka '0.0.0.0:9092' is not a loopback address/);
      const taken = await zps(other.socket, ['daemon', 'start', '--kafka', status.kafka]);
      expect(taken.code).toBe(1);
      expect(taken.stderr.split('\n')[0]).toBe(`zps: the local daemon failed to start: the Kafka listener's address ${status.kafka} is in use`);
      const fromEnv = await zps(other.socket, ['count', 'x'], { env: { ZPS_KAFKA_LISTEN: '192.168.1.1:9092' } });
      expect(fromEnv).toMatchObject({ code: 2 });
      expect(fromEnv.stderr).toMatch(/^zps: ZPS_KAFKA_LISTEN '192.168.1.1:9092' is not a loopback address/);
      // a daemon a command starts with ZPS_KAFKA_LISTEN answers Kafka clients there
      const port = await freePort();
      expect(await zps(other.socket, ['publish', 'env-started'], { input: 'hi\n', env: { ZPS_KAFKA_LISTEN: `127.0.0.1:${port}` } })).toMatchObject({ code: 0 });
      const listed = spawnSync('kcat', ['-b', `127.0.0.1:${port}`, '-L', '-t', 'env-started'], { encoding: 'utf8', timeout: 30_000 });
      expect(listed.stdout).toContain('topic "env-started" with 1 partitions');
      // asking a running daemon without a listener for one is said, not ignored
      const third = privateSocket();
      try {
        expect(await zps(third.socket, ['daemon', 'start'])).toMatchObject({ code: 0 });
        const late = await zps(third.socket, ['daemon', 'start', '--kafka', '127.0.0.1:0']);
        expect(late.code).toBe(1);
        expect(late.stderr).toMatch(/ is running with other settings: no Kafka listener \(asked 127\.0\.0\.1:0\)\n/);
      } finally {
        third.cleanup();
      }
    } finally {
      other.cleanup();
    }
  });
});

describe('one broker, two doors (kcat)', () => {
  it('kcat -L lists the topics zps made, with their partitions, led by the address as bound', async () => {
    const t = unique('listed');
    await run(['publish', t, '--partitions', '3'], 'a\nb\n');
    const listed = kcat(['-L', '-t', t]).stdout;
    expect(listed).toContain(`broker 0 at ${listener.address()}`);
    expect(listed).toContain(`topic "${t}" with 3 partitions`);
  });

  it('what kcat produces (plain and every compression) zps reads as it was written', async () => {
    const t = unique('from-kcat');
    await run(['publish', t, '--partitions', '2'], '');
    expect(kcat(['-P', '-t', t, '-p', '1', '-K', ':', '-H', 'h1=v1', '-H', 'h1=v2', '-H', 'zps-type=greeting'], 'k1:hello\n').code).toBe(0);
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
      const input = Array.from({ length: 50 }, (_, i) => `${codec}-${i}`).join('\n');
      expect(kcat(['-P', '-t', t, '-p', '0', '-z', codec], `${input}\n`).code).toBe(0);
    }
    const read = lines((await run(['consume', t, '--json'])).stdout).map((l) => JSON.parse(l));
    expect(read.filter((r) => r.partition === 0).map((r) => r.value)).toEqual(
      ['gzip', 'snappy', 'lz4', 'zstd'].flatMap((codec) => Array.from({ length: 50 }, (_, i) => `${codec}-${i}`)),
    );
    expect(read.filter((r) => r.partition === 0).map((r) => r.offset)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const [keyed] = read.filter((r) => r.partition === 1);
    expect(keyed).toMatchObject({ offset: 0, key: 'k1', type: 'greeting', value: 'hello', headers: { h1: ['v1', 'v2'] } });
    // kcat's timestamp (CreateTime) is kept: the same on both doors
    const stamped = kcat(['-C', '-t', t, '-p', '1', '-e', '-q', '-f', '%T\\n']).stdout.trim();
    expect(String(keyed.timestamp)).toBe(stamped);
    expect((await run(['count', t])).stdout).toBe('201\n');
  });

  it('what zps publishes kcat reads byte for byte, at the same offsets; zps count is the watermarks', async () => {
    const t = unique('from-zps');
    const records = [
      { key: 'a', value: 'plain text', headers: { trace: 'x1' } },
      { key: 'b', type: 'order', value: { id: 12345678901234567890n.toString() } },
      { key: null, value: null, tombstone: true },
    ];
    const input = records.map((r) => JSON.stringify(r)).join('\n');
    expect(await run(['publish', t, '--from-json'], `${input}\n`)).toMatchObject({ code: 0 });
    const read = kcat(['-C', '-t', t, '-e', '-q', '-f', '%o|%k|%h|%s|%S\\n']).stdout;
    expect(lines(read)).toEqual(['0|a|trace=x1|plain text|10', `1|b|zps-type=order|{"id":"12345678901234567890"}|29`, '2||||-1']);
    const bytes = await zpsRaw(listener.socket(), ['consume', t, '-n', '1', '--format', '%s']);
    expect(bytes.toString()).toBe('plain text');
    const end = kcat(['-Q', '-t', `${t}:0:-1`]).stdout;
    expect(end).toContain(`${t} [0] offset 3`);
    expect((await run(['count', t])).stdout).toBe('3\n');
  });

  it('kcat -G: two members share the partitions, each message once; commits are the group zps sees', async () => {
    const t = unique('grouped');
    const group = unique('g');
    await run(['publish', t, '--partitions', '4'], '');
    const members = [0, 1].map(() => {
      const child = spawn('kcat', ['-b', listener.address(), '-u', '-G', group, t, '-o', 'beginning', '-f', '%s\\n', '-X', 'auto.commit.interval.ms=100'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const out = { stdout: '', stderr: '' };
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out.stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out.stderr += chunk));
      return { child, out };
    });
    try {
      // both in the group, each with its share, before anything is published
      await waitFor(async () => {
        const described = JSON.parse((await run(['groups', 'describe', group, '--json'])).stdout || '{}');
        return described.members?.length === 2 && described.members.every((m: { partitions: unknown[] }) => m.partitions.length > 0);
      }, 'two kcat members with partitions');
      const input = Array.from({ length: 100 }, (_, i) => `m${i}`).join('\n');
      expect(await run(['publish', t], `${input}\n`)).toMatchObject({ code: 0 });
      const seen = await waitFor(() => {
        const all = members.flatMap((m) => lines(m.out.stdout));
        return all.length >= 100 ? all : undefined;
      }, '100 messages across the members');
      expect([...seen].sort()).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`).sort());
      expect(members.every((m) => lines(m.out.stdout).length > 0)).toBe(true);
      await waitFor(async () => (await run(['count', t, '-g', group])).stdout.startsWith('0'), 'the group to commit everything');
      // one door at a time
      const joining = await run(['consume', t, '-g', group, '-n', '1', '--timeout', '5s']);
      expect(joining.code).toBe(1);
      expect(joining.stderr).toMatch(/group .* has Kafka clients as members/);
    } finally {
      for (const { child } of members) child.kill('SIGTERM');
    }
    const zpsGroup = unique('zg');
    const zpsMember = new RunningZps(listener.socket(), ['consume', t, '-g', zpsGroup, '-f']);
    try {
      await waitFor(async () => JSON.parse((await run(['groups', 'describe', zpsGroup, '--json'])).stdout || '{}').members?.length === 1, 'the zps member');
      const refused = kcat(['-G', zpsGroup, t, '-e', '-X', 'session.timeout.ms=6000']);
      expect(refused.stderr).toMatch(/[Ii]nconsistent group protocol/);
    } finally {
      zpsMember.child.kill('SIGINT');
      await zpsMember.result;
    }
  }, 60_000);

  it('a group is told the same on both doors: zps groups describe and a Kafka admin (DescribeGroups, ListGroups), whichever door its members came through', async () => {
    const t = unique('told');
    const [zpsGroup, kafkaGroup] = [unique('zg'), unique('kg')];
    await run(['publish', t, '--partitions', '3'], '');
    const kafka = new kafkajs.Kafka({ brokers: [listener.address()], clientId: 'told-client', logLevel: kafkajs.logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    /** The members as zps's commands tell them: id, client, host and partitions. */
    const toldByZps = async (group: string) => {
      const described = JSON.parse((await run(['groups', 'describe', group, '--json'])).stdout || '{}');
      return described.members?.length === 1 && described.members[0].partitions.length > 0 ? described : undefined;
    };
    /** The same from Kafka's DescribeGroups, the assignment decoded as Kafka's consumer protocol. */
    const toldByKafka = async (group: string) => {
      const [described] = (await admin.describeGroups([group])).groups;
      const members = described!.members.map((m) => ({
        id: m.memberId,
        clientId: m.clientId,
        host: m.clientHost,
        partitions: Object.entries(kafkajs.AssignerProtocol.MemberAssignment.decode(m.memberAssignment)!.assignment).map(([topic, partitions]) => ({
          topic,
          partitions,
        })),
      }));
      return { state: described!.state, protocolType: described!.protocolType, members };
    };
    const zpsMember = new RunningZps(listener.socket(), ['consume', t, '-g', zpsGroup, '-f']);
    const consumer = kafka.consumer({ groupId: kafkaGroup });
    try {
      const byZps = await waitFor(() => toldByZps(zpsGroup), 'the zps member with its partitions');
      expect(byZps.members[0]).toMatchObject({ clientId: 'zps', partitions: [{ topic: t, partitions: [0, 1, 2] }] });
      expect(await toldByKafka(zpsGroup)).toEqual({ state: byZps.state, protocolType: 'consumer', members: byZps.members });
      await consumer.connect();
      await consumer.subscribe({ topic: t, fromBeginning: true });
      await consumer.run({ eachMessage: async () => {} });
      const kafkaByZps = await waitFor(() => toldByZps(kafkaGroup), 'the Kafka client with its partitions', 30_000);
      expect(kafkaByZps.members[0]).toMatchObject({ clientId: 'told-client', partitions: [{ topic: t, partitions: [0, 1, 2] }] });
      expect(await toldByKafka(kafkaGroup)).toEqual({ state: kafkaByZps.state, protocolType: 'consumer', members: kafkaByZps.members });
      const listed = (await admin.listGroups()).groups.filter((g) => g.groupId === zpsGroup || g.groupId === kafkaGroup);
      expect(listed.sort((a, b) => a.groupId.localeCompare(b.groupId))).toEqual(
        [kafkaGroup, zpsGroup].sort().map((groupId) => ({ groupId, protocolType: 'consumer' })),
      );
    } finally {
      await consumer.disconnect();
      await admin.disconnect();
      zpsMember.child.kill('SIGINT');
      await zpsMember.result;
    }
  }, 60_000);

  it("a group's offsets a Kafka client set out of range (records deleted, past the end) move to the log start, as on Kafka", async () => {
    const [t, g] = [unique('door'), unique('g')];
    await run(['publish', t, 'a', 'b', 'c', 'd']);
    const admin = new kafkajs.Kafka({ brokers: [listener.address()], logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.setOffsets({ groupId: g, topic: t, partitions: [{ partition: 0, offset: '10' }] });
      expect(await run(['consume', t, '-g', g])).toMatchObject({ code: 0, stdout: 'a\nb\nc\nd\n' });
      await admin.setOffsets({ groupId: g, topic: t, partitions: [{ partition: 0, offset: '1' }] });
      await admin.deleteTopicRecords({ topic: t, partitions: [{ partition: 0, offset: '2' }] });
      expect(await run(['consume', t, '-g', g])).toMatchObject({ code: 0, stdout: 'c\nd\n' });
      expect((await run(['count', t, '-g', g])).stdout).toBe('0\n');
    } finally {
      await admin.disconnect();
    }
  });

  it('the memory cap holds for Kafka clients: kcat is told, nothing is stored, no topic made past it', async () => {
    const capped = privateSocket();
    try {
      const port = await freePort();
      // room for one topic of one partition (1 KiB each) and no 8 kB message
      expect(await zps(capped.socket, ['daemon', 'start', '--kafka', `127.0.0.1:${port}`, '--max-memory', '3KiB'])).toMatchObject({ code: 0 });
      const produce = (topic: string, input: string) =>
        spawnSync('kcat', ['-b', `127.0.0.1:${port}`, '-P', '-t', topic], { input, encoding: 'utf8', timeout: 30_000 });
      const produced = produce('capped', `${'x'.repeat(8000)}\n`);
      expect(produced.status).not.toBe(0);
      expect(produced.stderr).toMatch(/Policy violation/);
      expect((await zps(capped.socket, ['count', 'capped'])).stdout).toBe('0\n');
      // a topic the metadata request would make does not fit: refused, not made
      const another = produce('capped-too', 'small\n');
      expect(another.status).not.toBe(0);
      expect(another.stderr).toMatch(/Policy violation/);
      expect((await zps(capped.socket, ['topics'])).stdout).toBe('capped\t0\n');
    } finally {
      capped.cleanup();
    }
  });
});

describe('the wire, request by request', () => {
  const produceRequest = (topic: string, batch: Buffer, acks = -1) => ({
    transactionalId: null,
    acks,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
  });
  const batchOf = (values: string[], producer?: { producerId: number; producerEpoch: number; baseSequence: number }) =>
    encodeRecordBatch(
      outgoingBatch(values.map((v) => ({ key: null, value: Buffer.from(v), headers: [] }))),
      values.map((_, i) => i),
      Date.now(),
      producer,
    );

  it('an idempotent batch sent twice is stored once and answered with its first offset; a gap is refused', async () => {
    const t = unique('idem');
    await run(['publish', t], 'before\n');
    const wire = await KafkaWire.open(listener.address());
    try {
      const init = await wire.request(22, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
      expect(init).toMatchObject({ errorCode: 0, producerEpoch: 0 });
      const producer = { producerId: init!.producerId as number, producerEpoch: 0, baseSequence: 0 };
      const first = await wire.request(0, 9, produceRequest(t, batchOf(['a', 'b'], producer)));
      const again = await wire.request(0, 9, produceRequest(t, batchOf(['a', 'b'], producer)));
      const partition = (response: Record<string, unknown> | undefined) =>
        (response!.responses as Array<{ partitionResponses: unknown[] }>)[0]!.partitionResponses[0];
      expect(partition(first)).toMatchObject({ errorCode: 0, baseOffset: 1 });
      expect(partition(again)).toMatchObject({ errorCode: 0, baseOffset: 1 });
      const gap = await wire.request(0, 9, produceRequest(t, batchOf(['c'], { ...producer, baseSequence: 5 })));
      expect(partition(gap)).toMatchObject({ errorCode: 45 });
      const next = await wire.request(0, 3, produceRequest(t, batchOf(['c'], { ...producer, baseSequence: 2 })));
      expect(partition(next)).toMatchObject({ errorCode: 0, baseOffset: 3 });
      expect(lines((await run(['consume', t])).stdout)).toEqual(['before', 'a', 'b', 'c']);
      // transactions are refused with the documented code, never a hang
      const transactional = await wire.request(22, 4, { transactionalId: 'tx', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
      expect(transactional).toMatchObject({ errorCode: 53 });
    } finally {
      wire.close();
    }
  });

  it('a batch whose record count is not the records it holds is refused with INVALID_RECORD, as Kafka does, and nothing is stored', async () => {
    const t = unique('count');
    await run(['publish', t], 'before\n');
    /** A valid batch of two records, then its count and last offset delta set, its CRC made anew. */
    const declaring = (count: number, lastOffsetDelta = count - 1) => {
      const batch = Buffer.from(batchOf(['a', 'b']));
      batch.writeInt32BE(lastOffsetDelta, 23);
      batch.writeInt32BE(count, 57);
      batch.writeUInt32BE(crc32c(batch, 21, batch.byteLength), 17);
      return batch;
    };
    const wire = await KafkaWire.open(listener.address());
    try {
      const produce = async (batch: Buffer) =>
        ((await wire.request(0, 9, produceRequest(t, batch)))!.responses as Array<{ partitionResponses: unknown[] }>)[0]!.partitionResponses[0];
      expect(await produce(declaring(0))).toMatchObject({ errorCode: 87, errorMessage: 'record batch declares 0 records' });
      expect(await produce(declaring(1))).toMatchObject({ errorCode: 87, errorMessage: 'record batch declares 1 records and holds more' });
      expect(await produce(declaring(3))).toMatchObject({ errorCode: 87, errorMessage: 'record batch declares 3 records and holds 2' });
      expect(await produce(declaring(2, 5))).toMatchObject({ errorCode: 87, errorMessage: 'record count does not match the last offset delta' });
      expect(await produce(declaring(2))).toMatchObject({ errorCode: 0, baseOffset: 1 });
      expect(lines((await run(['consume', t])).stdout)).toEqual(['before', 'a', 'b']);
    } finally {
      wire.close();
    }
  });

  it("a fetch of small records is about the partition's max bytes, as Kafka's (not what they cost in memory)", async () => {
    const t = unique('fill');
    const input = Array.from({ length: 40_000 }, (_, i) => `{"id":${i},"user":"u-${i % 100}","ok":true}`);
    await run(['publish', t], `${input.join('\n')}\n`);
    const wire = await KafkaWire.open(listener.address());
    try {
      const { records } = await wire.fetchPartition(t, 0, { maxWaitMs: 500, maxBytes: 50_000_000, partitionMaxBytes: 1_048_576 });
      expect(records.byteLength).toBeGreaterThan(0.85 * 1_048_576);
      expect(records.byteLength).toBeLessThan(1.1 * 1_048_576);
    } finally {
      wire.close();
    }
  });

  it("a fetch asking for all there is gets at most Kafka's fetch.max.bytes (55 MiB), and the next fetch the rest", async () => {
    const t = unique('capped-fetch');
    const record = 1_000_000;
    const total = 64; // 64 MB stored, more than the cap of 57,671,680 bytes
    const lineOf = (i: number) => `${String(i).padStart(4, '0')}${'v'.repeat(record - 4)}`;
    await run(['publish', t], `${Array.from({ length: total }, (_, i) => lineOf(i)).join('\n')}\n`);
    const wire = await KafkaWire.open(listener.address());
    const fetchFrom = async (fetchOffset: number) => {
      const { records } = await wire.fetchPartition(t, fetchOffset, { maxWaitMs: 100, maxBytes: 2 ** 31 - 1, partitionMaxBytes: 2 ** 31 - 1 });
      return { bytes: records.byteLength, records: decodeRecordBatches(records, { topic: t, partition: 0, fetchOffset }).records };
    };
    try {
      const first = await fetchFrom(0);
      expect(first.bytes).toBeLessThanOrEqual(55 * 1024 * 1024 + record + 100);
      expect(first.bytes).toBeGreaterThan(50 * record);
      const next = first.records.length;
      expect(first.records.map((r) => r.offset)).toEqual(Array.from({ length: next }, (_, i) => i));
      const rest = await fetchFrom(next);
      expect(rest.records.map((r) => r.value!.subarray(0, 4).toString())).toEqual(
        Array.from({ length: total - next }, (_, i) => String(next + i).padStart(4, '0')),
      );
    } finally {
      wire.close();
    }
  }, 60_000);

  it("what a reader gets ahead of time (read-ahead) is what it would get asked afresh, and never a recreated topic's old records", async () => {
    const t = unique('ahead');
    const lineOf = (i: number, tag: string) => `{"n":${i},"tag":"${tag}","pad":"${'p'.repeat(i % 50)}"}`;
    const publish = (tag: string) => run(['publish', t], `${Array.from({ length: 40_000 }, (_, i) => lineOf(i, tag)).join('\n')}\n`);
    await publish('old');
    const wire = await KafkaWire.open(listener.address());
    const fetchAt = (offset: number) => wire.fetchPartition(t, offset, { maxWaitMs: 100, maxBytes: 50_000_000, partitionMaxBytes: 262_144 });
    const values = (records: Buffer) => decodeRecordBatches(records, { topic: t, partition: 0, fetchOffset: 0 }).records;
    try {
      const first = values((await fetchAt(0)).records);
      const next = first[first.length - 1]!.offset + 1;
      const ahead = (await fetchAt(next)).records; // encoded while the first answer was on its way
      const afresh = (await fetchAt(next)).records; // the read-ahead was taken: this one is encoded now
      expect(ahead.equals(afresh)).toBe(true);
      expect(values(ahead)[0]).toMatchObject({ offset: next });
      expect(values(ahead)[0]!.value!.toString()).toBe(lineOf(next, 'old'));
      // read ahead again, then the topic deleted and made anew with other records
      await fetchAt(0);
      expect(await wire.request(20, 4, { topicNames: [t], timeoutMs: 1_000 })).toMatchObject({ responses: [{ name: t, errorCode: 0 }] });
      await publish('new');
      const after = values((await fetchAt(next)).records);
      expect(after[0]!.value!.toString()).toBe(lineOf(next, 'new'));
    } finally {
      wire.close();
    }
  });

  it('acks=0 gets no response; responses keep request order behind a long-polling fetch', async () => {
    const t = unique('order');
    await run(['publish', t], 'first\n');
    const wire = await KafkaWire.open(listener.address());
    try {
      const unacked = wire.request(0, 7, produceRequest(t, batchOf(['unacked']), 0));
      const fetch = wire.request(1, 11, {
        replicaId: -1,
        maxWaitMs: 20_000,
        minBytes: 1_000_000,
        maxBytes: 50_000_000,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic: t, partitions: [{ partition: 0, fetchOffset: 2, partitionMaxBytes: 1_000_000 }] }],
        forgottenTopicsData: [],
        rackId: '',
      });
      const metadata = wire.request(3, 12, { topics: [{ name: t }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      let metadataFirst = false;
      void metadata.then(() => (metadataFirst = !fetchDone));
      let fetchDone = false;
      void fetch.then(() => (fetchDone = true));
      await run(['publish', t], `${'x'.repeat(600_000)}\n${'y'.repeat(600_000)}\n`);
      const fetched = (await fetch)!;
      await metadata;
      expect(metadataFirst).toBe(false);
      const partition = (fetched.responses as Array<{ partitions: Array<{ records: Buffer }> }>)[0]!.partitions[0]!;
      expect(partition).toMatchObject({ errorCode: 0, highWatermark: 4 });
      expect(partition.records.byteLength).toBeGreaterThan(1_000_000);
      expect((await run(['count', t])).stdout).toBe('4\n');
      wire.close();
      expect(await unacked).toBeUndefined(); // no response came for it before the connection closed
    } finally {
      wire.close();
    }
  });

  it('a transactional producer (kafkajs) is refused at once with the documented code, never left hanging', async () => {
    const kafka = new kafkajs.Kafka({ brokers: [listener.address()], logLevel: kafkajs.logLevel.NOTHING });
    const producer = kafka.producer({ transactionalId: unique('tx'), idempotent: true, maxInFlightRequests: 1 });
    try {
      await producer.connect();
      // kafkajs reports the coordinator it could not find (FindCoordinator answered 53 at once)
      await expect(producer.transaction()).rejects.toThrow(/coordinator/i);
    } finally {
      await producer.disconnect();
    }
  });

  it('ApiVersions of a version it does not know is answered in v0 with the range to retry in', async () => {
    const wire = await KafkaWire.open(listener.address());
    try {
      const frame = Buffer.alloc(4 + 2 + 2 + 4 + 2);
      frame.writeInt32BE(frame.byteLength - 4, 0);
      frame.writeInt16BE(18, 4);
      frame.writeInt16BE(99, 6);
      frame.writeInt32BE(7, 8);
      frame.writeInt16BE(-1, 12);
      const response = (await wire.raw(frame))!;
      expect(response.readInt32BE(0)).toBe(7);
      expect(response.readInt16BE(4)).toBe(35);
      const apis = response.readInt32BE(6);
      const ranges = new Map(
        Array.from({ length: apis }, (_, i) => [response.readInt16BE(10 + i * 6), [response.readInt16BE(12 + i * 6), response.readInt16BE(14 + i * 6)]]),
      );
      expect(ranges.get(18)).toEqual([0, 4]);
      expect(ranges.get(0)).toEqual([0, 11]); // Produce from v0, for librdkafka before 2.11
    } finally {
      wire.close();
    }
  });

  it('garbage, oversized, truncated and unknown requests close that connection only; a fuzzer does not stop the daemon', async () => {
    const t = unique('fuzz');
    await run(['publish', t], 'still here\n');
    const hostile = [
      Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      frameOf(Buffer.alloc(4, 0xff)), // size -1
      Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 1]), // 2 GiB announced
      frameOf(Buffer.from([0x03, 0xe7, 0, 0, 0, 0, 0, 1, 0xff, 0xff])), // API key 999
      frameOf(Buffer.from([0, 3, 0, 99, 0, 0, 0, 1, 0xff, 0xff])), // Metadata v99
      frameOf(Buffer.from([0, 3, 0, 12, 0, 0, 0, 1, 0xff, 0xff, 0, 5])), // Metadata v12 cut short
    ];
    for (const bytes of hostile) {
      const wire = await KafkaWire.open(listener.address());
      await wire.raw(bytes);
      await wire.whenClosed();
    }
    // a client that vanishes in the middle of a request
    const vanishing = await KafkaWire.open(listener.address());
    vanishing.socket.write(frameOf(Buffer.alloc(64)).subarray(0, 30));
    vanishing.close();
    // random frames, and valid requests with bytes flipped
    const valid = await validRequests(t);
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 300; i++) {
      let bytes: Buffer;
      if (i % 2 === 0) bytes = frameOf(Buffer.from(Array.from({ length: Math.floor(random() * 200) }, () => Math.floor(random() * 256))));
      else {
        bytes = Buffer.from(valid[i % valid.length]!);
        for (let flips = 0; flips < 3; flips++) bytes[4 + Math.floor(random() * (bytes.byteLength - 4))] = Math.floor(random() * 256);
      }
      const wire = await KafkaWire.open(listener.address());
      wire.socket.write(bytes);
      // answered or closed: either way the daemon goes on (a response to a mutated request may be an error)
      await Promise.race([wire.whenClosed(), new Promise((resolve) => setTimeout(resolve, 20))]);
      wire.close();
    }
    expect(kcat(['-C', '-t', t, '-e', '-q']).stdout).toBe('still here\n');
    expect(JSON.parse((await run(['daemon', 'status', '--json'])).stdout).running).toBe(true);
  }, 60_000);
});

function frameOf(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.byteLength);
  return Buffer.concat([size, body]);
}

/** Well-formed requests of several APIs, as bytes, for the fuzzer to mutate. */
async function validRequests(topic: string): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  const recorder = await KafkaWire.open(listener.address());
  const write = recorder.socket.write.bind(recorder.socket);
  recorder.socket.write = ((bytes: Buffer) => {
    frames.push(Buffer.from(bytes));
    return write(bytes);
  }) as typeof recorder.socket.write;
  await recorder.request(3, 9, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  await recorder.request(2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1 }] }] });
  await recorder.request(10, 3, { key: 'fuzzed', keyType: 0 });
  await recorder.request(9, 7, { groupId: 'fuzzed', topics: null, requireStable: false });
  recorder.close();
  return frames;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
