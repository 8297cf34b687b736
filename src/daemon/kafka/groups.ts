/**
 * The group APIs of the Kafka listener, as a client of the broker's group coordinator
 * (memory/group-coordinator.ts, which keeps one door per group and the one offset store): the
 * coordinator's (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup), offsets
 * (OffsetCommit, OffsetFetch) and the tools' (DescribeGroups, ListGroups, DeleteGroups, OffsetDelete,
 * and DescribeCluster: the daemon as one broker).
 */
import type { GroupCoordinator } from '../../memory/group-coordinator.js';
import { KafkaErrorCode } from '../../wire/kafka/errors.js';
import { type ListenerContext, type Handlers, NODE_ID, TRANSACTIONS_REFUSED, eachPartition } from './handlers.js';

const GROUP_KEY = 0;
const UNKNOWN_OPERATIONS = -2_147_483_648;

export function groupHandlers(listener: ListenerContext): Handlers {
  const { broker } = listener;
  const { groups } = broker;

  return {
    FindCoordinator: (request) => {
      // the daemon coordinates every group; transactions it does not keep
      if ((request.keyType ?? GROUP_KEY) !== GROUP_KEY) return { throttleTimeMs: 0, ...TRANSACTIONS_REFUSED, nodeId: -1, host: '', port: -1 };
      return {
        throttleTimeMs: 0,
        errorCode: KafkaErrorCode.NONE,
        errorMessage: null,
        nodeId: NODE_ID,
        host: listener.advertised.host,
        port: listener.advertised.port,
      };
    },

    JoinGroup: async (request, { version, clientId, clientHost }) => {
      const name = request.groupId;
      const refused = (errorCode: number) => ({
        throttleTimeMs: 0,
        errorCode,
        generationId: -1,
        protocolName: version >= 7 ? null : '',
        leader: '',
        memberId: request.memberId,
        members: [],
      });
      if (name === '') return refused(KafkaErrorCode.INVALID_GROUP_ID);
      const result = await groups.joinClassic(name, {
        memberId: request.memberId,
        instanceId: request.groupInstanceId,
        clientId: clientId ?? '',
        clientHost,
        sessionTimeoutMs: request.sessionTimeoutMs,
        rebalanceTimeoutMs: version >= 1 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs,
        protocolType: request.protocolType,
        protocols: request.protocols,
        requireKnownMemberId: version >= 4,
      });
      // the protocol's name may be null only from v7; before, a failed join names none as ''
      return { throttleTimeMs: 0, ...result, protocolName: result.protocolName ?? (version >= 7 ? null : '') };
    },

    SyncGroup: async (request) => {
      const group = groups.classic(request.groupId);
      const result = group
        ? await group.sync(request.memberId, request.generationId, request.assignments)
        : { errorCode: KafkaErrorCode.UNKNOWN_MEMBER_ID, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
      return { throttleTimeMs: 0, ...result };
    },

    Heartbeat: (request) => ({
      throttleTimeMs: 0,
      errorCode: groups.classic(request.groupId)?.heartbeat(request.memberId, request.generationId) ?? KafkaErrorCode.UNKNOWN_MEMBER_ID,
    }),

    LeaveGroup: (request, { version }) => {
      const group = groups.classic(request.groupId);
      const leaving = version >= 3 ? request.members : [{ memberId: request.memberId, groupInstanceId: null }];
      const members = leaving.map((m) => ({ ...m, errorCode: group?.leave(m.memberId) ?? KafkaErrorCode.UNKNOWN_MEMBER_ID }));
      return { throttleTimeMs: 0, errorCode: version >= 3 ? KafkaErrorCode.NONE : members[0]!.errorCode, members };
    },

    OffsetCommit: (request) => {
      const { groupId: name, memberId, generationIdOrMemberEpoch: generation } = request;
      const group = groups.classic(name);
      const refusal = group
        ? group.checkCommit(memberId, generation)
        : generation < 0 && memberId === ''
          ? KafkaErrorCode.NONE
          : KafkaErrorCode.UNKNOWN_MEMBER_ID;
      return {
        throttleTimeMs: 0,
        topics: eachPartition(broker, request.topics, { topic: 'name', partition: 'partitionIndex' }, (topic, partitionIndex, at, p) => {
          if (refusal !== KafkaErrorCode.NONE) return { partitionIndex, errorCode: refusal };
          if (!at) return { partitionIndex, errorCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          groups.commitOffsets(name, topic, [[partitionIndex, p.committedOffset as number]]);
          return { partitionIndex, errorCode: KafkaErrorCode.NONE };
        }),
      };
    },

    OffsetFetch: (request) => {
      const { groupId: group, topics: asked } = request;
      // no topics named: every topic the group committed
      const names = asked ? asked.map((t) => t.name) : [...new Set((groups.describe(group)?.committed ?? []).map((c) => c.topic))];
      return {
        throttleTimeMs: 0,
        errorCode: KafkaErrorCode.NONE,
        topics: names.map((name, t) => {
          const committed = new Map(groups.committed(group, name));
          const partitions = asked ? asked[t]!.partitionIndexes : [...committed.keys()];
          return {
            name,
            partitions: partitions.map((partitionIndex) => ({
              partitionIndex,
              committedOffset: committed.get(partitionIndex) ?? -1,
              committedLeaderEpoch: -1,
              metadata: '',
              errorCode: KafkaErrorCode.NONE,
            })),
          };
        }),
      };
    },

    // administration: groups and cluster

    DeleteGroups: (request) => ({
      throttleTimeMs: 0,
      results: request.groupsNames.map((groupId) => {
        if (groups.describe(groupId) === undefined) return { groupId, errorCode: KafkaErrorCode.GROUP_ID_NOT_FOUND };
        if (groups.isActive(groupId)) return { groupId, errorCode: KafkaErrorCode.NON_EMPTY_GROUP };
        groups.deleteGroup(groupId);
        return { groupId, errorCode: KafkaErrorCode.NONE };
      }),
    }),

    OffsetDelete: (request) => {
      const { groupId, topics } = request;
      const topLevel = groups.describe(groupId) === undefined ? KafkaErrorCode.GROUP_ID_NOT_FOUND : KafkaErrorCode.NONE;
      const active = groups.isActive(groupId);
      return {
        throttleTimeMs: 0,
        errorCode: topLevel,
        topics:
          topLevel !== KafkaErrorCode.NONE
            ? []
            : eachPartition(broker, topics, { topic: 'name', partition: 'partitionIndex' }, (topic, partitionIndex, at) => {
                if (!at) return { partitionIndex, errorCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
                // stricter than Kafka, which refuses only members subscribed to the topic
                if (active) return { partitionIndex, errorCode: KafkaErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
                if (groups.describe(groupId)) groups.deleteOffsets(groupId, topic, [partitionIndex]);
                return { partitionIndex, errorCode: KafkaErrorCode.NONE };
              }),
      };
    },

    DescribeCluster: (request) => ({
      throttleTimeMs: 0,
      errorCode: KafkaErrorCode.NONE,
      errorMessage: null,
      endpointType: request.endpointType,
      clusterId: broker.clusterId,
      controllerId: NODE_ID,
      brokers: [listener.advertised, ...listener.moreNodes].map(({ host, port }, brokerId) => ({ brokerId, host, port, rack: null })),
      clusterAuthorizedOperations: UNKNOWN_OPERATIONS,
    }),

    DescribeGroups: (request) => ({
      throttleTimeMs: 0,
      groups: request.groups.map((name) => describeGroup(groups, name)),
    }),

    ListGroups: (request) => {
      const states = request.statesFilter.map((s) => s.toLowerCase());
      const listed = groups.list().map((name) => {
        const described = describeGroup(groups, name);
        return { groupId: name, protocolType: described.protocolType, groupState: described.groupState, groupType: 'classic' };
      });
      return {
        throttleTimeMs: 0,
        errorCode: KafkaErrorCode.NONE,
        groups: listed.filter((g) => states.length === 0 || states.includes(g.groupState.toLowerCase())),
      };
    },
  };
}

/** A group as DescribeGroups tells it ('Dead' when there is none). */
function describeGroup(groups: GroupCoordinator, name: string) {
  const described = groups.describe(name);
  return {
    errorCode: KafkaErrorCode.NONE,
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
