/**
 * zps groups reset/delete and zps cluster on the daemon, each change read back by Kafka's own
 * kafka-consumer-groups through the daemon's Kafka listener, and that tool's changes shown by zps:
 * one store of groups behind both doors.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { consumerGroups, describedOffsets } from '../helpers/clients.js';
import { kafkaListenerDaemon } from '../helpers/kafka-listener-daemon.js';
import { unique, waitFor } from '../helpers/wait.js';
import { spawnOnTty } from '../helpers/tty.js';
import { collect, RunningZps, zps } from '../helpers/zps.js';

const listener = kafkaListenerDaemon();
const run = (args: string[], input?: string) => zps(listener.socket(), args, { input, timeoutMs: 60_000 });
const lines = (text: string) => text.split('\n').filter(Boolean);
const committedByZps = async (group: string) => {
  const described = await run(['groups', 'describe', group, '--json']);
  if (described.code !== 0) return undefined;
  return Object.fromEntries(
    (JSON.parse(described.stdout) as { partitions: Array<{ partition: number; committed: number | null }> }).partitions.map((p) => [p.partition, p.committed]),
  );
};

/** A topic of two partitions (3 and 1 messages) read to its end by a group. */
async function readByGroup(): Promise<{ topic: string; group: string }> {
  const [topic, group] = [unique('admin'), unique('g')];
  expect(await run(['publish', topic, '--partitions', '2', '-p', '0', 'a', 'b', 'c'])).toMatchObject({ code: 0 });
  expect(await run(['publish', topic, '-p', '1', 'd'])).toMatchObject({ code: 0 });
  expect(lines((await run(['consume', topic, '-g', group, '-o', 'beginning'])).stdout)).toHaveLength(4);
  return { topic, group };
}

