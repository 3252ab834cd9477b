/**
 * Who belongs to a global datastore: a secondary joins through CreateReplicationGroup (GlobalReplicationGroupId,
 * in another region; it takes the primary's settings and follows its primary), leaves through
 * DisassociateGlobalReplicationGroup (a standalone writable group with its data), and takes over through
 * FailoverGlobalReplicationGroup (the old primary and the other secondaries then follow it).
 */
import type {
  CacheParameterGroup,
  CreateReplicationGroupMessage,
  DisassociateGlobalReplicationGroupMessage,
  FailoverGlobalReplicationGroupMessage,
} from '@aws-sdk/client-elasticache';
import type { HandlerTable, RequestContext } from '../../../api/query-api.js';
import type { Store } from '../../../store/store.js';
import { fault, invalidValue, requireValue } from '../../../domain/elasticache/faults.js';
import {
  ROLE,
  getGlobal,
  primaryMemberOf,
  saveGlobal,
  type GlobalMember,
  type GlobalState,
  type StoredGlobal,
} from '../../../domain/elasticache/global-datastores.js';
import { arn } from '../../../domain/elasticache/arns.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import {
  findParameterGroup,
  type ParameterGroupInfo,
  type ParameterGroupInternal,
} from '../../../domain/elasticache/parameter-groups.js';
import {
  findGroup,
  getCluster,
  recordGroupEvent,
  saveGroup,
  type StoredGroup,
} from '../../../domain/elasticache/records.js';
import type { GroupHandlerDeps } from '../replication-groups/group-rules.js';
import { availableGlobal, inRegion, memberGroup, presentGlobal } from './present.js';

/** A secondary about to be created: the request as the primary's settings make it, and the datastore it joins. */
export interface SecondaryPlan {
  input: CreateReplicationGroupMessage;
  global: StoredGlobal;
  primary: StoredGroup;
  primaryRegion: string;
}

/**
 * CreateReplicationGroup with GlobalReplicationGroupId: the datastore must exist and have no member in this region;
 * engine, version, node type, encryption, AUTH, cluster mode and shards (count and slots) come from its primary group.
 */
export function planSecondary(store: Store, ctx: RequestContext, input: CreateReplicationGroupMessage): SecondaryPlan {
  const global = getGlobal(store, ctx, input.GlobalReplicationGroupId);
  const { state } = global;
  const id = state.GlobalReplicationGroupId;
  if (state.Status !== 'available') {
    throw fault('InvalidGlobalReplicationGroupStateFault', `Global replication group ${id} is not available.`);
  }
  if (state.Members.some((m) => m.ReplicationGroupRegion === ctx.region)) {
    throw fault(
      'InvalidGlobalReplicationGroupStateFault',
      `Global replication group ${id} already has a member in ${ctx.region}.`,
    );
  }
  const primaryMember = primaryMemberOf(state)!;
  const primaryCtx = inRegion(ctx, primaryMember.ReplicationGroupRegion);
  const primary = findGroup(store, primaryCtx, primaryMember.ReplicationGroupId);
  if (!primary)
    throw fault('InvalidGlobalReplicationGroupStateFault', `Global replication group ${id} has no primary.`);
  const primaryMember0 = getCluster(store, primaryCtx, primary.state.MemberClusters[0]).state;
  const version = primaryMember0.EngineVersion;
  const parameterGroup = globalParameterGroup(
    store,
    ctx,
    requireValue(input.ReplicationGroupId, 'ReplicationGroupId').toLowerCase(),
    findParameterGroup(store, primaryCtx, primaryMember0.CacheParameterGroup.CacheParameterGroupName)!,
  );
  const [major] = version.split('.').map(Number);
  return {
    global,
    primary,
    primaryRegion: primaryMember.ReplicationGroupRegion,
    input: {
      ...input,
      Engine: primary.state.Engine,
      // Redis 6 and later are asked for by major.minor.
      EngineVersion: major >= 6 ? version.split('.').slice(0, 2).join('.') : version,
      CacheNodeType: primary.state.CacheNodeType,
      CacheParameterGroupName: parameterGroup,
      ClusterMode: undefined,
      ...(primary.state.ClusterEnabled ? shardsLike(primary, input) : {}),
      TransitEncryptionEnabled: primary.state.TransitEncryptionEnabled,
      AtRestEncryptionEnabled: primary.state.AtRestEncryptionEnabled,
      AuthToken: primary.internal.authToken,
      SnapshotName: undefined,
      SnapshotArns: undefined,
    },
  };
}

