import type { Driver, PartitionOffsets } from './driver.js';
import { ZpsError, activeGroupError, usageError } from './errors.js';
import { inParallel } from './in-parallel.js';
import { partitionsOnlyGrow, validateGroupId, validateTopicName } from './limits.js';
import type {
  Admin,
  ClusterDescription,
  GroupDeletion,
  GroupDescription,
  GroupSummary,
  NewTopic,
  OffsetResetOptions,
  OffsetResetPlan,
  OffsetTarget,
  TopicChange,
  TopicDescription,
  TopicSummary,
} from './types.js';

/** A count of partitions or copies: a whole number from 1. */
function checkCount(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw usageError(`invalid ${what} ${n}: use a whole number from 1`);
}

/** How many topics or groups a listing asks about at once. */
const LISTING_PARALLELISM = 16;

/** Messages a partition holds. */
const held = (p: PartitionOffsets) => p.end - p.start;

/** Topic inspection and management, the same in every environment, over a driver. */
export class DriverAdmin implements Admin {
  constructor(private readonly driver: () => Promise<Driver>) {}

  async createTopic(topic: string, options: { partitions: number }): Promise<void> {
    validateTopicName(topic);
    checkCount('partition count', options.partitions);
    await (await this.driver()).createTopic(topic, options.partitions);
  }

  async count(topic: string): Promise<number> {
    validateTopicName(topic);
    const offsets = await (await this.driver()).listOffsets(topic);
    return (offsets ?? []).reduce((sum, p) => sum + held(p), 0);
  }

  /**
   * Messages of the topic the group has not committed: for each partition from the committed
   * offset (or the start, for a partition the group never committed) to the end. A topic that does
   * not exist holds nothing to lag behind: 0, as its count (Kafka refuses to list the group's
   * offsets of a topic it does not know).
   */
  async lag(group: string, topic: string): Promise<number> {
    validateTopicName(topic);
    const driver = await this.driver();
    const offsets = await driver.listOffsets(topic);
    if (!offsets) return 0;
    const committed = await driver.committedOffsets(group, topic);
    return offsets.reduce((sum, p) => sum + Math.max(0, p.end - Math.max(committed.get(p.partition) ?? p.start, p.start)), 0);
  }

  /** Topics by name with their counts; internal ones (names starting with _) only with `all`. */
  async topics(options: { all?: boolean } = {}): Promise<TopicSummary[]> {
    const driver = await this.driver();
    const names = (await driver.listTopics()).filter((topic) => options.all || !topic.startsWith('_')).sort();
    return inParallel(names, LISTING_PARALLELISM, async (topic) => {
      const offsets = (await driver.listOffsets(topic)) ?? [];
      return { topic, partitions: offsets.length, count: offsets.reduce((sum, p) => sum + held(p), 0) };
    });
  }

  async describeTopic(topic: string): Promise<TopicDescription | undefined> {
    validateTopicName(topic);
    const driver = await this.driver();
    const [offsets, placement] = await Promise.all([driver.listOffsets(topic), driver.placement(topic)]);
    if (!offsets) return undefined;
    const replicas = new Map(placement?.partitions.map((p) => [p.partition, p]));
    return {
      topic,
      partitions: offsets.map((p) => {
        const where = replicas.get(p.partition);
        return {
          partition: p.partition,
          first: p.start,
          next: p.end,
          count: held(p),
          ...(where ? { leader: where.leader, replicas: where.replicas, isr: where.isr } : {}),
        };
      }),
      ...(placement ? { configs: placement.configs } : {}),
    };
  }

  async groups(): Promise<GroupSummary[]> {
    const driver = await this.driver();
    const groups = await driver.listGroups();
    const descriptions = await inParallel(groups, LISTING_PARALLELISM, (group) => this.describeGroup(group));
    const summaries: GroupSummary[] = [];
    for (const [i, group] of groups.entries()) {
      const described = descriptions[i];
      if (!described) continue;
      summaries.push({
        group,
        state: described.state,
        members: described.members.length,
        topics: [...new Set(described.partitions.map((p) => p.topic))],
        lag: described.partitions.reduce((sum, p) => sum + p.lag, 0),
      });
    }
    return summaries;
  }

  async describeGroup(group: string): Promise<GroupDescription | undefined> {
    validateGroupId(group);
    const driver = await this.driver();
    const info = await driver.describeGroup(group);
    if (!info) return undefined;
    const topics = [...new Set([...info.committed.map((c) => c.topic), ...info.members.flatMap((m) => m.partitions.map((p) => p.topic))])].sort();
    const committed = new Map(info.committed.map((c) => [`${c.topic}/${c.partition}`, c.offset]));
    const partitions: GroupDescription['partitions'] = [];
    for (const topic of topics) {
      for (const p of (await driver.listOffsets(topic)) ?? []) {
        const offset = committed.get(`${topic}/${p.partition}`) ?? null;
        partitions.push({ topic, partition: p.partition, committed: offset, end: p.end, lag: Math.max(0, p.end - Math.max(offset ?? p.start, p.start)) });
      }
    }
    return { group, state: info.state, partitions, members: info.members };
  }

  async reset(topics?: string[]): Promise<void> {
    topics?.forEach(validateTopicName);
    await (await this.driver()).reset(topics);
  }

  // administration: groups and cluster

