import { spawnSync } from 'node:child_process';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaTool } from '../helpers/clients.js';
import { kafkaListenerDaemon } from '../helpers/kafka-listener-daemon.js';
import { unique } from '../helpers/wait.js';
import { zps } from '../helpers/zps.js';

/**
 * Topic administration in local mode through the built CLI, each change read back by another
 * client at the daemon's Kafka door (Kafka's own TopicCommand and ConfigCommand), and the other
 * way: what those tools change, `zps topics describe` shows. One broker, two doors.
 */
const daemon = kafkaListenerDaemon();
const run = (args: string[]) => zps(daemon.socket(), args);
const topicCommand = (...args: string[]) => kafkaTool('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', daemon.address(), ...args]);
const configCommand = (...args: string[]) =>
  kafkaTool('kafka.admin.ConfigCommand', ['--bootstrap-server', daemon.address(), '--entity-type', 'topics', ...args]);

/** TopicCommand's --describe of a topic: its header line (counts and dynamic configs). */
function describedByKafka(topic: string): string {
  const described = topicCommand('--describe', '--topic', topic);
  expect(described.code, described.stderr).toBe(0);
  return described.stdout.split('\n')[0]!;
}

describe('zps topics create, alter, delete on the local daemon', { timeout: 120_000 }, () => {
  it('creates with settings, grows and changes them; Kafka tools read each change back', async () => {
    const t = unique('admin');
    const created = await run(['topics', 'create', t, '-p', '2', '-c', 'retention.ms=60000', '--config', 'max.message.bytes=4000', '--json']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(created.stdout)).toEqual({ topic: t, created: true, partitions: 2, configs: { 'retention.ms': '60000', 'max.message.bytes': '4000' } });
    expect(describedByKafka(t)).toMatch(/PartitionCount: 2\s.*Configs: max\.message\.bytes=4000,retention\.ms=60000/);
    expect(await run(['topics', 'create', t])).toMatchObject({
      code: 1,
      stderr: `zps: cannot create topic ${t}: it already exists\npass --if-not-exists to accept an existing topic\n`,
    });
    expect(await run(['topics', 'create', t, '--if-not-exists', '--json'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(await run(['topics', 'create', t, '-p', '2', '--if-not-exists'])).toMatchObject({ code: 0, stderr: '' });
    expect(await run(['topics', 'create', t, '-p', '5', '--if-not-exists'])).toMatchObject({
      code: 0,
      stdout: '',
      stderr: `zps: topic ${t} already exists with 2 partitions: --partitions 5 is ignored\n`,
    });

    const altered = await run(['topics', 'alter', t, '--partitions', '3', '--set', 'retention.bytes=100000', '--unset', 'retention.ms', '--json']);
    expect(altered).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(altered.stdout)).toEqual({ topic: t, altered: true, partitions: 3, set: { 'retention.bytes': '100000' }, unset: ['retention.ms'] });
    const settingOnly = await run(['topics', 'alter', t, '--set', 'retention.bytes=100000', '--json']); // the same again: nothing else moves
    expect(JSON.parse(settingOnly.stdout)).toEqual({ topic: t, altered: true, partitions: 3, set: { 'retention.bytes': '100000' }, unset: [] });
    expect(describedByKafka(t)).toMatch(/PartitionCount: 3\s.*Configs: max\.message\.bytes=4000,retention\.bytes=100000$/);
    const configs = configCommand('--describe', '--entity-name', t);
    expect(configs.stdout).toContain('retention.bytes=100000 sensitive=false');
    expect(configs.stdout).not.toContain('retention.ms=');
  });

  it("shows what Kafka's tools create and change at the Kafka door", async () => {
    const t = unique('admin-tools');
    expect(topicCommand('--create', '--topic', t, '--partitions', '2', '--config', 'retention.ms=12345').code).toBe(0);
    expect(topicCommand('--alter', '--topic', t, '--partitions', '4').code).toBe(0);
    expect(configCommand('--alter', '--entity-name', t, '--add-config', 'retention.bytes=5000', '--delete-config', 'retention.ms').code).toBe(0);
    const described = await run(['topics', 'describe', t]);
    expect(described).toMatchObject({ code: 0, stderr: '' });
    expect(described.stdout).toMatch(new RegExp(`^topic ${t}: 4 partitions, 0 messages\n`));
    expect(described.stdout.trim().split('\n').at(-1)).toBe('retention.bytes=5000');
    expect(JSON.parse((await run(['topics', 'describe', t, '--json'])).stdout).configs).toEqual({ 'retention.bytes': '5000' });
    // Kafka's refusals come back to the tools in Kafka's terms
    const fewer = topicCommand('--alter', '--topic', t, '--partitions', '2');
    expect(fewer.stdout + fewer.stderr).toContain('Topic currently has 4 partitions, which is higher than the requested 2.');
    const compact = configCommand('--alter', '--entity-name', t, '--add-config', 'cleanup.policy=compact');
    expect(compact.stdout + compact.stderr).toContain('InvalidConfigurationException: cannot set cleanup.policy=compact');
    expect(topicCommand('--delete', '--topic', t).code).toBe(0);
    expect(await run(['topics', 'describe', t])).toMatchObject({ code: 1, stderr: `zps: topic ${t} does not exist\n` });
  });

  it("AlterConfigs (kafkajs's admin) replaces a topic's whole set of settings; validateOnly changes nothing", async () => {
    const t = unique('admin-alterconfigs');
    await run(['topics', 'create', t, '-c', 'retention.ms=60000', '-c', 'segment.ms=3600000']);
    const admin = new kafkajs.Kafka({ brokers: [daemon.address()], logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const resources = [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: t, configEntries: [{ name: 'retention.bytes', value: '7000' }] }];
      await admin.alterConfigs({ resources, validateOnly: true });
      expect(JSON.parse((await run(['topics', 'describe', t, '--json'])).stdout).configs).toEqual({ 'retention.ms': '60000', 'segment.ms': '3600000' });
      await admin.alterConfigs({ resources, validateOnly: false });
      expect(JSON.parse((await run(['topics', 'describe', t, '--json'])).stdout).configs).toEqual({ 'retention.bytes': '7000' });
      const refused = [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: t, configEntries: [{ name: 'retention.mss', value: '1' }] }];
      await expect(admin.alterConfigs({ resources: refused, validateOnly: false })).rejects.toMatchObject({ type: 'INVALID_CONFIG' });
    } finally {
      await admin.disconnect();
    }
  });

  it("a topic's max.message.bytes holds at the Kafka door too (kcat)", async () => {
    const t = unique('admin-max');
    expect((await run(['topics', 'create', t, '-c', 'max.message.bytes=2000'])).code).toBe(0);
    const large = spawnSync('kcat', ['-P', '-b', daemon.address(), '-t', t], { input: `${'x'.repeat(3000)}\n`, encoding: 'utf8', timeout: 30_000 });
    expect(large.status).toBe(1);
    expect(large.stderr).toContain('Message size too large');
    expect(spawnSync('kcat', ['-P', '-b', daemon.address(), '-t', t], { input: 'small\n', timeout: 30_000 }).status).toBe(0);
    expect((await run(['count', t])).stdout).toBe('1\n');
  });

  it('deletes topics without asking (local mode), and a deleted topic starts again from offset 0', async () => {
    const [a, b] = [unique('admin-del'), unique('admin-del')];
    await run(['publish', a, 'one', 'two']);
    await run(['publish', b, 'one']);
    const deleted = await run(['topics', 'delete', a, b, a, '--json']); // one named twice is deleted once
    expect(deleted).toMatchObject({ code: 0, stderr: '' });
    expect(
      deleted.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([
      { topic: a, deleted: true },
      { topic: b, deleted: true },
    ]);
    expect(topicCommand('--list').stdout.split('\n')).not.toContain(a);
    const again = await run(['publish', a, 'first again', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ topic: a, partition: 0, offset: 0 });
  });

  it('refuses in zps words: fewer partitions, an unknown or compacting setting (2), a missing topic (1)', async () => {
    const t = unique('admin-refused');
    await run(['topics', 'create', t, '-p', '3']);
    expect(await run(['topics', 'alter', t, '--partitions', '2'])).toMatchObject({
      code: 2,
      stderr: `zps: cannot change topic ${t} to 2 partitions: it has 3, and partitions only grow\n`,
    });
    expect(await run(['topics', 'create', unique('admin-refused'), '-c', 'retention.mss=1'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(
        /^zps: cannot set retention\.mss on topic \S+: Kafka has no topic setting retention\.mss \(did you mean retention\.ms\?\)\n/,
      ),
    });
    expect(await run(['topics', 'alter', t, '--set', 'cleanup.policy=compact'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(`zps: cannot set cleanup.policy=compact on topic ${t}: local mode cannot honour compaction`),
    });
    expect(await run(['topics', 'alter', t, '--set', 'compression.type=gzip'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('local mode cannot honour it'),
    });
    const missing = unique('admin-missing');
    expect(await run(['topics', 'alter', missing, '--partitions', '5'])).toMatchObject({
      code: 1,
      stderr: `zps: cannot change topic ${missing}: it does not exist\n`,
    });
    expect(await run(['topics', 'delete', t, missing])).toMatchObject({
      code: 1,
      stderr: `zps: cannot delete: topic ${missing} does not exist\nnothing was deleted; pass --if-exists to skip missing topics\n`,
    });
    expect((await run(['topics', 'describe', t])).code).toBe(0); // nothing was deleted
    expect(await run(['topics', 'delete', t, missing, '--if-exists'])).toMatchObject({ code: 0, stderr: '' });
    expect(await run(['topics', 'alter', t])).toMatchObject({ code: 2, stderr: expect.stringContaining('name a change: --partitions, --set or --unset') });
  });
});
