/**
 * Global datastores: Create (around an available primary group), Describe (ShowMemberInfo), Modify, Delete, and the
 * shard operations of a cluster-mode datastore, which reshard every member. Membership changes (a secondary joining
 * through CreateReplicationGroup, Disassociate, Failover) are in membership.ts. The data moves through the member
 * groups' upstreams (control/replication-groups/upstream.ts).
 */
import type {
  CreateGlobalReplicationGroupMessage,
  DecreaseNodeGroupsInGlobalReplicationGroupMessage,
  DeleteGlobalReplicationGroupMessage,
  DescribeGlobalReplicationGroupsMessage,
  IncreaseNodeGroupsInGlobalReplicationGroupMessage,
  ModifyGlobalReplicationGroupMessage,
  RebalanceSlotsInGlobalReplicationGroupMessage,
} from '@aws-sdk/client-elasticache';
import type { HandlerTable, RequestContext } from '../../../api/query-api.js';
import { fault, invalidCombination, invalidValue, requireValue } from '../../../domain/elasticache/faults.js';
import {
  ROLE,
  findGlobal,
  getGlobal,
  globalArn,
  globalIdPrefix,
  globalScope,
  listGlobals,
  saveGlobal,
  settingsFrom,
  type GlobalState,
  type StoredGlobal,
} from '../../../domain/elasticache/global-datastores.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import { findParameterGroup } from '../../../domain/elasticache/parameter-groups.js';
import {
  getCluster,
  getGroup,
  requireGroupAvailable,
  saveCluster,
  saveGroup,
} from '../../../domain/elasticache/records.js';
import { paginate } from '../pagination.js';
import { modifyReplicationGroup } from '../replication-groups/modify.js';
import { modifyShardConfiguration } from '../replication-groups/shards.js';
import { requireApplyImmediately, type GroupHandlerDeps } from '../replication-groups/group-rules.js';
import { globalParameterGroup, membershipHandlers } from './membership.js';
import { availableGlobal, inRegion, memberGroup, presentGlobal } from './present.js';

/** Node types AWS offers global datastores on. */
const GLOBAL_NODE_TYPES = /^cache\.(m5|m6g|m7g|r5|r6g|r6gd|r7g)\./;

