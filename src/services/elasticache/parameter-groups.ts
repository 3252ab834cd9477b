/**
 * Cache parameter groups: the default group of every family (in every region, never stored, never changed),
 * customer groups (Create / Describe / Modify / Reset / Delete), their parameters, and the engine defaults.
 * A change to a group in use marks its clusters: immediate parameters apply at once, requires-reboot ones leave
 * the cluster `pending-reboot` until its nodes are rebooted.
 */
import type {
  CacheCluster,
  CacheParameterGroup,
  CreateCacheParameterGroupMessage,
  DeleteCacheParameterGroupMessage,
  DescribeCacheParameterGroupsMessage,
  DescribeCacheParametersMessage,
  DescribeEngineDefaultParametersMessage,
  ModifyCacheParameterGroupMessage,
  ParameterNameValue,
  ResetCacheParameterGroupMessage,
} from '@aws-sdk/client-elasticache';
import type { Scope, Store } from '../../store/store.js';
import type { HandlerTable, RequestContext } from '../../api/query-api.js';
import { JobQueue, type WorkQueue } from '../../domain/elasticache/jobs.js';
import { arn } from '../../domain/elasticache/arns.js';
import { FAMILIES } from '../../domain/elasticache/catalog.js';
import { fault, invalidCombination, invalidValue, requireValue } from '../../domain/elasticache/faults.js';
import { KIND } from '../../domain/elasticache/kinds.js';
import { paginate } from './pagination.js';
import {
  parameterTable,
  type ParameterDefinition,
  type ParameterTable,
} from '../../domain/elasticache/parameter-tables/index.js';
import { applyTags } from './tags.js';
import {
  defaultGroup,
  defaultGroupShape,
  defaultGroups,
  findParameterGroup,
  type ParameterGroupInfo,
  type ParameterGroupInternal,
} from '../../domain/elasticache/parameter-groups.js';

export const PARAMETER_GROUP_QUOTA = 300;
export const MAX_PARAMETERS_PER_CALL = 20;

const notFound = (name: string) => fault('CacheParameterGroupNotFoundFault', `CacheParameterGroup not found: ${name}`);

function requireGroup(store: Store, scope: Scope, rawName: string | undefined): ParameterGroupInfo {
  const name = requireValue(rawName, 'CacheParameterGroupName');
  const group = findParameterGroup(store, scope, name);
  if (!group) throw notFound(name.toLowerCase());
  return group;
}

/** Whether any cache cluster uses the group (or is switching to it). */
function groupInUse(store: Store, scope: Scope, name: string): boolean {
  return store.resources
    .list<CacheCluster>(scope, KIND.cacheCluster)
    .some(
      (c) => c.state.CacheParameterGroup?.CacheParameterGroupName === name || c.internal.pendingParameterGroup === name,
    );
}

/**
 * The table a group is seen through. A customer group no cluster uses may also change the "conditionally
 * modifiable" parameters (cluster-enabled, databases, ...), as on AWS; the default groups and groups in use may not.
 */
function tableOf(store: Store, scope: Scope, group: ParameterGroupInfo): ParameterTable {
  return parameterTable(group.family, {
    clusterModeOn: group.isDefault && group.clusterEnabled,
    unattachedCustomGroup: !group.isDefault && !groupInUse(store, scope, group.name),
  })!;
}

const NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * Whether a value is one of AllowedValues' alternatives: comma-separated exact values ("yes,no", "0,1", "5000")
 * and ranges ("0-", "1-10000", "-1-", "1-2" for floats, "-" for any number), as "0,20-" or "-5,-4,-3,-2,-1,1-".
 */
function allowedByList(allowed: string, value: string, numeric: boolean): boolean {
  return allowed.split(',').some((alternative) => {
    if (!numeric || NUMBER.test(alternative))
      return numeric ? Number(alternative) === Number(value) : alternative === value;
    const range = /^(-?\d+(?:\.\d+)?)?-(-?\d+(?:\.\d+)?)?$/.exec(alternative);
    if (!range) return false;
    const n = Number(value);
    return (range[1] === undefined || n >= Number(range[1])) && (range[2] === undefined || n <= Number(range[2]));
  });
}

/** Parameters whose AllowedValues list the words a value is made of, not the values themselves. */
const FREE_FORM = new Set(['rename-commands']);

