import { decodeAssignment } from '../wire/kafka/consumer-protocol.js';
import type { GroupInfo, PartitionOffsets, TopicPlacement } from '../pubsub/driver.js';
import { usageError } from '../pubsub/errors.js';
import { KafkaErrorCode } from '../wire/kafka/errors.js';
import {
  brokerError,
  DeleteGroups,
  DeleteRecords,
  DescribeConfigs,
  DescribeGroups,
  ListGroups,
  ListOffsets,
  OffsetCommit,
  OffsetFetch,
  TOPIC_RESOURCE,
} from '../wire/kafka/messages.js';
import { withDeadline, type KafkaSettings } from './connection.js';
import { COORDINATOR_MOVED } from './group/coordinator.js';
import { anyBroker, call, callBroker, withCoordinator, type Broker, type Cluster } from './internals.js';
import { askMetadata, byLeader, type KnownLeaders, nodeBroker, leadersIn, topicIn } from './topic-metadata.js';

/** DescribeConfigs' source of a setting set on the topic itself. */
const TOPIC_CONFIG_SOURCE = 1;

/** The topic settings `zps topics describe` shows, besides every one set on the topic. */
const PLACEMENT_CONFIGS = ['retention.ms', 'retention.bytes', 'cleanup.policy', 'max.message.bytes'];

/** ListOffsets' timestamps that stand for a partition's first offset and its end. */
const EARLIEST = -2;
const LATEST = -1;
/** Offsets up to the last stable one: a transaction still open is not counted. */
const READ_COMMITTED = 1;

/**
 * A coordinator moving or loading: the request goes again, to the coordinator found anew.
 * (brokerError marks only the retriable errors of produce and metadata requests.)
 */
const COORDINATOR_ERRORS: ReadonlySet<number> = new Set([...COORDINATOR_MOVED, KafkaErrorCode.UNSTABLE_OFFSET_COMMIT]);

/** A group coordinator's error; retriable when the coordinator moved or is loading. */
function coordinatorError(code: number, what: string): Error {
  const error = brokerError(code, what);
  if (COORDINATOR_ERRORS.has(code)) error.retriable = true;
  return error;
}

/** The first error among `codes`, thrown as a coordinator's. */
function throwFirst(codes: readonly number[], what: string): void {
  const code = codes.find((c) => c !== KafkaErrorCode.NONE);
  if (code !== undefined) throw coordinatorError(code, what);
}

/**
 * Topics, offsets and groups with zps's own requests over the driver's cluster: the Kafka driver's
 * metadata half. Requests that wait on no answer go together; every call gives up within the
 * command's timeout (asked again meanwhile when the error is retriable: a leader or a coordinator
 * moved, a topic just created) and speaks zps's words.
 */
export class KafkaAdmin {
  constructor(
    private readonly cluster: () => Promise<Cluster>,
    private readonly settings: KafkaSettings,
    private readonly known: KnownLeaders,
  ) {}

  private run<T>(what: string, work: (cluster: Cluster) => Promise<T>, topic?: string): Promise<T> {
    return withDeadline(this.settings, what, async () => work(await this.cluster()), topic);
  }

  async listTopics(): Promise<string[]> {
    return this.run('list topics', async (cluster) => {
      const metadata = await askMetadata(await anyBroker(cluster), null, this.settings.timeoutMs);
      return metadata.topics.flatMap((t) => (t.name === null ? [] : [t.name]));
    });
  }

  async listOffsets(topic: string, atTime?: number): Promise<PartitionOffsets[] | undefined> {
    return this.run(`read offsets of ${topic}`, (cluster) => this.offsetsOf(cluster, topic, atTime), topic);
  }

  async committedOffsets(group: string, topic: string): Promise<Map<number, number>> {
    return this.run(
      `read offsets of group ${group}`,
      async (cluster) => {
        const committed = new Map<number, number>();
        for (const c of await withCoordinator(cluster, group, (coordinator) => this.committed(cluster, coordinator, group))) {
          if (c.topic === topic) committed.set(c.partition, c.offset);
        }
        return committed;
      },
      topic,
    );
  }

