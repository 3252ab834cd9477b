/**
 * The replication group jobs as the reconciler runs them: one worker per action, each receiving its payload
 * typed, and what a group shows when one of its jobs has failed for good.
 */
import { jobTable, scopeOf } from '../../domain/elasticache/jobs.js';
import { KIND } from '../../domain/elasticache/kinds.js';
import { failureTable } from '../failure-table.js';
import type { JobFailureHandler, JobWorker } from '../reconciler.js';
import { converge } from './converge.js';
import type { GroupContext } from './group-context.js';
import { heal, rebootMember, remove } from './lifecycle.js';
import { checkMigrationSource } from './migration.js';
import { syncUpstream } from './upstream.js';

export function replicationGroupWorkers(ctx: GroupContext): Record<string, JobWorker> {
  return jobTable(KIND.replicationGroup, {
    converge: (job) => converge(ctx, scopeOf(job), job.resourceId, job.payload.maintenance),
    heal: (job) => heal(ctx, scopeOf(job), job.resourceId),
    'reboot-member': (job) => rebootMember(ctx, scopeOf(job), job.resourceId, job.payload.clusterId),
    delete: (job) => remove(ctx, scopeOf(job), job.resourceId),
    'follow-upstream': (job) => syncUpstream(ctx, scopeOf(job), job.resourceId),
    'test-migration': (job) => checkMigrationSource(ctx, scopeOf(job), job.resourceId, job.payload),
  });
}

/** What a group shows when its job fails for good: a status its members share, and an event that says why. */
export function replicationGroupFailureHandlers(ctx: GroupContext): Record<string, JobFailureHandler> {
  const failed =
    (status: string | undefined, what: string): JobFailureHandler =>
    (job, error) => {
      const scope = scopeOf(job);
      // A group that had been created falls back to available: create-failed is only for a group still creating.
      let shown = status;
      const group = ctx.update(scope, job.resourceId, (g) => {
        if (shown === 'create-failed' && g.state.Status !== 'creating') shown = 'available';
        if (shown) g.state.Status = shown;
        delete g.internal.failover;
      });
      for (const memberId of group?.state.MemberClusters ?? []) {
        ctx.updateMember(scope, memberId, ({ state }) => {
          if (shown === 'create-failed' && state.CacheClusterStatus === 'creating')
            state.CacheClusterStatus = 'create-failed';
          else if (state.CacheClusterStatus !== 'deleting') state.CacheClusterStatus = 'available';
        });
      }
      ctx.groupEvent(scope, job.resourceId, `Failed to ${what} replication group ${job.resourceId}: ${error.message}`);
    };
  return failureTable(KIND.replicationGroup, {
    converge: failed('create-failed', 'update'),
    heal: failed(undefined, 'recover the nodes of'),
    'reboot-member': failed(undefined, 'reboot a member of'),
    delete: failed(undefined, 'delete'),
    'follow-upstream': (job, error) => {
      // A migration that cannot sync keeps running (CompleteMigration with Force stops it); anything else is over.
      const scope = scopeOf(job);
      ctx.update(scope, job.resourceId, (g) => {
        g.state.Status = g.internal.upstream?.kind === 'customer' ? 'migrating' : 'available';
      });
      ctx.groupEvent(
        scope,
        job.resourceId,
        `Failed to replicate from the upstream of replication group ${job.resourceId}: ${error.message}`,
      );
    },
    'test-migration': (job, error) =>
      ctx.groupEvent(scopeOf(job), job.resourceId, `Test migration failed: ${error.message}`),
  });
}