  /**
   * As Kafka's kafka-consumer-groups --reset-offsets: the named topics' partitions (or `partitions`
   * of them), or with no topics the partitions the group committed; each new offset within the
   * partition's [start, end]. Applied only with `execute`, and only while the group has no member.
   */
  async resetGroupOffsets(group: string, options: OffsetResetOptions): Promise<OffsetResetPlan[]> {
    validateGroupId(group);
    options.topics?.forEach(validateTopicName);
    const driver = await this.driver();
    const info = await driver.describeGroup(group);
    if (info && info.members.length > 0) throw activeGroupError(group, 'reset offsets of', info.members);
    const committed = new Map((info?.committed ?? []).map((c) => [`${c.topic}/${c.partition}`, c.offset]));
    const topics = options.topics ?? [...new Set(info?.committed.map((c) => c.topic))].sort();
    const plan: OffsetResetPlan[] = [];
    for (const topic of topics) {
      const offsets = await driver.listOffsets(topic, options.to.kind === 'time' ? options.to.timestamp : undefined);
      if (!offsets) throw new ZpsError(`cannot reset offsets of group ${group}: topic ${topic} does not exist`, { code: 'not-found' });
      for (const partition of options.partitions ?? []) {
        if (!offsets.some((p) => p.partition === partition)) throw usageError(`topic ${topic} has no partition ${partition} (it has ${offsets.length})`);
      }
      for (const p of offsets) {
        const now = committed.get(`${topic}/${p.partition}`) ?? null;
        if (options.partitions ? !options.partitions.includes(p.partition) : !options.topics && now === null) continue;
        const wanted = targetOffset(options.to, p, now, `${topic}/${p.partition}`);
        plan.push({ topic, partition: p.partition, committed: now, offset: Math.min(Math.max(wanted, p.start), p.end) });
      }
    }
    if (options.execute) {
      for (const topic of topics) {
        const offsets = new Map(plan.filter((p) => p.topic === topic).map((p) => [p.partition, p.offset]));
        if (offsets.size > 0) await driver.setCommittedOffsets(group, topic, offsets);
      }
    }
    return plan;
  }

  async deleteGroup(groups: string | readonly string[], options: GroupDeletion = {}): Promise<void> {
    const { topic } = options;
    if (topic !== undefined) validateTopicName(topic);
    const named = [...new Set(typeof groups === 'string' ? [groups] : groups)]; // one named twice is deleted once
    for (const group of named) validateGroupId(group);
    const driver = await this.driver();
    const found = await Promise.all(named.map((group) => driver.describeGroup(group)));
    const nothingDone = named.length > 1 ? 'nothing was deleted' : undefined;
    const missing = found.indexOf(undefined);
    if (missing >= 0) throw new ZpsError(`group ${named[missing]} does not exist`, { code: 'not-found', ...(nothingDone && { hint: nothingDone }) });
    const active = found.findIndex((info) => info!.members.length > 0);
    if (active >= 0)
      throw activeGroupError(named[active]!, topic === undefined ? 'delete' : `delete offsets on ${topic} of`, found[active]!.members, nothingDone);
    // Kafka's OffsetDelete refuses a topic it does not know
    if (topic !== undefined && !(await driver.describeTopic(topic))) throw new ZpsError(`topic ${topic} does not exist`, { code: 'not-found' });
    await options.confirm?.();
    for (const group of named) {
      if (topic === undefined) await driver.deleteGroup(group);
      else await driver.deleteGroupOffsets(group, topic);
    }
  }

  async cluster(): Promise<ClusterDescription> {
    return (await this.driver()).describeCluster();
  }

  // administration: topics
  async createTopicWith(topic: string, spec: NewTopic): Promise<boolean> {
    validateTopicName(topic);
    checkCount('partition count', spec.partitions);
    if (spec.replicationFactor !== undefined) checkCount('replication factor', spec.replicationFactor);
    return (await this.driver()).createTopicWith(topic, spec);
  }

  /** Checks what it can before the broker is asked: the topic exists, partitions grow, no setting named twice. */
  async alterTopic(topic: string, change: TopicChange): Promise<void> {
    validateTopicName(topic);
    if (change.partitions !== undefined) checkCount('partition count', change.partitions);
    const named = [...Object.keys(change.set ?? {}), ...(change.unset ?? [])];
    const twice = named.find((name, i) => named.indexOf(name) !== i);
    if (twice !== undefined) throw usageError(`setting ${twice} is named twice: set or unset it once`);
    const driver = await this.driver();
    const info = await driver.describeTopic(topic);
    if (!info) throw new ZpsError(`cannot change topic ${topic}: it does not exist`, { code: 'not-found' });
    if (change.partitions !== undefined && change.partitions <= info.partitions) throw partitionsOnlyGrow(topic, change.partitions, info.partitions);
    await driver.alterTopic(topic, change);
  }

  async deleteTopic(topic: string): Promise<boolean> {
    validateTopicName(topic);
    return (await this.driver()).deleteTopic(topic);
  }
}

/** The offset a reset asks for, before it is brought within the partition's offsets. */
function targetOffset(to: OffsetTarget, offsets: PartitionOffsets, committed: number | null, partition: string): number {
  switch (to.kind) {
    case 'earliest':
      return offsets.start;
    case 'latest':
      return offsets.end;
    case 'offset':
      return to.offset;
    case 'time':
      return offsets.atTime ?? offsets.end;
    case 'shift':
      // as Kafka's tool: a shift is from the committed offset, which the partition must have
      if (committed === null) throw new ZpsError(`cannot shift the offset of ${partition}: the group has no committed offset there`);
      return committed + to.by;
  }
}
