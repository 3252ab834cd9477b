/**
 * Global datastores (global replication groups): a primary replication group in one region and secondary groups in
 * others that replicate from it. A global datastore belongs to no region: it is stored once per account (under the
 * pseudo-region GLOBAL_REGION), its id carries the primary region's prefix and its ARN an empty region field.
 */
import type { GlobalReplicationGroup, GlobalReplicationGroupMember } from '@aws-sdk/client-elasticache';
import { createHash } from 'node:crypto';
import { partitionOf } from '../regions.js';
import type { Scope, Store } from '../../store/store.js';
import { fault } from './faults.js';
import { KIND } from './kinds.js';
import { recordAccessors, type GroupState } from './records.js';

/** Where global datastores are kept in the store: beside the account's regions, in none of them. */
export const GLOBAL_REGION = 'global';

export const globalScope = (scope: Scope): Scope => ({ account: scope.account, region: GLOBAL_REGION });

/** The prefix AWS puts before GlobalReplicationGroupIdSuffix, by the primary's region. */
const ID_PREFIXES: Record<string, string> = {
  'us-east-1': 'ldgnf',
  'us-east-2': 'fpkhr',
  'us-west-1': 'virxk',
  'us-west-2': 'sgaui',
  'ca-central-1': 'bxodz',
  'ap-south-1': 'erpgt',
  'ap-northeast-1': 'quwsw',
  'ap-northeast-2': 'lfqnh',
  'ap-northeast-3': 'nlapn',
  'ap-southeast-1': 'vlqxn',
  'ap-southeast-2': 'vbgxd',
  'eu-central-1': 'iudkw',
  'eu-west-1': 'gxeiz',
  'eu-west-2': 'okuqm',
  'eu-west-3': 'fgjhi',
  'sa-east-1': 'juxlw',
  'cn-north-1': 'emvgo',
  'cn-northwest-1': 'ckbem',
  'ap-east-1': 'knjmp',
};

/** A region's prefix: AWS's where it is known, else five letters derived from the region's name (stable). */
export function globalIdPrefix(region: string): string {
  const known = ID_PREFIXES[region];
  if (known) return known;
  const digest = createHash('sha256').update(region).digest();
  return Array.from(digest.subarray(0, 5), (byte) => String.fromCharCode(97 + (byte % 26))).join('');
}

export const globalArn = (scope: Scope, id: string): string =>
  `arn:${partitionOf(scope.region)}:elasticache::${scope.account}:globalreplicationgroup:${id}`;

/** AWS's words for the members' roles (the provider compares them upper case). */
export const ROLE = { primary: 'PRIMARY', secondary: 'SECONDARY' } as const;

export type GlobalMember = GlobalReplicationGroupMember &
  Required<Pick<GlobalReplicationGroupMember, 'ReplicationGroupId' | 'ReplicationGroupRegion' | 'Role'>>;

export type GlobalState = Omit<GlobalReplicationGroup, 'Members'> &
  Required<Pick<GlobalReplicationGroup, 'GlobalReplicationGroupId' | 'Status' | 'ARN'>> & { Members: GlobalMember[] };

export type StoredGlobal = { state: GlobalState; internal: Record<string, never> };

export const globalNotFound = (id: string) =>
  fault('GlobalReplicationGroupNotFoundFault', `Global replication group ${id} not found.`);

const globals = recordAccessors<GlobalState, Record<string, never>>(
  KIND.globalReplicationGroup,
  'GlobalReplicationGroupId',
  globalNotFound,
  (s) => s.GlobalReplicationGroupId,
);

/** The global datastore of the request's account (ids are global: any region's call finds it). */
export const findGlobal = (store: Store, scope: Scope, id: string) => globals.find(store, globalScope(scope), id);
export const getGlobal = (store: Store, scope: Scope, id: string | undefined) =>
  globals.get(store, globalScope(scope), id);
export const saveGlobal = (store: Store, scope: Scope, record: StoredGlobal) =>
  globals.save(store, globalScope(scope), record);
export const updateGlobal = (store: Store, scope: Scope, id: string, change: (record: StoredGlobal) => void) =>
  globals.update(store, globalScope(scope), id, change);
export const listGlobals = (store: Store, scope: Scope) => globals.list(store, globalScope(scope));

export const primaryMemberOf = (state: GlobalState): GlobalMember | undefined =>
  state.Members.find((m) => m.Role === ROLE.primary);

/** The datastore's shape as its primary group gives it (node type, engine, shards, encryption). */
export function settingsFrom(group: GroupState, engineVersion: string): Partial<GlobalState> {
  return {
    CacheNodeType: group.CacheNodeType,
    Engine: group.Engine,
    EngineVersion: engineVersion,
    ClusterEnabled: group.ClusterEnabled,
    AuthTokenEnabled: group.AuthTokenEnabled,
    TransitEncryptionEnabled: group.TransitEncryptionEnabled,
    AtRestEncryptionEnabled: group.AtRestEncryptionEnabled,
  };
}
