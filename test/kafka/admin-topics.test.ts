import { describe, expect, it } from 'vitest';
import { kafkaTool } from '../helpers/clients.js';
import { spawnOnTty } from '../helpers/tty.js';
import { unique, waitFor } from '../helpers/wait.js';
import { collect, zps, type RunOptions } from '../helpers/zps.js';

/**
 * Topic administration on the real broker through the built CLI, each change read back by Kafka's
 * own TopicCommand and ConfigCommand; refusals in zps's words.
 */
const kafkaEnv = () => ({ ZPS_ENV: 'test', ZPS_BROKERS: process.env.ZPS_TEST_BROKERS! });
const kz = (args: string[], options: RunOptions = {}) =>
  zps('/nonexistent/unused.sock', args, { ...options, env: { ...kafkaEnv(), ...options.env }, timeoutMs: 60_000 });
const topicCommand = (...args: string[]) => kafkaTool('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', process.env.ZPS_TEST_BROKERS!, ...args]);
const configCommand = (...args: string[]) =>
  kafkaTool('kafka.admin.ConfigCommand', ['--bootstrap-server', process.env.ZPS_TEST_BROKERS!, '--entity-type', 'topics', ...args]);
const brokers = () => process.env.ZPS_TEST_BROKERS!;

describe('zps topics create, alter, delete on Kafka', { timeout: 120_000 }, () => {
  it('creates with settings, grows partitions, sets and unsets; Kafka tools read each change back', async () => {
    const t = unique('kadmin');
    const created = await kz([
      'topics',
      'create',
      t,
      '-p',
      '2',
      '--replication-factor',
      '1',
      '-c',
      'retention.ms=60000',
      '-c',
      'max.message.bytes=4000',
      '--json',
    ]);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(created.stdout)).toMatchObject({ topic: t, created: true, partitions: 2 });
    const described = topicCommand('--describe', '--topic', t);
    expect(described.stdout).toMatch(/PartitionCount: 2\s+ReplicationFactor: 1\s+Configs: .*max\.message\.bytes=4000/);
    expect(described.stdout).toMatch(/retention\.ms=60000/);
    expect(await kz(['topics', 'create', t])).toMatchObject({
      code: 1,
      stderr: `zps: cannot create topic ${t}: it already exists on ${brokers()}\npass --if-not-exists to accept an existing topic\n`,
    });
    expect(await kz(['topics', 'create', t, '--if-not-exists'])).toMatchObject({ code: 0, stdout: '' });

    expect(await kz(['topics', 'alter', t, '--partitions', '3', '--set', 'retention.bytes=100000', '--unset', 'retention.ms'])).toMatchObject({
      code: 0,
      stderr: '',
    });
    const configs = configCommand('--describe', '--entity-name', t);
    expect(configs.stdout).toContain('retention.bytes=100000 sensitive=false');
    expect(configs.stdout).toContain('max.message.bytes=4000 sensitive=false');
    expect(configs.stdout).not.toContain('retention.ms=60000');
    await waitFor(() => /PartitionCount: 3\s/.test(topicCommand('--describe', '--topic', t).stdout), '3 partitions');
    // and zps shows every setting set on the topic
    const shown = JSON.parse((await kz(['topics', 'describe', t, '--json'])).stdout);
    expect(shown.partitions).toHaveLength(3);
    expect(shown.configs).toMatchObject({ 'retention.bytes': '100000', 'max.message.bytes': '4000', 'retention.ms': '604800000' });
  });

  it("shows what Kafka's tools change", async () => {
    const t = unique('kadmin-tools');
    expect(topicCommand('--create', '--topic', t, '--partitions', '1').code).toBe(0);
    expect(configCommand('--alter', '--entity-name', t, '--add-config', 'segment.ms=3600000').code).toBe(0);
    await waitFor(async () => (await kz(['topics', 'describe', t])).stdout.includes('segment.ms=3600000'), 'the setting in zps topics describe');
  });

  it('refuses in zps words: fewer partitions, an unknown setting (2), a missing topic (1)', async () => {
    const t = unique('kadmin-refused');
    await kz(['topics', 'create', t, '-p', '2']);
    expect(await kz(['topics', 'alter', t, '--partitions', '1'])).toMatchObject({
      code: 2,
      stderr: `zps: cannot change topic ${t} to 1 partitions: it has 2, and partitions only grow\n`,
    });
    expect(await kz(['topics', 'alter', t, '--set', 'retention.mss=5'])).toMatchObject({
      code: 2,
      stderr: `zps: cannot change the settings of topic ${t}: Unknown topic config name: retention.mss (did you mean retention.ms?)\n`,
    });
    // a refused setting leaves the partitions as they were
    expect((await kz(['topics', 'alter', t, '--partitions', '3', '--set', 'retention.ms=soon'])).code).toBe(2);
    expect(JSON.parse((await kz(['topics', 'describe', t, '--json'])).stdout).partitions).toHaveLength(2);
    expect(await kz(['topics', 'create', unique('kadmin-refused'), '-c', 'retention.ms=soon'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('Invalid value soon for configuration retention.ms'),
    });
    const missing = unique('kadmin-missing');
    expect(await kz(['topics', 'alter', missing, '--partitions', '3'])).toMatchObject({
      code: 1,
      stderr: `zps: cannot change topic ${missing}: it does not exist\n`,
    });
    expect(await kz(['topics', 'delete', missing, '--yes'])).toMatchObject({
      code: 1,
      stderr: `zps: cannot delete: topic ${missing} does not exist on ${brokers()}\npass --if-exists to accept a missing topic\n`,
    });
    expect(await kz(['topics', 'delete', missing, '--yes', '--if-exists'])).toMatchObject({ code: 0, stdout: '' });
  });

  it('deletes only after --yes in a script; "no" on a terminal keeps the topic', async () => {
    const t = unique('kadmin-delete');
    await kz(['publish', t, 'one', 'two']);
    expect(await kz(['topics', 'delete', t])).toMatchObject({
      code: 2,
      stderr: 'zps: refusing to delete without confirmation\npass --yes to confirm from a script\n',
    });
    const asked = spawnOnTty(['topics', 'delete', t], kafkaEnv(), true);
    const answered = collect(asked);
    let seen = '';
    asked.stdout!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    await waitFor(() => seen.includes(`delete topic ${t} with every message in test? [y/N]`), 'the question on the terminal');
    asked.stdin!.end('no\n');
    expect((await answered).code).toBe(1);
    expect(seen).toContain('zps: delete cancelled');
    expect(topicCommand('--list').stdout.split('\n')).toContain(t);

    const deleted = await kz(['topics', 'delete', t, '--yes', '--json']);
    expect(deleted).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(deleted.stdout)).toEqual({ topic: t, deleted: true });
    await waitFor(() => !topicCommand('--list').stdout.split('\n').includes(t), 'the topic gone for TopicCommand');
    // created again: offsets from 0
    await waitFor(async () => (await kz(['topics', 'create', t])).code === 0, 'the topic created again', 30_000);
    expect(JSON.parse((await kz(['publish', t, 'first again', '--json'])).stdout)).toMatchObject({ topic: t, partition: 0, offset: 0 });
  });
});
