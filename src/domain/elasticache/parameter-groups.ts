/**
 * Parameter groups as the rest of the service needs them: the built-in default groups and their names, a group's
 * family, cluster mode and customer values, and the values a node of a group actually runs with.
 */
import type { CacheParameterGroup } from '@aws-sdk/client-elasticache';
import type { Scope, Store } from '../../store/store.js';
import { arn } from './arns.js';
import { FAMILIES, familySupportsClusterMode } from './catalog.js';
import { KIND } from './kinds.js';
import { parameterTable } from './parameter-tables/index.js';

const CLUSTER_ON = '.cluster.on';

export interface ParameterGroupInfo {
  name: string;
  family: string;
  isDefault: boolean;
  clusterEnabled: boolean;
  /** Values a customer set, by parameter name. */
  values: Record<string, string>;
}

export interface ParameterGroupInternal {
  values: Record<string, string>;
}

export function defaultParameterGroupName(family: string, clusterModeOn = false): string {
  return `default.${family}${clusterModeOn ? CLUSTER_ON : ''}`;
}

/** The default groups: default.<family> for all, default.<family>.cluster.on where cluster mode exists. */
export function defaultGroups(): { name: string; family: string; clusterModeOn: boolean }[] {
  return FAMILIES.flatMap((family) => [
    { name: defaultParameterGroupName(family), family, clusterModeOn: false },
    ...(familySupportsClusterMode(family)
      ? [{ name: defaultParameterGroupName(family, true), family, clusterModeOn: true }]
      : []),
  ]);
}

export function defaultGroup(name: string) {
  return defaultGroups().find((group) => group.name === name);
}

export function defaultGroupShape(
  scope: Scope,
  group: { name: string; family: string; clusterModeOn: boolean },
): CacheParameterGroup {
  return {
    CacheParameterGroupName: group.name,
    CacheParameterGroupFamily: group.family,
    Description: group.clusterModeOn
      ? `Customized default parameter group for ${group.family} with cluster mode on`
      : `Default parameter group for ${group.family}`,
    IsGlobal: false,
    ARN: arn(scope, 'parametergroup', group.name),
  };
}

export function findParameterGroup(store: Store, scope: Scope, rawName: string): ParameterGroupInfo | undefined {
  const name = rawName.toLowerCase();
  const builtIn = defaultGroup(name);
  if (builtIn) {
    return { name, family: builtIn.family, isDefault: true, clusterEnabled: builtIn.clusterModeOn, values: {} };
  }
  const stored = store.resources.get<CacheParameterGroup>(scope, KIND.parameterGroup, name);
  if (!stored) return undefined;
  const values = (stored.internal as ParameterGroupInternal).values;
  return {
    name,
    family: stored.state.CacheParameterGroupFamily!,
    isDefault: false,
    clusterEnabled: values['cluster-enabled'] === 'yes',
    values,
  };
}

/** For the tag handlers: whether a parameter group exists (default groups included). */
export function parameterGroupExists(store: Store, scope: Scope, name: string): boolean {
  return findParameterGroup(store, scope, name) !== undefined;
}

export interface EffectiveParameters {
  /** Every parameter with a value: the family's default, or the group's own where it set one. */
  values: Record<string, string>;
  changeTypes: Record<string, string>;
}

/** What a node of a group runs with: the family's defaults with the group's changes over them. */
export function effectiveParameters(store: Store, scope: Scope, groupName: string): EffectiveParameters {
  const group = findParameterGroup(store, scope, groupName);
  const values: Record<string, string> = {};
  const changeTypes: Record<string, string> = {};
  if (!group) return { values, changeTypes };
  const table = parameterTable(group.family, { clusterModeOn: group.isDefault && group.clusterEnabled });
  for (const p of table?.parameters ?? []) {
    changeTypes[p.ParameterName] = p.ChangeType;
    if (p.ParameterValue !== undefined) values[p.ParameterName] = p.ParameterValue;
  }
  for (const p of table?.nodeTypeSpecificParameters ?? []) changeTypes[p.ParameterName] = p.ChangeType;
  Object.assign(values, group.values);
  return { values, changeTypes };
}
