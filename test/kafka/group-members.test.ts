/**
 * zps's group member (src/kafka/group) on the real broker: in one group with members of other
 * clients, librdkafka (confluent-kafka-python) and Java's VerifiableConsumer, all on the roundrobin
 * assignor, joining while records are read, so partitions change hands mid-read; growing topics;
 * leaving while it joins; and a deadline that passes while it joins.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLIENT_SCRIPTS, describedOffsets, pythonWithKafkaClient } from '../helpers/clients.js';
import { unique, waitFor } from '../helpers/wait.js';
import { RunningZps, zps, type RunOptions } from '../helpers/zps.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const brokers = () => process.env.ZPS_TEST_BROKERS!;
const kafkaEnv = () => ({ ZPS_ENV: 'test', ZPS_BROKERS: brokers() });
const kz = (args: string[], options: RunOptions = {}) => zps('/nonexistent/unused.sock', args, { ...options, env: kafkaEnv(), timeoutMs: 60_000 });

/** A member of another client, whose stdout is JSON lines. */
class JsonLinesMember {
  readonly events: Array<Record<string, unknown>> = [];
  readonly exited: Promise<number | null>;
  private pending = '';

  constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (this.pending + chunk).split('\n');
      this.pending = lines.pop()!;
      for (const line of lines) if (line.startsWith('{')) this.events.push(JSON.parse(line) as Record<string, unknown>);
    });
    child.stderr!.resume();
    this.exited = new Promise((resolve) => child.once('close', resolve));
  }
}

/** `partition/offset` of each record a member printed. */
type Read = Array<{ at: string; headers?: string }>;

/** A new topic holding 'a', and a zps member of a new group following it. */
async function followingNewGroup(name: string) {
  const [topic, group] = [unique(name), unique('g')];
  expect((await kz(['publish', topic, 'a'])).code).toBe(0);
  return { topic, group, member: new RunningZps('/nonexistent/unused.sock', ['consume', topic, '-g', group, '-f'], kafkaEnv()) };
}

const HEADERS = 'a=1,b=2,a=3';
const PARTITIONS = 6;