/** Checks a value against the table's DataType and AllowedValues. */
function checkValue(definition: ParameterDefinition, value: string): void {
  const reject = () =>
    invalidValue(
      `Value ${value} for parameter ${definition.ParameterName} is invalid. Allowed values: ${definition.AllowedValues ?? definition.DataType}.`,
    );
  const allowed = definition.AllowedValues;
  switch (definition.DataType) {
    case 'integer':
      if (!/^-?\d+$/.test(value)) throw reject();
      if (allowed && !allowedByList(allowed, value, true)) throw reject();
      return;
    case 'float':
      if (!NUMBER.test(value)) throw reject();
      if (allowed && !allowedByList(allowed, value, true)) throw reject();
      return;
    case 'boolean':
      // Memcached's booleans are 0 / 1 (AllowedValues "0,1").
      if (!allowedByList(allowed ?? '0,1', value, false)) throw reject();
      return;
    case 'string':
      if (allowed && !FREE_FORM.has(definition.ParameterName) && !allowedByList(allowed, value, false)) throw reject();
      return;
  }
}

function checkNameValues(table: ParameterTable, items: ParameterNameValue[] | undefined, needValues: boolean) {
  const list = items ?? [];
  if (list.length > MAX_PARAMETERS_PER_CALL) {
    throw invalidValue(`At most ${MAX_PARAMETERS_PER_CALL} parameters can be modified in one request.`);
  }
  const byName = new Map<string, { IsModifiable: boolean; ChangeType: string; definition?: ParameterDefinition }>();
  for (const p of table.parameters) byName.set(p.ParameterName, { ...p, definition: p });
  for (const p of table.nodeTypeSpecificParameters) byName.set(p.ParameterName, p);
  return list.map((item) => {
    const name = requireValue(item.ParameterName, 'ParameterNameValues.ParameterNameValue.ParameterName');
    const known = byName.get(name);
    if (!known) throw invalidValue(`Unknown parameter: ${name}`);
    if (!known.IsModifiable) throw invalidValue(`Parameter ${name} is not modifiable.`);
    if (needValues) {
      const value = requireValue(item.ParameterValue, `ParameterValue of ${name}`);
      if (known.definition) checkValue(known.definition, value);
      return { name, value, changeType: known.ChangeType };
    }
    return { name, value: '', changeType: known.ChangeType };
  });
}

/** Marks the clusters that use a group after a change: applied now, or waiting for a reboot. */
function markClustersUsing(store: Store, scope: Scope, groupName: string, needsReboot: boolean, jobs: JobQueue) {
  for (const { state, internal } of store.resources.list<CacheCluster>(scope, KIND.cacheCluster)) {
    if (state.CacheParameterGroup?.CacheParameterGroupName !== groupName) continue;
    if (needsReboot) {
      const nodeIds = (state.CacheNodes ?? []).map((n) => n.CacheNodeId!);
      state.CacheParameterGroup = {
        CacheParameterGroupName: groupName,
        ParameterApplyStatus: 'pending-reboot',
        CacheNodeIdsToReboot: nodeIds,
      };
      for (const node of state.CacheNodes ?? []) node.ParameterGroupStatus = 'pending-reboot';
    } else if (state.CacheParameterGroup?.ParameterApplyStatus === 'in-sync') {
      // In sync again once the values have reached every node (the apply-parameters job), not before.
      state.CacheParameterGroup.ParameterApplyStatus = 'applying';
      for (const node of state.CacheNodes ?? [])
        if (node.ParameterGroupStatus === 'in-sync') node.ParameterGroupStatus = 'applying';
    }
    store.resources.update(scope, KIND.cacheCluster, state.CacheClusterId!, state, internal);
    jobs.enqueue(scope, KIND.cacheCluster, state.CacheClusterId!, 'apply-parameters');
  }
}

function presentParameters(table: ParameterTable, values: Record<string, string>) {
  const parameters = table.parameters.map((p) =>
    p.ParameterName in values ? { ...p, ParameterValue: values[p.ParameterName], Source: 'user' } : { ...p },
  );
  const nodeTypeSpecific = table.nodeTypeSpecificParameters.map((p) =>
    p.ParameterName in values
      ? {
          ...p,
          Source: 'user',
          CacheNodeTypeSpecificValues: p.CacheNodeTypeSpecificValues.map((v) => ({
            ...v,
            Value: values[p.ParameterName],
          })),
        }
      : p,
  );
  return { parameters, nodeTypeSpecific };
}

