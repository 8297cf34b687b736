/**
 * The group APIs of the Kafka listener: the coordinator's (FindCoordinator, JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup), offsets (OffsetCommit, OffsetFetch, kept in the memory broker so zps's
 * own commands see them) and the tools' (DescribeGroups, ListGroups). A group has members on one
 * door at a time: a Kafka client joining a group zps consumers are in gets
 * INCONSISTENT_GROUP_PROTOCOL, and zps joining a group of Kafka clients a clear error.
 */
import type { ForeignGroups, MemoryBroker } from '../../memory/broker.js';
import type { GroupInfo } from '../../pubsub/driver.js';
import { Reader, Writer } from '../../wire/kafka/bytes.js';
import type { Message } from '../../wire/kafka/definition.js';
import { ErrorCode } from '../../wire/kafka/errors.js';
import { type ListenerContext, type Handlers, NODE_ID, TRANSACTIONS_REFUSED, eachPartition, items } from './handlers.js';
import { ClassicGroup, type GroupState } from './group-coordinator.js';

const GROUP_KEY = 0;
const CONSUMER_PROTOCOL = 'consumer';
const UNKNOWN_OPERATIONS = -2_147_483_648;

export function groupHandlers(listener: ListenerContext): Handlers {
  const { broker } = listener;
  const groups = new Map<string, ClassicGroup>();
  const groupOf = (name: string) => {
    let group = groups.get(name);
    if (!group) groups.set(name, (group = new ClassicGroup(name)));
    return group;
  };
  broker.foreignGroups = foreignGroups(groups);

  return {
    FindCoordinator: (request) => {
      // the daemon coordinates every group; transactions it does not keep
      if ((request.keyType ?? GROUP_KEY) !== GROUP_KEY) return { throttleTimeMs: 0, ...TRANSACTIONS_REFUSED, nodeId: -1, host: '', port: -1 };
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        nodeId: NODE_ID,
        host: listener.advertised.host,
        port: listener.advertised.port,
      };
    },

    JoinGroup: async (request, { version, clientId, clientHost }) => {
      const name = request.groupId as string;
      const refused = (errorCode: number) => ({
        throttleTimeMs: 0,
        errorCode,
        generationId: -1,
        protocolName: version >= 7 ? null : '',
        leader: '',
        memberId: request.memberId,
        members: [],
      });
      if (name === '') return refused(ErrorCode.INVALID_GROUP_ID);
      if (broker.hasMembers(name)) return refused(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      const result = await groupOf(name).join({
        memberId: request.memberId as string,
        instanceId: (request.groupInstanceId as string | null) ?? null,
        clientId: clientId ?? '',
        clientHost,
        sessionTimeoutMs: request.sessionTimeoutMs as number,
        rebalanceTimeoutMs: version >= 1 ? (request.rebalanceTimeoutMs as number) : (request.sessionTimeoutMs as number),
        protocolType: request.protocolType as string,
        protocols: items(request.protocols).map((p) => ({ name: p.name as string, metadata: p.metadata as Buffer })),
        requireKnownMemberId: version >= 4,
      });
      // the protocol's name may be null only from v7; before, a failed join names none as ''
      return { throttleTimeMs: 0, ...result, protocolName: result.protocolName ?? (version >= 7 ? null : '') };
    },

    SyncGroup: async (request) => {
      const group = groups.get(request.groupId as string);
      const assignments = items(request.assignments).map((a) => ({ memberId: a.memberId as string, assignment: a.assignment as Buffer }));
      const result = group
        ? await group.sync(request.memberId as string, request.generationId as number, assignments)
        : { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
      return { throttleTimeMs: 0, ...result };
    },

    Heartbeat: (request) => ({
      throttleTimeMs: 0,
      errorCode: groups.get(request.groupId as string)?.heartbeat(request.memberId as string, request.generationId as number) ?? ErrorCode.UNKNOWN_MEMBER_ID,
    }),

    LeaveGroup: (request, { version }) => {
      const group = groups.get(request.groupId as string);
      const leaving =
        version >= 3
          ? items(request.members).map((m) => ({ memberId: m.memberId as string, groupInstanceId: m.groupInstanceId as string | null }))
          : [{ memberId: request.memberId as string, groupInstanceId: null }];
      const members = leaving.map((m) => ({ ...m, errorCode: group?.leave(m.memberId) ?? ErrorCode.UNKNOWN_MEMBER_ID }));
      return { throttleTimeMs: 0, errorCode: version >= 3 ? ErrorCode.NONE : members[0]!.errorCode, members };
    },

    OffsetCommit: (request) => {
      const name = request.groupId as string;
      const group = groups.get(name);
      const memberId = request.memberId as string;
      const generation = request.generationIdOrMemberEpoch as number;
      const refusal = group ? group.checkCommit(memberId, generation) : generation < 0 && memberId === '' ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
      return {
        throttleTimeMs: 0,
        topics: eachPartition(broker, request.topics, { topic: 'name', partition: 'partitionIndex' }, (topic, partitionIndex, at, p) => {
          if (refusal !== ErrorCode.NONE) return { partitionIndex, errorCode: refusal };
          if (!at) return { partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          broker.commitOffsets(name, topic, [[partitionIndex, p.committedOffset as number]]);
          return { partitionIndex, errorCode: ErrorCode.NONE };
        }),
      };
    },

    OffsetFetch: (request) => {
      const group = request.groupId as string;
      const asked = request.topics as Message[] | null;
      // no topics named: every topic the group committed
      const names = asked ? asked.map((t) => t.name as string) : [...new Set((broker.describeGroup(group)?.committed ?? []).map((c) => c.topic))];
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        topics: names.map((name, t) => {
          const committed = new Map(broker.committed(group, name));
          const partitions = asked ? (asked[t]!.partitionIndexes as number[]) : [...committed.keys()];
          return {
            name,
            partitions: partitions.map((partitionIndex) => ({
              partitionIndex,
              committedOffset: committed.get(partitionIndex) ?? -1,
              committedLeaderEpoch: -1,
              metadata: '',
              errorCode: ErrorCode.NONE,
            })),
          };
        }),
      };
    },

    DescribeGroups: (request) => ({
      throttleTimeMs: 0,
      groups: (request.groups as string[]).map((name) => describeGroup(broker, groups.get(name), name)),
    }),

    ListGroups: (request) => {
      const states = ((request.statesFilter as string[] | undefined) ?? []).map((s) => s.toLowerCase());
      const listed = broker.listGroups().map((name) => {
        const described = describeGroup(broker, groups.get(name), name);
        return { groupId: name, protocolType: described.protocolType, groupState: described.groupState, groupType: 'classic' };
      });
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups: listed.filter((g) => states.length === 0 || states.includes(g.groupState.toLowerCase())) };
    },
  };
}