describe('zps groups reset and delete on the daemon', () => {
  it('reset prints the plan and changes nothing; --execute applies it, as kafka-consumer-groups sees; the group then reads again', async () => {
    const { topic, group } = await readByGroup();
    const plan = await run(['groups', 'reset', group, '--topic', topic, '--to-earliest']);
    expect(plan).toMatchObject({ code: 0, stdout: `${topic}\t0\t3\t0\n${topic}\t1\t1\t0\n` });
    expect(describedOffsets(listener.address(), group, topic)).toEqual(
      new Map([
        [0, 3],
        [1, 1],
      ]),
    );

    const json = await run(['groups', 'reset', group, '--all-topics', '--shift-by', '-1', '--json', '-p', '0']);
    expect(lines(json.stdout).map((line) => JSON.parse(line))).toEqual([{ topic, partition: 0, committed: 3, offset: 2 }]);

    expect(await run(['groups', 'reset', group, '--topic', topic, '--to-earliest', '--execute'])).toMatchObject({ code: 0 });
    expect(describedOffsets(listener.address(), group, topic)).toEqual(
      new Map([
        [0, 0],
        [1, 0],
      ]),
    );
    // the replay: the group reads every message again
    expect(lines((await run(['consume', topic, '-g', group])).stdout).sort()).toEqual(['a', 'b', 'c', 'd']);

    // clamped to the partition's end
    expect((await run(['groups', 'reset', group, '--topic', topic, '--to-offset', '2', '--execute'])).stdout).toBe(`${topic}\t0\t3\t2\n${topic}\t1\t1\t1\n`);
    expect(describedOffsets(listener.address(), group, topic)).toEqual(
      new Map([
        [0, 2],
        [1, 1],
      ]),
    );
  }, 120_000);

  it('on a terminal the plan is a table, and says nothing changed', async () => {
    const { topic, group } = await readByGroup();
    const tty = await collect(spawnOnTty(['groups', 'reset', group, '--topic', topic, '--to-offset', '1'], { ZPS_SOCKET: listener.socket() }));
    expect(tty.code).toBe(0);
    const shown = tty.stdout
      .replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '')
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter(Boolean);
    // the note is on stderr, the same terminal: in either order
    const note = 'nothing changed: --execute applies the plan';
    expect(shown).toContain(note);
    expect(shown.filter((line) => line !== note)).toEqual([
      `topic${' '.repeat(topic.length - 3)}partition  committed  new`,
      `${topic}  0          3          1`,
      `${topic}  1          1          1`,
    ]);
    expect(await committedByZps(group)).toEqual({ 0: 3, 1: 1 });
  });

  it("kafka-consumer-groups' --reset-offsets --execute, --delete-offsets and --delete on the listener show in zps groups", async () => {
    const { topic, group } = await readByGroup();
    const reset = consumerGroups(listener.address(), ['--reset-offsets', '--group', group, '--topic', topic, '--to-offset', '1', '--execute']);
    expect(reset.code).toBe(0);
    expect(await committedByZps(group)).toEqual({ 0: 1, 1: 1 });
    expect(consumerGroups(listener.address(), ['--delete-offsets', '--group', group, '--topic', topic]).code).toBe(0);
    expect(await committedByZps(group)).toBeUndefined();
    expect(await run(['groups', 'reset', group, '--topic', topic, '--to-latest', '--execute'])).toMatchObject({ code: 0 });
    expect(consumerGroups(listener.address(), ['--delete', '--group', group]).stdout).toContain(
      `Deletion of requested consumer groups ('${group}') was successful`,
    );
    expect(await run(['groups', 'describe', group])).toMatchObject({ code: 1, stderr: `zps: group ${group} does not exist\n` });
  }, 120_000);

  it('delete --topic deletes that topic of the group, delete the group (no question in local mode); kafka-consumer-groups agrees', async () => {
    const { topic, group } = await readByGroup();
    const other = unique('admin');
    expect(await run(['publish', other, 'x'])).toMatchObject({ code: 0 });
    expect(await run(['groups', 'reset', group, '--topic', other, '--to-earliest', '--execute'])).toMatchObject({ code: 0 });
    // a missing group or topic, or a group named twice: all checked before anything is deleted
    const missing = unique('admin-missing');
    expect(await run(['groups', 'delete', group, missing])).toMatchObject({ code: 1, stderr: `zps: group ${missing} does not exist\nnothing was deleted\n` });
    expect(await run(['groups', 'delete', group, '--topic', missing])).toMatchObject({ code: 1, stderr: `zps: topic ${missing} does not exist\n` });
    expect(describedOffsets(listener.address(), group, topic).size).toBeGreaterThan(0);
    expect(await run(['groups', 'delete', group, group, '--topic', topic])).toMatchObject({ code: 0, stdout: '' });
    expect(describedOffsets(listener.address(), group, topic)).toEqual(new Map());
    expect(describedOffsets(listener.address(), group, other)).toEqual(new Map([[0, 0]]));
    expect(await run(['groups', 'delete', group])).toMatchObject({ code: 0 });
    const gone = consumerGroups(listener.address(), ['--describe', '--group', group]);
    expect(gone.stdout + gone.stderr).toContain(`Consumer group '${group}' does not exist`);
    expect(await run(['groups', 'delete', group])).toMatchObject({ code: 1, stderr: `zps: group ${group} does not exist\n` });
  }, 120_000);

  it('refuses: a group with active members (naming them), no --to-*, two of them, no topics', async () => {
    const { topic, group } = await readByGroup();
    const member = new RunningZps(listener.socket(), ['consume', topic, '-g', group, '-f']);
    try {
      const id = await waitFor(
        async () => JSON.parse((await run(['groups', 'describe', group, '--json'])).stdout || '{}').members?.[0]?.id as string | undefined,
        'the member',
      );
      const refused = await run(['groups', 'reset', group, '--topic', topic, '--to-earliest', '--execute']);
      expect(refused.code).toBe(1);
      expect(refused.stderr.split('\n')[0]).toBe(`zps: cannot reset offsets of group ${group}: it has active members: ${id} (zps@local)`);
      const deleted = await run(['groups', 'delete', group]);
      expect(deleted.code).toBe(1);
      expect(deleted.stderr).toContain(id);
      expect(await committedByZps(group)).toEqual({ 0: 3, 1: 1 });
    } finally {
      member.child.kill('SIGINT');
      await member.result;
    }
    expect(await run(['groups', 'reset', group, '--topic', topic])).toMatchObject({ code: 2 });
    expect((await run(['groups', 'reset', group, '--topic', topic, '--to-earliest', '--to-latest'])).stderr).toMatch(/^zps: name exactly one of --to-earliest/);
    expect(await run(['groups', 'reset', group, '--to-earliest'])).toMatchObject({ code: 2 });
    expect(await run(['groups', 'rest', group])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^zps: unknown groups command 'rest': use describe, reset or delete\n/),
    });
    expect(await run(['groups', 'reset', group, '--topic', topic, '--to-time', 'yesterday'])).toMatchObject({ code: 2 });
  }, 120_000);
});

describe('zps cluster on the daemon', () => {
  it('tells the daemon as one broker: its socket and its Kafka listener, as Kafka clients are told', async () => {
    const described = JSON.parse((await run(['cluster', '--json'])).stdout);
    expect(described).toEqual({
      clusterId: expect.stringMatching(/^[\w-]{22}$/),
      controller: 0,
      brokers: [{ id: 0, address: listener.socket(), rack: null, kafka: listener.address() }],
    });
    expect(JSON.parse((await run(['cluster', '--json'])).stdout)).toEqual(described);
    const metadata = spawnSync('kcat', ['-b', listener.address(), '-L'], { encoding: 'utf8', timeout: 30_000 });
    expect(metadata.stdout).toContain(`broker 0 at ${listener.address()} (controller)`);
    expect(lines((await run(['cluster'])).stdout)[0]).toBe(`cluster ${described.clusterId}: 1 broker, controller 0`);
  });
});