describe('zps, librdkafka and Java members in one group on Kafka', () => {
  it('each record is read once across the members, commits are the ends once all left, headers keep their order', async () => {
    const [topic, group] = [unique('mixed'), unique('g')];
    const publish = (from: number, to: number) =>
      kz(['publish', topic, '--partitions', String(PARTITIONS), '-H', 'a=1', '-H', 'b=2', '-H', 'a=3'], {
        input: Array.from({ length: to - from }, (_, i) => `{"i":${from + i}}`).join('\n'),
      });
    expect((await publish(0, 300)).code).toBe(0);

    const zpsMember = new RunningZps('/nonexistent/unused.sock', ['consume', topic, '-g', group, '-f', '--format', '%p/%o %h\\n'], kafkaEnv());
    await zpsMember.waitForLines(1, 30_000);
    const librdkafka = new JsonLinesMember(
      spawn(pythonWithKafkaClient(), [`${CLIENT_SCRIPTS}/confluent_group_member.py`, brokers(), topic, group], { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    const java = new JsonLinesMember(
      spawn(
        'java',
        [
          '-Xmx256m',
          '-cp',
          `${root}.cache/kafka/libs/*`,
          'org.apache.kafka.tools.VerifiableConsumer',
          ...['--bootstrap-server', brokers(), '--topic', topic, '--group-id', group, '--reset-policy', 'earliest', '--verbose'],
          ...['--assignment-strategy', 'org.apache.kafka.clients.consumer.RoundRobinAssignor'],
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
    try {
      // every member gets partitions of the group: the rebalances happened while zps read
      await waitFor(() => librdkafka.events.some((e) => (e.assigned as number[] | undefined)?.length), 'librdkafka to be assigned partitions', 60_000);
      await waitFor(
        () => java.events.some((e) => e.name === 'partitions_assigned' && (e.partitions as unknown[]).length > 0),
        'Java to be assigned partitions',
        60_000,
      );
      expect((await publish(300, 600)).code).toBe(0);

      const reads = (): Read[] => [
        zpsMember.lines().map((line) => ({ at: line.split(' ')[0]!, headers: line.split(' ')[1] })),
        librdkafka.events.filter((e) => e.offset !== undefined).map((e) => ({ at: `${e.partition}/${e.offset}`, headers: e.headers as string })),
        java.events.filter((e) => e.name === 'record_data').map((e) => ({ at: `${e.partition}/${e.offset}` })),
      ];
      await waitFor(
        () =>
          new Set(
            reads()
              .flat()
              .map((r) => r.at),
          ).size >= 600,
        'every record read',
        60_000,
      );
      zpsMember.child.kill('SIGINT');
      librdkafka.child.kill('SIGTERM');
      java.child.kill('SIGTERM');
      expect((await zpsMember.result).code).toBe(0);
      await Promise.all([librdkafka.exited, java.exited]);

      const [byZps, byLibrdkafka, byJava] = reads();
      for (const member of [byZps!, byLibrdkafka!, byJava!]) expect(member.length).toBeGreaterThan(0);
      const all = [...byZps!, ...byLibrdkafka!, ...byJava!].map((r) => r.at);
      expect(all.length).toBe(600); // none twice
      expect(new Set(all).size).toBe(600);
      for (const read of [...byZps!, ...byLibrdkafka!]) expect(read.headers).toBe(HEADERS);

      const ends = new Map<number, number>();
      for (const at of all) {
        const [partition, offset] = at.split('/').map(Number) as [number, number];
        ends.set(partition, Math.max(ends.get(partition) ?? 0, offset + 1));
      }
      expect(describedOffsets(brokers(), group, topic)).toEqual(ends);
    } finally {
      for (const member of [zpsMember.child, librdkafka.child, java.child]) if (member.exitCode === null) member.kill('SIGKILL');
    }
  }, 240_000);

  it('a topic grown while a group reads it: the leader assigns the new partitions, which are read', async () => {
    const [topic, group] = [unique('grown'), unique('g')];
    expect((await kz(['publish', topic, 'a'])).code).toBe(0);
    const member = new RunningZps('/nonexistent/unused.sock', ['consume', topic, '-g', group, '-f', '--format', '%p %s\\n'], kafkaEnv());
    try {
      await member.waitForLines(1, 30_000);
      expect((await kz(['topics', 'alter', topic, '--partitions', '2'])).code).toBe(0);
      expect((await kz(['publish', topic, '-p', '1', 'b'])).code).toBe(0);
      expect(await member.waitForLines(2, 30_000)).toEqual(['0 a', '1 b']);
    } finally {
      member.child.kill('SIGINT');
      await member.result;
    }
  }, 90_000);

  it('Ctrl-C while the member joins: it leaves the group at once, which then waits for no one', async () => {
    const { group, member } = await followingNewGroup('joining');
    try {
      // the coordinator holds a new group's first join for 3 s (Kafka's group.initial.rebalance.delay.ms)
      await waitFor(
        async () => (/: PreparingRebalance, 1 member/.test((await kz(['groups', 'describe', group])).stdout) ? true : undefined),
        'zps to be joining',
        30_000,
      );
      member.child.kill('SIGINT');
      expect(await member.result).toMatchObject({ code: 0, stdout: '', stderr: '' });
      // left, not dropped at its session timeout (10 s) as a member that vanished would be
      expect((await kz(['groups', 'describe', group])).stdout).toMatch(/: \w+, 0 members/);
    } finally {
      if (member.child.exitCode === null) member.child.kill('SIGKILL');
    }
  }, 60_000);

  it('a hangup (its terminal closed) stops consume -g as Ctrl-C does: what it printed is committed, it leaves, then ends of the signal', async () => {
    const { topic, group, member } = await followingNewGroup('hangup');
    try {
      expect(await member.waitForLines(1, 30_000)).toEqual(['a']);
      member.child.kill('SIGHUP');
      expect(await member.result).toMatchObject({ code: null, signal: 'SIGHUP', stdout: 'a\n', stderr: '' });
      // left, not dropped at its session timeout (10 s): the next member joins at once and starts after 'a'
      expect((await kz(['groups', 'describe', group])).stdout).toMatch(/: \w+, 0 members/);
      expect((await kz(['publish', topic, 'b'])).code).toBe(0);
      expect(await kz(['consume', topic, '-g', group, '-n', '1', '--timeout', '8s'])).toMatchObject({ code: 0, stdout: 'b\n' });
    } finally {
      if (member.child.exitCode === null) member.child.kill('SIGKILL');
    }
  }, 60_000);

  it('-n with --timeout counts the join: a group waiting for a member gone without leaving is cut short at the deadline', async () => {
    const { topic, group, member: gone } = await followingNewGroup('gone');
    expect(await gone.waitForLines(1, 30_000)).toEqual(['a']);
    gone.child.kill('SIGKILL'); // no LeaveGroup: the group waits for it until its session times out (10 s)
    await gone.result;
    expect((await kz(['publish', topic, 'b'])).code).toBe(0);
    const late = await kz(['consume', topic, '-g', group, '-n', '1', '--timeout', '2s']);
    expect(late).toMatchObject({ code: 3, stdout: '' });
    expect(late.stderr.split('\n')[0]).toBe(`zps: timed out waiting for messages on ${topic}: received 0 of 1 within 2s (still joining group ${group})`);
  }, 60_000);

  it("a group whose members share only range: zps, its leader, assigns as Java's RangeAssignor", async () => {
    const [topic, group] = [unique('range'), unique('g')];
    expect((await kz(['topics', 'create', topic, '--partitions', '5'])).code).toBe(0);
    const zpsMember = new RunningZps('/nonexistent/unused.sock', ['consume', topic, '-g', group, '-f'], kafkaEnv());
    await waitFor(
      async () => (/: Stable, 1 member/.test((await kz(['groups', 'describe', group])).stdout) ? true : undefined),
      'zps to lead the group',
      30_000,
    );
    const librdkafka = new JsonLinesMember(
      spawn(pythonWithKafkaClient(), [`${CLIENT_SCRIPTS}/confluent_group_member.py`, brokers(), topic, group, 'range'], { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    try {
      // member ids sort librdkafka's ("librdkafka-member-…") before zps's: the first range is its (round robin would give it 0, 2, 4)
      const assigned = await waitFor(
        () => librdkafka.events.map((e) => e.assigned as number[] | undefined).find((a) => a !== undefined && a.length > 0),
        'librdkafka to be assigned partitions',
        60_000,
      );
      expect(assigned).toEqual([0, 1, 2]);
    } finally {
      zpsMember.child.kill('SIGINT');
      librdkafka.child.kill('SIGTERM');
      await Promise.all([zpsMember.result, librdkafka.exited]);
    }
  }, 120_000);
});