/** A group as DescribeGroups tells it: from the coordinator when Kafka clients are in it, else from the broker. */
function describeGroup(broker: MemoryBroker, group: ClassicGroup | undefined, name: string) {
  const answer = (groupState: string, protocolType: string, protocolData: string, members: Message[]) => ({
    errorCode: ErrorCode.NONE,
    groupId: name,
    groupState,
    protocolType,
    protocolData,
    members,
    authorizedOperations: UNKNOWN_OPERATIONS,
  });
  if (group && group.members.size > 0) return answer(group.state, group.protocolType ?? '', group.protocol ?? '', group.describe());
  const info = broker.describeGroup(name);
  if (!info) return answer('Dead', '', '', []);
  // zps's own consumers, told as Kafka consumers with their assignment in the consumer protocol
  const members = info.members.map((m) => ({
    memberId: m.id,
    groupInstanceId: null,
    clientId: m.clientId,
    clientHost: m.host,
    memberMetadata: Buffer.alloc(0),
    memberAssignment: encodeAssignment(m.partitions),
  }));
  return answer(info.state, CONSUMER_PROTOCOL, members.length > 0 ? 'range' : '', members);
}

/** The coordinator's groups as the memory broker shows them to zps's own commands. */
function foreignGroups(groups: Map<string, ClassicGroup>): ForeignGroups {
  return {
    describe(name) {
      const group = groups.get(name);
      if (!group || group.members.size === 0) return undefined;
      return {
        state: group.state as GroupState,
        members: group.describe().map((m) => ({ id: m.memberId, clientId: m.clientId, host: m.clientHost, partitions: decodeAssignment(m.memberAssignment) })),
      };
    },
    names: () => [...groups.values()].filter((g) => g.members.size > 0).map((g) => g.name),
  };
}

/** Kafka's ConsumerProtocol assignment, version 0: topics with their partitions, no user data. */
function encodeAssignment(partitions: GroupInfo['members'][number]['partitions']): Buffer {
  const writer = new Writer(64);
  writer.int16(0).int32(partitions.length);
  for (const { topic, partitions: list } of partitions) {
    writer.string(topic).int32(list.length);
    for (const partition of list) writer.int32(partition);
  }
  writer.int32(-1);
  return Buffer.from(writer.finish());
}

/** The topics and partitions of a ConsumerProtocol assignment; none when it is not one. */
function decodeAssignment(bytes: Buffer): GroupInfo['members'][number]['partitions'] {
  try {
    const reader = new Reader(bytes);
    reader.int16();
    const topics = reader.int32();
    const result: GroupInfo['members'][number]['partitions'] = [];
    for (let t = 0; t < topics; t++) {
      const topic = reader.string() ?? '';
      const count = reader.int32();
      const partitions: number[] = [];
      for (let i = 0; i < count; i++) partitions.push(reader.int32());
      result.push({ topic, partitions });
    }
    return result;
  } catch {
    return [];
  }
}