/**
 * A cluster-mode secondary has the primary group's shards, by id and slot ranges (each of its shards is fed by the
 * primary's shard of the same slots); the request still chooses replicas and zones per shard.
 */
function shardsLike(
  primary: StoredGroup,
  input: CreateReplicationGroupMessage,
): Pick<
  CreateReplicationGroupMessage,
  'NodeGroupConfiguration' | 'NumNodeGroups' | 'NumCacheClusters' | 'ReplicasPerNodeGroup'
> {
  const replicas =
    input.ReplicasPerNodeGroup ?? (input.NumCacheClusters !== undefined ? input.NumCacheClusters - 1 : undefined);
  return {
    NumNodeGroups: undefined,
    NumCacheClusters: undefined,
    ReplicasPerNodeGroup: replicas,
    NodeGroupConfiguration: primary.state.NodeGroups.map((nodeGroup, i) => ({
      ...input.NodeGroupConfiguration?.[i],
      NodeGroupId: nodeGroup.NodeGroupId,
      Slots: nodeGroup.Slots,
    })),
  };
}

/**
 * A member's parameter group: its own, in its region, marked IsGlobal, with the values of the group it replaces (the
 * provider deletes it with the member, as AWS creates one for each member). The name is the emulator's choice.
 */
export function globalParameterGroup(
  store: Store,
  ctx: RequestContext,
  groupId: string,
  primaryGroup: ParameterGroupInfo,
): string {
  const name = `globaldatastore-${groupId}`;
  if (store.resources.get(ctx, KIND.parameterGroup, name)) return name;
  const state: CacheParameterGroup = {
    CacheParameterGroupName: name,
    CacheParameterGroupFamily: primaryGroup.family,
    Description: `Parameter group of global datastore member ${groupId}`,
    IsGlobal: true,
    ARN: arn(ctx, 'parametergroup', name),
  };
  const values = { ...primaryGroup.values, ...(primaryGroup.clusterEnabled ? { 'cluster-enabled': 'yes' } : {}) };
  store.resources.insert(ctx, KIND.parameterGroup, name, state, { values } satisfies ParameterGroupInternal);
  return name;
}

/** The new group (not yet stored) joins: it follows the primary group's primary, and the datastore lists it. */
export function joinAsSecondary(store: Store, ctx: RequestContext, group: StoredGroup, plan: SecondaryPlan): void {
  const { state } = plan.global;
  const id = state.GlobalReplicationGroupId;
  group.state.GlobalReplicationGroupInfo = {
    GlobalReplicationGroupId: id,
    GlobalReplicationGroupMemberRole: ROLE.secondary,
  };
  group.internal.upstream = {
    kind: 'global',
    globalReplicationGroupId: id,
    region: plan.primaryRegion,
    replicationGroupId: plan.primary.state.ReplicationGroupId,
  };
  state.Members.push({
    ReplicationGroupId: group.state.ReplicationGroupId,
    ReplicationGroupRegion: ctx.region,
    Role: ROLE.secondary,
    AutomaticFailover: group.state.AutomaticFailover,
    Status: 'associated',
  });
  saveGlobal(store, ctx, plan.global);
}

/** The datastore's member group `groupId` of `region`, or the error for a group that is not one. */
function associatedMember(state: GlobalState, groupId: string, region: string): GlobalMember {
  const member = state.Members.find((m) => m.ReplicationGroupId === groupId && m.ReplicationGroupRegion === region);
  if (member) return member;
  throw invalidValue(
    `Replication group ${groupId} in ${region} is not associated with Global Replication Group ${state.GlobalReplicationGroupId}.`,
  );
}