export function globalDatastoreHandlers(deps: GroupHandlerDeps): HandlerTable {
  const { store } = deps;
  const answer = (ctx: RequestContext, global: StoredGlobal, status?: string) => ({
    GlobalReplicationGroup: { ...presentGlobal(store, ctx, global, true), ...(status ? { Status: status } : {}) },
  });

  const CreateGlobalReplicationGroup = (input: CreateGlobalReplicationGroupMessage, ctx: RequestContext) => {
    const suffix = requireValue(input.GlobalReplicationGroupIdSuffix, 'GlobalReplicationGroupIdSuffix').toLowerCase();
    if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(suffix) || suffix.includes('--') || suffix.endsWith('-')) {
      throw invalidValue(`The GlobalReplicationGroupIdSuffix ${suffix} is not valid.`);
    }
    const primary = getGroup(store, ctx, input.PrimaryReplicationGroupId);
    const groupId = primary.state.ReplicationGroupId;
    requireGroupAvailable(primary);
    if (primary.state.GlobalReplicationGroupInfo?.GlobalReplicationGroupId || primary.internal.upstream) {
      throw fault(
        'InvalidReplicationGroupStateFault',
        `Replication group ${groupId} is already a member of a global datastore or under migration.`,
      );
    }
    const nodeType = primary.state.CacheNodeType ?? '';
    if (!GLOBAL_NODE_TYPES.test(nodeType)) {
      throw invalidValue(`Global datastores are not supported on node type ${nodeType}.`);
    }
    const version = getCluster(store, ctx, primary.state.MemberClusters[0]).state.EngineVersion;
    if (primary.state.Engine !== 'valkey' && compareVersion(version, [5, 0, 6]) < 0) {
      throw invalidValue(`Global datastores require Redis engine version 5.0.6 or later (the group runs ${version}).`);
    }
    const id = `${globalIdPrefix(ctx.region)}-${suffix}`;
    if (findGlobal(store, ctx, id)) {
      throw fault('GlobalReplicationGroupAlreadyExistsFault', `Global replication group ${id} already exists.`);
    }
    const state: GlobalState = {
      GlobalReplicationGroupId: id,
      GlobalReplicationGroupDescription: input.GlobalReplicationGroupDescription ?? '',
      Status: 'available',
      ...settingsFrom(primary.state, version),
      Members: [
        {
          ReplicationGroupId: groupId,
          ReplicationGroupRegion: ctx.region,
          Role: ROLE.primary,
          AutomaticFailover: primary.state.AutomaticFailover,
          Status: 'associated',
        },
      ],
      ARN: globalArn(ctx, id),
    };
    store.resources.insert(globalScope(ctx), KIND.globalReplicationGroup, id, state, {});
    // The primary's members take a global parameter group of their own, with the same values: nothing to apply.
    const members = primary.state.MemberClusters.map((m) => getCluster(store, ctx, m));
    const own = findParameterGroup(store, ctx, members[0].state.CacheParameterGroup.CacheParameterGroupName)!;
    const parameterGroup = globalParameterGroup(store, ctx, groupId, own);
    for (const member of members) {
      member.state.CacheParameterGroup = {
        ...member.state.CacheParameterGroup,
        CacheParameterGroupName: parameterGroup,
      };
      saveCluster(store, ctx, member);
    }
    primary.state.GlobalReplicationGroupInfo = {
      GlobalReplicationGroupId: id,
      GlobalReplicationGroupMemberRole: ROLE.primary,
    };
    saveGroup(store, ctx, primary);
    // Nothing changes on the primary's nodes: the datastore is usable at once, as the waiters see.
    return answer(ctx, { state, internal: {} }, 'creating');
  };

  const DescribeGlobalReplicationGroups = (input: DescribeGlobalReplicationGroupsMessage, ctx: RequestContext) => {
    const all =
      input.GlobalReplicationGroupId !== undefined
        ? [getGlobal(store, ctx, input.GlobalReplicationGroupId)]
        : listGlobals(store, ctx);
    const { page, marker } = paginate(all, input);
    return {
      Marker: marker,
      GlobalReplicationGroups: page.map((g) => presentGlobal(store, ctx, g, input.ShowMemberInfo === true)),
    };
  };

  const modifyGroup = modifyReplicationGroup(deps);
  const ModifyGlobalReplicationGroup = (input: ModifyGlobalReplicationGroupMessage, ctx: RequestContext) => {
    requireValue(input.ApplyImmediately, 'ApplyImmediately', 'null');
    const global = availableGlobal(store, ctx, input.GlobalReplicationGroupId);
    const { state } = global;
    const memberChange = {
      CacheNodeType: input.CacheNodeType,
      EngineVersion: input.EngineVersion,
      CacheParameterGroupName: input.CacheParameterGroupName,
      AutomaticFailoverEnabled: input.AutomaticFailoverEnabled,
      Engine: input.Engine,
    };
    const changesMembers = Object.values(memberChange).some((v) => v !== undefined);
    if (!changesMembers && input.GlobalReplicationGroupDescription === undefined) {
      throw invalidCombination('No modifications were requested.');
    }
    if (input.CacheNodeType !== undefined && !GLOBAL_NODE_TYPES.test(input.CacheNodeType)) {
      throw invalidValue(`Global datastores are not supported on node type ${input.CacheNodeType}.`);
    }
    if (input.GlobalReplicationGroupDescription !== undefined)
      state.GlobalReplicationGroupDescription = input.GlobalReplicationGroupDescription;
    if (changesMembers) {
      // Every member takes the change (the parameter group only where it is the primary's region's).
      for (const member of state.Members) {
        const memberCtx = inRegion(ctx, member.ReplicationGroupRegion);
        const primary = member.Role === ROLE.primary;
        modifyGroup(
          {
            ReplicationGroupId: member.ReplicationGroupId,
            ApplyImmediately: true,
            ...memberChange,
            CacheParameterGroupName: primary ? input.CacheParameterGroupName : undefined,
          },
          memberCtx,
        );
      }
      if (input.CacheNodeType !== undefined) state.CacheNodeType = input.CacheNodeType;
      if (input.Engine !== undefined) state.Engine = input.Engine;
      if (input.EngineVersion !== undefined) {
        const primary = state.Members.find((m) => m.Role === ROLE.primary)!;
        const group = memberGroup(store, ctx, primary)!;
        state.EngineVersion = getCluster(
          store,
          inRegion(ctx, primary.ReplicationGroupRegion),
          group.state.MemberClusters[0],
        ).state.EngineVersion;
      }
    }
    saveGlobal(store, ctx, global);
    return answer(ctx, global, changesMembers ? 'modifying' : undefined);
  };

  const DeleteGlobalReplicationGroup = (input: DeleteGlobalReplicationGroupMessage, ctx: RequestContext) => {
    const retain = requireValue(input.RetainPrimaryReplicationGroup, 'RetainPrimaryReplicationGroup', 'null');
    const global = getGlobal(store, ctx, input.GlobalReplicationGroupId);
    const { state } = global;
    if (!retain) throw invalidValue('RetainPrimaryReplicationGroup must be true: the primary group is always kept.');
    if (state.Members.some((m) => m.Role !== ROLE.primary)) {
      throw fault(
        'InvalidGlobalReplicationGroupStateFault',
        `Global replication group ${state.GlobalReplicationGroupId} still has secondary members; disassociate them first.`,
      );
    }
    for (const member of state.Members) {
      const group = memberGroup(store, ctx, member);
      if (!group) continue;
      group.state.GlobalReplicationGroupInfo = {};
      saveGroup(store, inRegion(ctx, member.ReplicationGroupRegion), group);
    }
    const shown = answer(ctx, global, 'deleting');
    store.resources.delete(globalScope(ctx), KIND.globalReplicationGroup, state.GlobalReplicationGroupId);
    return shown;
  };

  /** Every member reshards as asked (cluster mode only); the node groups keep the primary's ids. */
  const reshard = modifyShardConfiguration(deps);
  const resizeShards = (
    input: IncreaseNodeGroupsInGlobalReplicationGroupMessage & DecreaseNodeGroupsInGlobalReplicationGroupMessage,
    ctx: RequestContext,
  ) => {
    requireApplyImmediately(input.ApplyImmediately);
    const global = availableGlobal(store, ctx, input.GlobalReplicationGroupId);
    const { state } = global;
    requireClusterMode(state);
    const count = requireValue(input.NodeGroupCount, 'NodeGroupCount');
    const localIds = (ids: string[] | undefined) =>
      ids?.map((g) =>
        g.startsWith(`${state.GlobalReplicationGroupId}-`) ? g.slice(state.GlobalReplicationGroupId.length + 1) : g,
      );
    for (const member of state.Members) {
      reshard(
        {
          ReplicationGroupId: member.ReplicationGroupId,
          NodeGroupCount: count,
          ApplyImmediately: true,
          NodeGroupsToRemove: localIds(input.GlobalNodeGroupsToRemove),
          NodeGroupsToRetain: localIds(input.GlobalNodeGroupsToRetain),
        },
        inRegion(ctx, member.ReplicationGroupRegion),
      );
    }
    return answer(ctx, global, 'modifying');
  };

  const RebalanceSlotsInGlobalReplicationGroup = (
    input: RebalanceSlotsInGlobalReplicationGroupMessage,
    ctx: RequestContext,
  ) => {
    requireApplyImmediately(input.ApplyImmediately);
    const global = availableGlobal(store, ctx, input.GlobalReplicationGroupId);
    requireClusterMode(global.state);
    // Shards are split evenly whenever they change (ModifyReplicationGroupShardConfiguration): nothing to move.
    return answer(ctx, global);
  };

  return {
    CreateGlobalReplicationGroup,
    DescribeGlobalReplicationGroups,
    ModifyGlobalReplicationGroup,
    DeleteGlobalReplicationGroup,
    IncreaseNodeGroupsInGlobalReplicationGroup: resizeShards,
    DecreaseNodeGroupsInGlobalReplicationGroup: resizeShards,
    RebalanceSlotsInGlobalReplicationGroup,
    ...membershipHandlers(deps),
  };
}

function requireClusterMode(state: GlobalState): void {
  if (!state.ClusterEnabled) {
    throw invalidValue(
      `Global replication group ${state.GlobalReplicationGroupId} does not have cluster mode enabled; it has one node group.`,
    );
  }
}

function compareVersion(version: string, than: number[]): number {
  const parts = version.split('.').map(Number);
  for (let i = 0; i < than.length; i++) if ((parts[i] ?? 0) !== than[i]) return (parts[i] ?? 0) - than[i];
  return 0;
}
