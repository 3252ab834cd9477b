/**
 * Online migration: StartMigration makes a group's primary replicate from a redis the customer runs (its replicas
 * follow the primary), TestMigration checks that redis can be replicated from, CompleteMigration stops following
 * it and leaves the group writable with the data. The handlers record the request; the follow-upstream and
 * test-migration jobs (control/replication-groups/upstream.ts, migration.ts) do the work on the nodes.
 */
import type {
  CompleteMigrationMessage,
  CustomerNodeEndpoint,
  StartMigrationMessage,
  TestMigrationMessage,
} from '@aws-sdk/client-elasticache';
import type { HandlerTable, RequestContext } from '../../api/query-api.js';
import type { Store } from '../../store/store.js';
import { fault, invalidValue } from '../../domain/elasticache/faults.js';
import { JobQueue, type WorkQueue } from '../../domain/elasticache/jobs.js';
import { KIND } from '../../domain/elasticache/kinds.js';
import {
  getGroup,
  isClusterMode,
  recordGroupEvent,
  saveGroup,
  type StoredGroup,
} from '../../domain/elasticache/records.js';
import { presentGroup } from './replication-groups/index.js';

/** The one endpoint of CustomerNodeEndpointList, checked as AWS checks it. */
function customerEndpoint(list: CustomerNodeEndpoint[] | undefined): { address: string; port: number } {
  if (!list || list.length === 0) {
    throw invalidValue('The parameter CustomerNodeEndpointList must be provided and must not be empty.');
  }
  if (list.length > 1) throw invalidValue('CustomerNodeEndpointList must contain exactly one endpoint.');
  const [{ Address, Port }] = list;
  if (!Address || !/^[A-Za-z0-9.:-]+$/.test(Address)) {
    throw invalidValue(`The customer node endpoint address ${Address ?? ''} is not valid.`);
  }
  if (Port === undefined || !Number.isInteger(Port) || Port < 1 || Port > 65535) {
    throw invalidValue(`The customer node endpoint port ${Port ?? ''} is not valid.`);
  }
  return { address: Address, port: Port };
}

/** A group a migration may start on (or be tested against): available, cluster mode disabled, no TLS, no upstream. */
function checkTarget(group: StoredGroup): void {
  const { state, internal } = group;
  const id = state.ReplicationGroupId;
  if (internal.upstream?.kind === 'customer') {
    throw fault('ReplicationGroupAlreadyUnderMigrationFault', `Replication group ${id} is already under migration.`);
  }
  if (state.Status !== 'available') {
    throw fault(
      'InvalidReplicationGroupStateFault',
      `Replication group ${id} is not in available state (it is ${state.Status}).`,
    );
  }
  if (internal.upstream || state.GlobalReplicationGroupInfo?.GlobalReplicationGroupId) {
    throw fault('InvalidReplicationGroupStateFault', `Replication group ${id} is a member of a global datastore.`);
  }
  if (isClusterMode(state)) {
    throw invalidValue(
      `Online migration to replication group ${id} is not supported: its cluster mode is enabled (the emulator migrates into cluster-mode-disabled groups only).`,
    );
  }
  if (state.TransitEncryptionEnabled) {
    throw invalidValue(`Online migration requires in-transit encryption to be disabled on replication group ${id}.`);
  }
}

export function migrationHandlers(store: Store, work: WorkQueue): HandlerTable {
  const jobs = new JobQueue(store, work);

  const StartMigration = (input: StartMigrationMessage, ctx: RequestContext) => {
    const group = getGroup(store, ctx, input.ReplicationGroupId);
    checkTarget(group);
    const { address, port } = customerEndpoint(input.CustomerNodeEndpointList);
    const id = group.state.ReplicationGroupId;
    group.internal.upstream = { kind: 'customer', address, port };
    group.state.Status = 'migrating';
    saveGroup(store, ctx, group);
    recordGroupEvent(store, ctx, id, `Migration started for replication group ${id} from source ${address}:${port}`);
    jobs.enqueue(ctx, KIND.replicationGroup, id, 'follow-upstream');
    return { ReplicationGroup: presentGroup(group.state) };
  };

  const TestMigration = (input: TestMigrationMessage, ctx: RequestContext) => {
    const group = getGroup(store, ctx, input.ReplicationGroupId);
    checkTarget(group);
    const endpoint = customerEndpoint(input.CustomerNodeEndpointList);
    jobs.enqueue(ctx, KIND.replicationGroup, group.state.ReplicationGroupId, 'test-migration', endpoint);
    return { ReplicationGroup: presentGroup(group.state) };
  };

  const CompleteMigration = (input: CompleteMigrationMessage, ctx: RequestContext) => {
    const group = getGroup(store, ctx, input.ReplicationGroupId);
    const { state, internal } = group;
    const id = state.ReplicationGroupId;
    if (internal.upstream?.kind !== 'customer') {
      throw fault('ReplicationGroupNotUnderMigrationFault', `Replication group ${id} is not under migration.`);
    }
    if (state.Status !== 'migrating') {
      throw fault(
        'InvalidReplicationGroupStateFault',
        `Replication group ${id} is not in migrating state (it is ${state.Status}).`,
      );
    }
    delete internal.upstream;
    internal.endingMigration = { force: input.Force === true };
    state.Status = 'modifying';
    saveGroup(store, ctx, group);
    recordGroupEvent(store, ctx, id, `Complete migration called for replication group ${id}`);
    jobs.enqueue(ctx, KIND.replicationGroup, id, 'follow-upstream');
    return { ReplicationGroup: presentGroup(state) };
  };

  return { StartMigration, TestMigration, CompleteMigration };
}
