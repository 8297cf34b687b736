/**
 * zps groups reset/delete and zps cluster on the Kafka broker, each change read back by Kafka's
 * own kafka-consumer-groups, and that tool's changes shown by zps; the question on a terminal.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { consumerGroups, describedOffsets } from '../helpers/clients.js';
import { unique, waitFor } from '../helpers/wait.js';
import { spawnOnTty } from '../helpers/tty.js';
import { collect, RunningZps, zps, type RunOptions } from '../helpers/zps.js';

const brokers = () => process.env.ZPS_TEST_BROKERS!;
const kafkaEnv = () => ({ ZPS_ENV: 'test', ZPS_BROKERS: brokers() });
const UNUSED_SOCKET = '/nonexistent/unused.sock';
const kz = (args: string[], options: RunOptions = {}) => zps(UNUSED_SOCKET, args, { ...options, env: { ...kafkaEnv(), ...options.env }, timeoutMs: 60_000 });
const lines = (text: string) => text.split('\n').filter(Boolean);

/** A topic of two partitions (3 and 1 messages) read to its end by a group. */
async function readByGroup(): Promise<{ topic: string; group: string }> {
  const [topic, group] = [unique('admin'), unique('g')];
  expect(await kz(['publish', topic, '--partitions', '2', '-p', '0', 'a', 'b', 'c'])).toMatchObject({ code: 0 });
  expect(await kz(['publish', topic, '-p', '1', 'd'])).toMatchObject({ code: 0 });
  expect(lines((await kz(['consume', topic, '-g', group, '-o', 'beginning'])).stdout)).toHaveLength(4);
  return { topic, group };
}

describe('zps groups reset and delete on Kafka', () => {
  it('reset prints the plan and changes nothing; --execute applies it, as kafka-consumer-groups sees; the group then reads again', async () => {
    const { topic, group } = await readByGroup();
    expect(await kz(['groups', 'reset', group, '--topic', topic, '--to-earliest'])).toMatchObject({
      code: 0,
      stdout: `${topic}\t0\t3\t0\n${topic}\t1\t1\t0\n`,
    });
    expect(describedOffsets(brokers(), group, topic)).toEqual(
      new Map([
        [0, 3],
        [1, 1],
      ]),
    );
    expect(await kz(['groups', 'reset', group, '--topic', topic, '--to-earliest', '--execute'])).toMatchObject({ code: 0 });
    expect(describedOffsets(brokers(), group, topic)).toEqual(
      new Map([
        [0, 0],
        [1, 0],
      ]),
    );
    expect(lines((await kz(['consume', topic, '-g', group])).stdout).sort()).toEqual(['a', 'b', 'c', 'd']);
    // kafka-consumer-groups moves it; zps shows it
    expect(consumerGroups(brokers(), ['--reset-offsets', '--group', group, '--topic', topic, '--to-offset', '1', '--execute']).code).toBe(0);
    const described = JSON.parse((await kz(['groups', 'describe', group, '--json'])).stdout);
    expect(described.partitions.map((p: { committed: number }) => p.committed)).toEqual([1, 1]);
  }, 180_000);

  it('delete asks on a terminal (no: exit 1), needs --yes in a script (exit 2 with a hint); --topic and the group, as kafka-consumer-groups sees', async () => {
    const { topic, group } = await readByGroup();
    const script = await kz(['groups', 'delete', group]);
    expect(script.code).toBe(2);
    expect(script.stderr).toMatch(/^zps: refusing to delete without confirmation\n.*--yes/);

    const child = spawnOnTty(['groups', 'delete', group], { ZPS_SOCKET: UNUSED_SOCKET, ...kafkaEnv() }, true);
    let seen = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (seen += chunk));
    const answered = collect(child);
    await waitFor(() => seen.includes('[y/N]'), 'the question');
    child.stdin!.write('n\n');
    const no = await answered;
    child.stdin!.end();
    expect(no.code).toBe(1);
    expect(seen).toContain(`delete group ${group} in test? [y/N]`);
    expect(seen).toContain('zps: delete cancelled');
    expect(describedOffsets(brokers(), group, topic).size).toBe(2);

    expect(await kz(['groups', 'delete', group, '--topic', topic, '--yes'])).toMatchObject({ code: 0 });
    expect(describedOffsets(brokers(), group, topic)).toEqual(new Map());
    expect(await kz(['groups', 'reset', group, '--topic', topic, '--to-latest', '--execute'])).toMatchObject({ code: 0 });
    expect(await kz(['groups', 'delete', group, '--yes'])).toMatchObject({ code: 0 });
    const gone = consumerGroups(brokers(), ['--describe', '--group', group]);
    expect(gone.stdout + gone.stderr).toContain(`GroupIdNotFoundException: Group ${group} not found`);
    expect(await kz(['groups', 'delete', group, '--yes'])).toMatchObject({ code: 1, stderr: `zps: group ${group} does not exist\n` });
  }, 180_000);

  it('refuses a group with active members, naming them, and changes nothing', async () => {
    const { topic, group } = await readByGroup();
    const member = new RunningZps(UNUSED_SOCKET, ['consume', topic, '-g', group, '-f'], kafkaEnv());
    try {
      const id = await waitFor(
        async () => JSON.parse((await kz(['groups', 'describe', group, '--json'])).stdout || '{}').members?.[0]?.id as string | undefined,
        'the member',
        60_000,
      );
      const refused = await kz(['groups', 'reset', group, '--topic', topic, '--to-earliest', '--execute']);
      expect(refused.code).toBe(1);
      expect(refused.stderr.split('\n')[0]).toMatch(new RegExp(`^zps: cannot reset offsets of group ${group}: it has active members: ${id} \\(`));
      expect((await kz(['groups', 'delete', group, '--yes'])).stderr).toContain(id);
    } finally {
      member.child.kill('SIGINT');
      await member.result;
    }
    expect(describedOffsets(brokers(), group, topic)).toEqual(
      new Map([
        [0, 3],
        [1, 1],
      ]),
    );
  }, 180_000);
});

describe('zps cluster on Kafka', () => {
  it('tells the cluster id, the brokers and the controller, as kcat -L does', async () => {
    const described = JSON.parse((await kz(['cluster', '--json'])).stdout);
    const metadata = spawnSync('kcat', ['-b', brokers(), '-L'], { encoding: 'utf8', timeout: 30_000 });
    const told = [...metadata.stdout.matchAll(/broker (\d+) at (\S+)/g)].map(([, id, address]) => ({ id: Number(id), address }));
    expect(described.brokers.map(({ id, address }: { id: number; address: string }) => ({ id, address }))).toEqual(told);
    expect(metadata.stdout).toContain(`broker ${described.controller} at`);
    expect(metadata.stdout).toMatch(new RegExp(`broker ${described.controller} at \\S+ \\(controller\\)`));
    expect(described.clusterId).toMatch(/^[\w-]{22}$/);
    expect(lines((await kz(['cluster'])).stdout)[0]).toBe(
      `cluster ${described.clusterId}: ${told.length} broker${told.length === 1 ? '' : 's'}, controller ${described.controller}`,
    );
  });
});