  /**
   * Commits a group's offsets as a client outside the group (generation -1, no member id: Kafka's
   * own tools' reset); accepted only while the group has no member running.
   */
  async setGroupOffsets(group: string, topic: string, offsets: ReadonlyMap<number, number>): Promise<void> {
    if (offsets.size === 0) return;
    await this.run(
      `set offsets of group ${group}`,
      async (cluster) => {
        await withCoordinator(cluster, group, async (coordinator) => {
          const response = await call(
            cluster,
            coordinator,
            OffsetCommit,
            {
              groupId: group,
              generationIdOrMemberEpoch: -1,
              memberId: '',
              groupInstanceId: null,
              retentionTimeMs: -1,
              topics: [
                {
                  name: topic,
                  partitions: [...offsets].map(([partitionIndex, committedOffset]) => ({
                    partitionIndex,
                    committedOffset,
                    committedLeaderEpoch: -1,
                    committedMetadata: null,
                  })),
                },
              ],
            },
            this.settings.timeoutMs,
          );
          throwFirst(
            response.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)),
            `committing offsets of group ${group} on ${topic}`,
          );
        });
      },
      topic,
    );
  }

  /** Deletes the group; Kafka refuses one with members (NON_EMPTY_GROUP). */
  async deleteGroup(group: string): Promise<void> {
    await this.run(`delete group ${group}`, async (cluster) => {
      await withCoordinator(cluster, group, async (coordinator) => {
        const { results } = await call(cluster, coordinator, DeleteGroups, { groupsNames: [group] }, this.settings.timeoutMs);
        throwFirst(
          results.map((r) => r.errorCode),
          `deleting group ${group}`,
        );
      });
    });
  }

  /** Deletes every record up to the end offsets of the named topics; the topics and their offsets stay. */
  async reset(topics?: readonly string[]): Promise<void> {
    if (!topics || topics.length === 0) throw usageError('name the topics to reset: outside local mode zps never resets everything');
    const { timeoutMs } = this.settings;
    await this.run(`reset ${topics.join(', ')}`, (cluster) =>
      Promise.all(
        topics.map(async (topic) => {
          const leaders = await this.leadersOf(cluster, topic);
          if (!leaders) return;
          await Promise.all(
            leaders.map(async ({ broker, partitions }) => {
              const ends = (await this.offsetsAt(broker, topic, partitions, LATEST)).filter(([, end]) => end > 0);
              if (ends.length === 0) return;
              const response = await callBroker(
                broker,
                DeleteRecords,
                { topics: [{ name: topic, partitions: ends.map(([partitionIndex, offset]) => ({ partitionIndex, offset })) }], timeoutMs },
                timeoutMs,
              );
              const code = response.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)).find((c) => c !== KafkaErrorCode.NONE);
              if (code !== undefined) throw brokerError(code, `deleting the records of ${topic}`);
            }),
          );
        }),
      ),
    );
  }

  /** Leaders, replicas and in-sync replicas of each partition, and the settings users ask about. */
  async placement(topic: string): Promise<TopicPlacement | undefined> {
    return this.run(
      `describe ${topic}`,
      async (cluster) => {
        const broker = await anyBroker(cluster);
        const [metadata, configs] = await Promise.all([
          askMetadata(broker, [topic], this.settings.timeoutMs),
          callBroker(
            broker,
            DescribeConfigs,
            {
              resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configurationKeys: null }],
              includeSynonyms: false,
              includeDocumentation: false,
            },
            this.settings.timeoutMs,
          ),
        ]);
        const described = topicIn(metadata, topic);
        if (!described) return undefined;
        const result = configs.results[0];
        if (result && result.errorCode !== KafkaErrorCode.NONE) throw brokerError(result.errorCode, `describing the settings of ${topic}`);
        const shown = (result?.configs ?? [])
          .filter(({ name, configSource }) => PLACEMENT_CONFIGS.includes(name) || configSource === TOPIC_CONFIG_SOURCE)
          .sort((a, b) => (a.name < b.name ? -1 : 1));
        const settings: Record<string, string> = {};
        for (const { name, value } of shown) settings[name] = value ?? '';
        const partitions = described.partitions
          .map((p) => ({
            partition: p.partitionIndex,
            leader: p.leaderId,
            replicas: [...p.replicaNodes].sort((a, b) => a - b),
            isr: [...p.isrNodes].sort((a, b) => a - b),
          }))
          .sort((a, b) => a.partition - b.partition);
        return { partitions, configs: settings };
      },
      topic,
    );
  }

  /** Consumer groups (Kafka's classic protocol "consumer"), by name: each broker lists the groups it coordinates. */
  async listGroups(): Promise<string[]> {
    return this.run('list groups', async (cluster) => {
      const asked = await anyBroker(cluster);
      const { brokers } = await askMetadata(asked, [], this.settings.timeoutMs);
      const lists = await Promise.all(
        brokers.map(async ({ nodeId }) => {
          const broker = brokers.length === 1 ? asked : await nodeBroker(cluster, nodeId, false);
          const response = await callBroker(broker, ListGroups, { statesFilter: [] }, this.settings.timeoutMs);
          throwFirst([response.errorCode], 'listing groups');
          return response.groups.filter((g) => g.protocolType === 'consumer' || g.protocolType === '').map((g) => g.groupId);
        }),
      );
      return [...new Set(lists.flat())].sort();
    });
  }

  /** The group's state, members with their partitions, and committed offsets of every topic: both asked of its coordinator at once. */
  async describeGroup(group: string): Promise<GroupInfo | undefined> {
    return this.run(`describe group ${group}`, async (cluster) => {
      const [described, committed] = await withCoordinator(cluster, group, async (coordinator) => {
        const [{ groups }, committed] = await Promise.all([
          call(cluster, coordinator, DescribeGroups, { groups: [group], includeAuthorizedOperations: false }, this.settings.timeoutMs),
          this.committed(cluster, coordinator, group),
        ]);
        const described = groups.find((g) => g.groupId === group);
        if (described && described.errorCode !== KafkaErrorCode.GROUP_ID_NOT_FOUND) throwFirst([described.errorCode], `describing group ${group}`);
        return [described, committed] as const;
      });
      const state = described?.errorCode === KafkaErrorCode.NONE ? described.groupState : 'Dead';
      if (state === 'Dead' && committed.length === 0) return undefined;
      const members = (state === 'Dead' ? [] : (described?.members ?? [])).map((member) => ({
        id: member.memberId,
        clientId: member.clientId,
        host: member.clientHost,
        partitions: (member.memberAssignment && member.memberAssignment.length > 0 ? decodeAssignment(member.memberAssignment) : []).map(
          ({ topic, partitions }) => ({ topic, partitions: [...partitions].sort((a, b) => a - b) }),
        ),
      }));
      return { group, state, members, committed };
    });
  }

  /** The group's committed offsets on every topic (none below 0: a partition never committed). */
  private async committed(cluster: Cluster, coordinator: string, group: string): Promise<GroupInfo['committed']> {
    const response = await call(cluster, coordinator, OffsetFetch, { groupId: group, topics: null, requireStable: false }, this.settings.timeoutMs);
    const what = `reading offsets of group ${group}`;
    throwFirst([response.errorCode], what);
    return response.topics.flatMap(({ name, partitions }) =>
      partitions.flatMap((p) => {
        throwFirst([p.errorCode], what);
        return p.committedOffset >= 0 ? [{ topic: name, partition: p.partitionIndex, offset: p.committedOffset }] : [];
      }),
    );
  }

  /**
   * Start and end offsets (and those at `atTime`), or undefined for a missing topic: the metadata
   * (whether the topic exists, its leaders), then every leader's ListOffsets at once.
   */
  private async offsetsOf(cluster: Cluster, topic: string, atTime?: number): Promise<PartitionOffsets[] | undefined> {
    const leaders = await this.leadersOf(cluster, topic);
    if (!leaders) return undefined;
    const answers = await Promise.all(
      leaders.map(async ({ broker, partitions }) => {
        const [starts, ends, atTimes] = await Promise.all([
          this.offsetsAt(broker, topic, partitions, EARLIEST),
          this.offsetsAt(broker, topic, partitions, LATEST),
          atTime === undefined ? undefined : this.offsetsAt(broker, topic, partitions, atTime),
        ]);
        const startOf = new Map(starts);
        const atTimeOf = new Map(atTimes);
        // a time after every record has no offset (-1): the partition's end
        return ends.map(([partition, end]) => {
          const at = atTimeOf.get(partition);
          return { partition, start: startOf.get(partition) ?? 0, end, ...(atTimes ? { atTime: at === undefined || at < 0 ? end : at } : {}) };
        });
      }),
    );
    return answers.flat().sort((a, b) => a.partition - b.partition);
  }

  /** The topic's partitions by leader, or undefined when the topic does not exist; the leaders are kept for the driver's next requests. */
  private async leadersOf(cluster: Cluster, topic: string): Promise<Array<{ broker: Broker; partitions: number[] }> | undefined> {
    const metadata = await askMetadata(await anyBroker(cluster), [topic], this.settings.timeoutMs);
    const described = topicIn(metadata, topic);
    if (!described) return undefined;
    const leaders = leadersIn(metadata, described);
    this.known.set(topic, leaders);
    const partitions = described.partitions.map((p) => p.partitionIndex);
    const grouped = byLeader(leaders, partitions);
    // a partition in an election: retriable, asked again
    if (!grouped) throw brokerError(KafkaErrorCode.LEADER_NOT_AVAILABLE, `finding the leaders of ${topic}`);
    return Promise.all([...grouped].map(async ([nodeId, partitions]) => ({ broker: await nodeBroker(cluster, nodeId, leaders.soleBroker), partitions })));
  }

  /** One ListOffsets to a leader: [partition, offset] at `timestamp` (EARLIEST, LATEST or a time). */
  private async offsetsAt(broker: Broker, topic: string, partitions: readonly number[], timestamp: number): Promise<Array<[number, number]>> {
    const response = await callBroker(
      broker,
      ListOffsets,
      {
        replicaId: -1,
        isolationLevel: READ_COMMITTED,
        topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp })) }],
      },
      this.settings.timeoutMs,
    );
    return response.topics.flatMap((t) =>
      t.partitions.map((p): [number, number] => {
        // a leader moved, a topic deleted meanwhile: retriable, the metadata is asked again
        if (p.errorCode !== KafkaErrorCode.NONE) throw brokerError(p.errorCode, `listing the offsets of ${topic}[${p.partitionIndex}]`);
        return [p.partitionIndex, p.offset];
      }),
    );
  }
}