export function membershipHandlers({ store, jobs }: GroupHandlerDeps): HandlerTable {
  const DisassociateGlobalReplicationGroup = (
    input: DisassociateGlobalReplicationGroupMessage,
    ctx: RequestContext,
  ) => {
    const groupId = requireValue(input.ReplicationGroupId, 'ReplicationGroupId').toLowerCase();
    const region = requireValue(input.ReplicationGroupRegion, 'ReplicationGroupRegion');
    const global = getGlobal(store, ctx, input.GlobalReplicationGroupId);
    const { state } = global;
    const id = state.GlobalReplicationGroupId;
    const member = associatedMember(state, groupId, region);
    if (member.Role === ROLE.primary) {
      throw invalidValue(
        `Replication group ${groupId} is the primary of Global Replication Group ${id}; delete the global datastore instead.`,
      );
    }
    availableGlobal(store, ctx, id);
    state.Members = state.Members.filter((m) => m !== member);
    saveGlobal(store, ctx, global);
    const memberCtx = inRegion(ctx, region);
    const group = memberGroup(store, ctx, member);
    if (group) {
      group.state.GlobalReplicationGroupInfo = {};
      delete group.internal.upstream;
      group.state.Status = 'modifying';
      saveGroup(store, memberCtx, group);
      recordGroupEvent(store, memberCtx, groupId, `Replication group ${groupId} disassociated from ${id}`);
      jobs.enqueue(memberCtx, KIND.replicationGroup, groupId, 'follow-upstream');
    }
    return { GlobalReplicationGroup: presentGlobal(store, ctx, global, true) };
  };

  const FailoverGlobalReplicationGroup = (input: FailoverGlobalReplicationGroupMessage, ctx: RequestContext) => {
    const region = requireValue(input.PrimaryRegion, 'PrimaryRegion');
    const groupId = requireValue(input.PrimaryReplicationGroupId, 'PrimaryReplicationGroupId').toLowerCase();
    const global = availableGlobal(store, ctx, input.GlobalReplicationGroupId);
    const { state } = global;
    const id = state.GlobalReplicationGroupId;
    const chosen = associatedMember(state, groupId, region);
    if (chosen.Role === ROLE.primary) {
      throw invalidValue(`Replication group ${groupId} already is the primary of Global Replication Group ${id}.`);
    }
    const groups = state.Members.map((m) => ({ member: m, group: memberGroup(store, ctx, m) }));
    for (const { member, group } of groups) {
      if (group?.state.Status !== 'available') {
        throw fault(
          'InvalidGlobalReplicationGroupStateFault',
          `Member ${member.ReplicationGroupId} (${member.ReplicationGroupRegion}) of ${id} is not available.`,
        );
      }
    }
    for (const { member, group } of groups) {
      const memberCtx = inRegion(ctx, member.ReplicationGroupRegion);
      const promoted = member === chosen;
      member.Role = promoted ? ROLE.primary : ROLE.secondary;
      group!.state.GlobalReplicationGroupInfo = {
        GlobalReplicationGroupId: id,
        GlobalReplicationGroupMemberRole: member.Role,
      };
      if (promoted) {
        delete group!.internal.upstream;
        group!.state.Status = 'modifying';
      } else {
        group!.internal.upstream = {
          kind: 'global',
          globalReplicationGroupId: id,
          region,
          replicationGroupId: groupId,
        };
      }
      saveGroup(store, memberCtx, group!);
    }
    state.Status = 'modifying';
    saveGlobal(store, ctx, global);
    const chosenCtx = inRegion(ctx, region);
    recordGroupEvent(
      store,
      chosenCtx,
      groupId,
      `Failover of global replication group ${id} to ${groupId} (${region}) started`,
    );
    // The promoted group's job makes its primary stand alone, then points the others at it.
    jobs.enqueue(chosenCtx, KIND.replicationGroup, groupId, 'follow-upstream');
    return { GlobalReplicationGroup: presentGlobal(store, ctx, global, true) };
  };

  return { DisassociateGlobalReplicationGroup, FailoverGlobalReplicationGroup };
}
