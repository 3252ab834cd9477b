/**
 * The serverless cache jobs: `sync` gives the backing nodes a changed DataStorage maximum (maxmemory) at once, and
 * `delete` removes a deleted cache's record and tags once its backing group or cluster (deleted by their workers) has
 * gone.
 */
import { arn } from '../../domain/elasticache/arns.js';
import { jobTable, scopeOf } from '../../domain/elasticache/jobs.js';
import { KIND } from '../../domain/elasticache/kinds.js';
import { MEMBER_NODE } from '../../domain/elasticache/records.js';
import {
  backingGroup,
  backingGroupId,
  backingView,
  findServerless,
  updateServerless,
} from '../../domain/elasticache/serverless.js';
import { recordServerlessEvent } from '../../domain/elasticache/serverless-events.js';
import { adminCommand, pollUntil, withAdmin } from '../../dataplane/node-admin.js';
import type { Scope } from '../../store/store.js';
import type { JobWorker } from '../reconciler.js';
import type { GroupContext } from '../replication-groups/group-context.js';

/** How long a delete job waits for the backing resource to go before it tries again. */
const GROUP_GONE_TIMEOUT_MS = 100_000;

export function serverlessCacheWorkers(ctx: GroupContext): Record<string, JobWorker> {
  return jobTable(KIND.serverlessCache, {
    sync: (job) => applyMaxMemory(ctx, scopeOf(job), job.resourceId),
    delete: (job) => removeWhenGone(ctx, scopeOf(job), job.resourceId),
  });
}

async function applyMaxMemory(ctx: GroupContext, scope: Scope, name: string): Promise<void> {
  const cache = findServerless(ctx.store, scope, name);
  // A memcached node sizes its memory when it starts: the backing cluster's nodes take the new size at their next start.
  const group = cache && backingGroup(ctx.store, scope, cache);
  if (!group || !ctx.real) return;
  for (const memberId of group.state.MemberClusters) {
    const member = ctx.member(scope, memberId);
    const node = await ctx.nodes.liveNode(scope, memberId, MEMBER_NODE);
    const bytes = member?.internal.maxMemoryBytes;
    // A node not running now is started with the member's maxmemory.
    if (!node || bytes === undefined) continue;
    await withAdmin(node.admin, (redis) =>
      redis.call(adminCommand(node.admin, 'CONFIG'), 'SET', 'maxmemory', String(bytes)),
    );
  }
}

async function removeWhenGone(ctx: GroupContext, scope: Scope, name: string): Promise<void> {
  const { store } = ctx;
  const cache = findServerless(store, scope, name);
  if (!cache) return;
  const gone = await pollUntil(
    async () => {
      const backing = backingView(store, scope, cache);
      if (!backing) return { value: true };
      // Its delete was given up (a final snapshot that failed puts the resource back to available): so is the cache's.
      if (backing.status !== 'deleting') return { value: false };
      return 'the backing resource is still there';
    },
    GROUP_GONE_TIMEOUT_MS,
    `serverless cache ${name}: backing resource deleted`,
    100,
  );
  if (!gone) {
    updateServerless(store, scope, name, (c) => (c.state.Status = 'available'));
    return;
  }
  store.transaction(() => {
    store.resources.delete(scope, KIND.serverlessCache, name);
    // Its own subnet group (SubnetIds), if it had one.
    store.resources.delete(scope, KIND.subnetGroup, backingGroupId(name));
    store.tags.removeAll(arn(scope, 'serverlesscache', name));
    recordServerlessEvent(store, scope, name, `Serverless cache ${name} deleted`);
  });
}
