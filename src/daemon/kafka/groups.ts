/**
 * The group APIs of the Kafka door, as a client of the broker's group coordinator
 * (memory/group-coordinator.ts, which keeps one door per group and the one offset store): the
 * coordinator's (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup), offsets
 * (OffsetCommit, OffsetFetch) and the tools' (DescribeGroups, ListGroups).
 */
import type { GroupCoordinator } from '../../memory/group-coordinator.js';
import type { Message } from '../../wire/kafka/definition.js';
import { ErrorCode } from '../../wire/kafka/errors.js';
import { type Door, type Handlers, NODE_ID, TRANSACTIONS_REFUSED, eachPartition, items } from './door.js';

const GROUP_KEY = 0;
const UNKNOWN_OPERATIONS = -2_147_483_648;

export function groupHandlers(door: Door): Handlers {
  const { broker } = door;
  const { groups } = broker;

  return {
    FindCoordinator: (request) => {
      // the daemon coordinates every group; transactions it does not keep
      if ((request.keyType ?? GROUP_KEY) !== GROUP_KEY) return { throttleTimeMs: 0, ...TRANSACTIONS_REFUSED, nodeId: -1, host: '', port: -1 };
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, nodeId: NODE_ID, host: door.advertised.host, port: door.advertised.port };
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
      const result = await groups.joinClassic(name, {
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
      const group = groups.classic(request.groupId as string);
      const assignments = items(request.assignments).map((a) => ({ memberId: a.memberId as string, assignment: a.assignment as Buffer }));
      const result = group
        ? await group.sync(request.memberId as string, request.generationId as number, assignments)
        : { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
      return { throttleTimeMs: 0, ...result };
    },

    Heartbeat: (request) => ({
      throttleTimeMs: 0,
      errorCode:
        groups.classic(request.groupId as string)?.heartbeat(request.memberId as string, request.generationId as number) ?? ErrorCode.UNKNOWN_MEMBER_ID,
    }),

    LeaveGroup: (request, { version }) => {
      const group = groups.classic(request.groupId as string);
      const leaving =
        version >= 3
          ? items(request.members).map((m) => ({ memberId: m.memberId as string, groupInstanceId: m.groupInstanceId as string | null }))
          : [{ memberId: request.memberId as string, groupInstanceId: null }];
      const members = leaving.map((m) => ({ ...m, errorCode: group?.leave(m.memberId) ?? ErrorCode.UNKNOWN_MEMBER_ID }));
      return { throttleTimeMs: 0, errorCode: version >= 3 ? ErrorCode.NONE : members[0]!.errorCode, members };
    },

    OffsetCommit: (request) => {
      const name = request.groupId as string;
      const group = groups.classic(name);
      const memberId = request.memberId as string;
      const generation = request.generationIdOrMemberEpoch as number;
      const refusal = group ? group.checkCommit(memberId, generation) : generation < 0 && memberId === '' ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
      return {
        throttleTimeMs: 0,
        topics: eachPartition(broker, request.topics, { topic: 'name', partition: 'partitionIndex' }, (topic, partitionIndex, at, p) => {
          if (refusal !== ErrorCode.NONE) return { partitionIndex, errorCode: refusal };
          if (!at) return { partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          groups.commitOffsets(name, topic, [[partitionIndex, p.committedOffset as number]]);
          return { partitionIndex, errorCode: ErrorCode.NONE };
        }),
      };
    },

    OffsetFetch: (request) => {
      const group = request.groupId as string;
      const asked = request.topics as Message[] | null;
      // no topics named: every topic the group committed
      const names = asked ? asked.map((t) => t.name as string) : [...new Set((groups.describe(group)?.committed ?? []).map((c) => c.topic))];
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        topics: names.map((name, t) => {
          const committed = new Map(groups.committed(group, name));
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
      groups: (request.groups as string[]).map((name) => describeGroup(groups, name)),
    }),

    ListGroups: (request) => {
      const states = ((request.statesFilter as string[] | undefined) ?? []).map((s) => s.toLowerCase());
      const listed = groups.list().map((name) => {
        const described = describeGroup(groups, name);
        return { groupId: name, protocolType: described.protocolType, groupState: described.groupState, groupType: 'classic' };
      });
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups: listed.filter((g) => states.length === 0 || states.includes(g.groupState.toLowerCase())) };
    },
  };
}

/** A group as DescribeGroups tells it ('Dead' when there is none). */
function describeGroup(groups: GroupCoordinator, name: string) {
  const described = groups.describe(name);
  return {
    errorCode: ErrorCode.NONE,
    groupId: name,
    groupState: described?.state ?? 'Dead',
    protocolType: described?.protocolType ?? '',
    protocolData: described?.protocol ?? '',
    members: (described?.members ?? []).map((m) => ({
      memberId: m.id,
      groupInstanceId: m.instanceId,
      clientId: m.clientId,
      clientHost: m.host,
      memberMetadata: m.metadata,
      memberAssignment: m.assignment,
    })),
    authorizedOperations: UNKNOWN_OPERATIONS,
  };
}