export function parameterGroupHandlers(store: Store, work: WorkQueue): HandlerTable {
  const jobs = new JobQueue(store, work);
  const CreateCacheParameterGroup = (input: CreateCacheParameterGroupMessage, ctx: RequestContext) => {
    const name = requireValue(input.CacheParameterGroupName, 'CacheParameterGroupName').toLowerCase();
    const family = requireValue(input.CacheParameterGroupFamily, 'CacheParameterGroupFamily');
    const description = requireValue(input.Description, 'Description');
    if (name.length > 255 || !/^[a-z][a-z0-9-]*$/.test(name) || name.includes('--') || name.endsWith('-')) {
      throw invalidValue(
        'The parameter CacheParameterGroupName is not a valid identifier. It must begin with a letter; contain only ' +
          'ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.',
      );
    }
    if (!FAMILIES.includes(family)) {
      throw invalidValue(
        `The parameter CacheParameterGroupFamily is not valid: ${family}. Valid families: ${FAMILIES.join(', ')}.`,
      );
    }
    if (store.resources.list(ctx, KIND.parameterGroup).length >= PARAMETER_GROUP_QUOTA) {
      throw fault(
        'CacheParameterGroupQuotaExceededFault',
        `You have reached the limit of ${PARAMETER_GROUP_QUOTA} cache parameter groups.`,
      );
    }
    const group: CacheParameterGroup = {
      CacheParameterGroupName: name,
      CacheParameterGroupFamily: family,
      Description: description,
      IsGlobal: false,
      ARN: arn(ctx, 'parametergroup', name),
    };
    if (
      !store.resources.insert(ctx, KIND.parameterGroup, name, group, { values: {} } satisfies ParameterGroupInternal)
    ) {
      throw fault('CacheParameterGroupAlreadyExistsFault', `Parameter group ${name} already exists.`);
    }
    applyTags(store, group.ARN!, input.Tags);
    store.events.record(ctx, 'cache-parameter-group', name, `Cache parameter group ${name} created`);
    return { CacheParameterGroup: group };
  };

  const DescribeCacheParameterGroups = (input: DescribeCacheParameterGroupsMessage, ctx: RequestContext) => {
    let groups: CacheParameterGroup[];
    if (input.CacheParameterGroupName !== undefined) {
      const name = input.CacheParameterGroupName.toLowerCase();
      const builtIn = defaultGroup(name);
      const stored = store.resources.get<CacheParameterGroup>(ctx, KIND.parameterGroup, name);
      if (!builtIn && !stored) throw notFound(name);
      groups = [builtIn ? defaultGroupShape(ctx, builtIn) : stored!.state];
    } else {
      groups = [
        ...defaultGroups().map((g) => defaultGroupShape(ctx, g)),
        ...store.resources.list<CacheParameterGroup>(ctx, KIND.parameterGroup).map((r) => r.state),
      ].sort((a, b) => a.CacheParameterGroupName!.localeCompare(b.CacheParameterGroupName!));
    }
    const { page, marker } = paginate(groups, input);
    return { Marker: marker, CacheParameterGroups: page };
  };

  const DescribeCacheParameters = (input: DescribeCacheParametersMessage, ctx: RequestContext) => {
    const group = requireGroup(store, ctx, input.CacheParameterGroupName);
    if (input.Source !== undefined && !['user', 'system', 'engine-default'].includes(input.Source)) {
      throw invalidValue(`Invalid value for Source: ${input.Source}. Valid values are: user, system, engine-default.`);
    }
    const { parameters, nodeTypeSpecific } = presentParameters(tableOf(store, ctx, group), group.values);
    const bySource = <T extends { Source?: string }>(items: T[]) => {
      if (input.Source === undefined) return items;
      if (input.Source === 'user') return items.filter((p) => p.Source === 'user');
      return items.filter((p) => p.Source !== 'user');
    };
    const { page, marker } = paginate(bySource(parameters), input);
    const firstPage = !input.Marker;
    return {
      Marker: marker,
      Parameters: page,
      CacheNodeTypeSpecificParameters: firstPage ? bySource(nodeTypeSpecific) : [],
    };
  };

  const DescribeEngineDefaultParameters = (input: DescribeEngineDefaultParametersMessage) => {
    const family = requireValue(input.CacheParameterGroupFamily, 'CacheParameterGroupFamily');
    const table = FAMILIES.includes(family) ? parameterTable(family) : undefined;
    if (!table) throw invalidValue(`The parameter CacheParameterGroupFamily is not valid: ${family}.`);
    const { page, marker } = paginate(table.parameters, input);
    return {
      EngineDefaults: {
        CacheParameterGroupFamily: family,
        Marker: marker,
        Parameters: page,
        CacheNodeTypeSpecificParameters: input.Marker ? [] : table.nodeTypeSpecificParameters,
      },
    };
  };

  const changeableGroup = (ctx: RequestContext, rawName: string | undefined) => {
    const group = requireGroup(store, ctx, rawName);
    if (group.isDefault) throw invalidValue(`Default parameter group ${group.name} cannot be modified.`);
    return group;
  };

  const save = (ctx: RequestContext, group: ParameterGroupInfo) => {
    const stored = store.resources.get<CacheParameterGroup>(ctx, KIND.parameterGroup, group.name)!;
    store.resources.update(ctx, KIND.parameterGroup, group.name, stored.state, { values: group.values });
  };

  const ModifyCacheParameterGroup = (input: ModifyCacheParameterGroupMessage, ctx: RequestContext) => {
    const group = changeableGroup(ctx, input.CacheParameterGroupName);
    if (!input.ParameterNameValues || input.ParameterNameValues.length === 0) {
      throw invalidValue('The parameter ParameterNameValues must be provided and must not be blank.');
    }
    const changes = checkNameValues(tableOf(store, ctx, group), input.ParameterNameValues, true);
    for (const change of changes) group.values[change.name] = change.value;
    save(ctx, group);
    markClustersUsing(
      store,
      ctx,
      group.name,
      changes.some((c) => c.changeType === 'requires-reboot'),
      jobs,
    );
    store.events.record(ctx, 'cache-parameter-group', group.name, `Updated parameter group ${group.name}`);
    return { CacheParameterGroupName: group.name };
  };

  const ResetCacheParameterGroup = (input: ResetCacheParameterGroupMessage, ctx: RequestContext) => {
    const group = changeableGroup(ctx, input.CacheParameterGroupName);
    const names = input.ParameterNameValues ?? [];
    if (input.ResetAllParameters && names.length > 0) {
      throw invalidCombination('ResetAllParameters and ParameterNameValues cannot both be specified.');
    }
    if (!input.ResetAllParameters && names.length === 0) {
      throw invalidValue('Either ResetAllParameters must be true or ParameterNameValues must be provided.');
    }
    const table = tableOf(store, ctx, group);
    const resetting = input.ResetAllParameters
      ? Object.keys(group.values).map((name) => ({
          name,
          changeType:
            [...table.parameters, ...table.nodeTypeSpecificParameters].find((p) => p.ParameterName === name)
              ?.ChangeType ?? 'immediate',
        }))
      : checkNameValues(table, names, false);
    for (const { name } of resetting) delete group.values[name];
    save(ctx, group);
    if (resetting.length > 0) {
      markClustersUsing(
        store,
        ctx,
        group.name,
        resetting.some((c) => c.changeType === 'requires-reboot'),
        jobs,
      );
    }
    store.events.record(ctx, 'cache-parameter-group', group.name, `Reset parameter group ${group.name}`);
    return { CacheParameterGroupName: group.name };
  };

  const DeleteCacheParameterGroup = (input: DeleteCacheParameterGroupMessage, ctx: RequestContext) => {
    const group = requireGroup(store, ctx, input.CacheParameterGroupName);
    if (group.isDefault) {
      throw fault('InvalidCacheParameterGroupStateFault', `Default parameter group ${group.name} cannot be deleted.`);
    }
    const user = store.resources
      .list<CacheCluster>(ctx, KIND.cacheCluster)
      .find(
        (c) =>
          c.state.CacheParameterGroup?.CacheParameterGroupName === group.name ||
          c.internal.pendingParameterGroup === group.name,
      );
    if (user) {
      throw fault(
        'InvalidCacheParameterGroupStateFault',
        `Parameter group ${group.name} is in use by cache cluster ${user.id} and cannot be deleted.`,
      );
    }
    store.resources.delete(ctx, KIND.parameterGroup, group.name);
    store.tags.removeAll(arn(ctx, 'parametergroup', group.name));
    store.events.record(ctx, 'cache-parameter-group', group.name, `Cache parameter group ${group.name} deleted`);
    return {};
  };

  return {
    CreateCacheParameterGroup,
    DescribeCacheParameterGroups,
    DescribeCacheParameters,
    DescribeEngineDefaultParameters,
    ModifyCacheParameterGroup,
    ResetCacheParameterGroup,
    DeleteCacheParameterGroup,
  };
}
