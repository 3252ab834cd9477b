/**
 * Brings cache clusters' nodes in line with what the API accepted: creates nodes and their endpoints, applies
 * pending modifications, reboots, heals, deletes. Each job re-reads the cluster at every step, so a job run again
 * after a restart finishes the work instead of repeating it.
 */
import type { CacheNode } from '@aws-sdk/client-elasticache';
import type { FastifyBaseLogger } from 'fastify';
import type { Job, Scope, Store } from '../store/store.js';
import { arn } from '../domain/elasticache/arns.js';
import { nextAuthTokens } from '../domain/elasticache/auth-tokens.js';
import { KIND } from '../domain/elasticache/kinds.js';
import { effectiveParameters } from '../domain/elasticache/parameter-groups.js';
import type { ClusterNodes } from './cluster-nodes.js';
import type { JobFailureHandler, JobWorker } from './reconciler.js';

export function cacheClusterWorkers(store: Store, nodes: ClusterNodes, log: FastifyBaseLogger): Record<string, JobWorker> {
  const scopeOf = (job: Job): Scope => ({ account: job.account, region: job.region });

  const create: JobWorker = async (job) => {
    const scope = scopeOf(job);
    const id = job.resourceId;
    const cluster = nodes.load(scope, id);
    if (!cluster || cluster.state.CacheClusterStatus !== 'creating') return;
    // Nodes start side by side: a 40-node memcached cluster is no slower than one node.
    await Promise.all(
      (cluster.state.CacheNodes ?? [])
        .filter((n) => n.CacheNodeStatus === 'creating')
        .map((n) => nodes.startNode(scope, id, n.CacheNodeId!)),
    );
    const cfg = cluster.state.Engine === 'memcached' ? await nodes.openConfiguration(scope, id) : undefined;
    nodes.update(scope, id, ({ state }) => {
      if (cfg) state.ConfigurationEndpoint = { Address: cfg.address, Port: cfg.port };
      state.CacheClusterStatus = 'available';
      state.CacheClusterCreateTime ??= new Date();
      nodes.event(scope, id, 'Cache cluster created');
    });
    log.info({ cluster: id, runtime: nodes.runtime.name }, 'cache cluster available');
  };

  const modify: JobWorker = async (job) => {
    const scope = scopeOf(job);
    const id = job.resourceId;
    let cluster = nodes.load(scope, id);
    if (!cluster || !['available', 'modifying'].includes(cluster.state.CacheClusterStatus!)) return;
    cluster = nodes.update(scope, id, ({ state }) => {
      state.CacheClusterStatus = 'modifying';
    })!;
    const pending = cluster.state.PendingModifiedValues ?? {};

    for (const nodeId of pending.CacheNodeIdsToRemove ?? []) {
      await nodes.stopNode(scope, id, nodeId);
      nodes.update(scope, id, (c) => {
        c.state.CacheNodes = c.state.CacheNodes!.filter((n) => n.CacheNodeId !== nodeId);
        delete c.internal.nodes[nodeId];
        nodes.event(scope, id, `Removed cache node ${nodeId}`);
      });
      nodes.publishDiscovery(scope, id);
    }

    const newZones = cluster.internal.pendingNewZones ?? [];
    if (newZones.length > 0) {
      nodes.update(scope, id, (c) => {
        let next = Math.max(0, ...c.state.CacheNodes!.map((n) => Number(n.CacheNodeId))) + 1;
        for (const zone of newZones) {
          c.state.CacheNodes!.push({
            CacheNodeId: String(next++).padStart(4, '0'),
            CacheNodeStatus: 'creating',
            ParameterGroupStatus: 'in-sync',
            CustomerAvailabilityZone: zone,
          } satisfies CacheNode);
        }
        delete c.internal.pendingNewZones;
      });
    }
    // Every node still creating, also those a killed emulator added before it could start them.
    await Promise.all(
      (nodes.load(scope, id)?.state.CacheNodes ?? [])
        .filter((n) => n.CacheNodeStatus === 'creating')
        .map((n) => nodes.startNode(scope, id, n.CacheNodeId!)),
    );

    if (pending.EngineVersion !== undefined || pending.CacheNodeType !== undefined) {
      // New nodes on the new image and memory limit; the endpoints stay where they are.
      const changed = nodes.update(scope, id, (c) => {
        if (c.internal.pendingEngine) c.state.Engine = c.internal.pendingEngine;
        if (pending.EngineVersion) c.state.EngineVersion = pending.EngineVersion;
        if (pending.CacheNodeType) c.state.CacheNodeType = pending.CacheNodeType;
        delete c.internal.pendingEngine;
      })!;
      for (const node of changed.state.CacheNodes ?? []) await nodes.startNode(scope, id, node.CacheNodeId!);
    }

    const updated = nodes.update(scope, id, (c) => {
      const auth = c.internal.pendingAuthToken;
      if (auth) {
        Object.assign(c.internal, nextAuthTokens(c.internal, auth));
        c.state.AuthTokenEnabled = c.internal.authToken !== undefined;
        c.state.AuthTokenLastModifiedDate = new Date();
        delete c.internal.pendingAuthToken;
      }
      if (c.internal.pendingParameterGroup) {
        c.state.CacheParameterGroup = {
          CacheParameterGroupName: c.internal.pendingParameterGroup,
          ParameterApplyStatus: 'in-sync',
          CacheNodeIdsToReboot: [],
        };
        delete c.internal.pendingParameterGroup;
      }
      c.state.NumCacheNodes = c.state.CacheNodes!.length;
      c.state.PendingModifiedValues = {};
    })!;
    // A new parameter group, a new AUTH token: the running nodes take them at once.
    for (const node of updated.state.CacheNodes ?? []) {
      const handle = await nodes.inspect(scope, updated, node.CacheNodeId!);
      if (handle) await nodes.attach(scope, nodes.spec(scope, updated, node.CacheNodeId!), handle);
    }
    nodes.update(scope, id, (c) => {
      c.state.CacheClusterStatus = 'available';
      nodes.event(scope, id, 'Cache cluster modification complete');
    });
  };

  const reboot: JobWorker = async (job) => {
    const scope = scopeOf(job);
    const id = job.resourceId;
    const nodeIds: string[] = job.payload.nodeIds ?? [];
    for (const nodeId of nodeIds) {
      await nodes.restartNode(scope, id, nodeId);
      nodes.update(scope, id, (c) => {
        const node = c.state.CacheNodes!.find((n) => n.CacheNodeId === nodeId);
        if (node) {
          node.CacheNodeStatus = 'available';
          node.ParameterGroupStatus = 'in-sync';
        }
        const group = c.state.CacheParameterGroup!;
        group.CacheNodeIdsToReboot = (group.CacheNodeIdsToReboot ?? []).filter((n) => n !== nodeId);
        if (group.CacheNodeIdsToReboot.length === 0) group.ParameterApplyStatus = 'in-sync';
        nodes.event(scope, id, `Cache node ${nodeId} restarted`);
      });
    }
    nodes.update(scope, id, (c) => {
      if (c.state.CacheClusterStatus === 'rebooting cluster nodes') c.state.CacheClusterStatus = 'available';
    });
  };

  const remove: JobWorker = async (job) => {
    const scope = scopeOf(job);
    const id = job.resourceId;
    const cluster = nodes.load(scope, id);
    if (!cluster) return;
    await nodes.closeConfiguration(cluster.state);
    await Promise.all((cluster.state.CacheNodes ?? []).map((n) => nodes.stopNode(scope, id, n.CacheNodeId!)));
    nodes.forget(scope, id);
    // Before the cluster disappears from the API: a client that saw it gone may stop the emulator right away.
    await nodes.runtime.releaseUnused?.();
    store.transaction(() => {
      store.endpoints.release(scope, KIND.cacheCluster, id);
      store.resources.delete(scope, KIND.cacheCluster, id);
      store.tags.removeAll(arn(scope, 'cluster', id));
      nodes.event(scope, id, 'Cache cluster deleted');
    });
    log.info({ cluster: id }, 'cache cluster deleted');
  };

  /** A parameter group in use changed: running redis / valkey nodes take its immediate parameters now. */
  const applyParameters: JobWorker = async (job) => {
    const scope = scopeOf(job);
    const cluster = nodes.load(scope, job.resourceId);
    if (!cluster || cluster.state.Engine === 'memcached') return;
    const { values, changeTypes } = effectiveParameters(store, scope, cluster.state.CacheParameterGroup!.CacheParameterGroupName!);
    const immediate = Object.fromEntries(Object.entries(values).filter(([name]) => changeTypes[name] === 'immediate'));
    for (const node of cluster.state.CacheNodes ?? []) {
      const handle = await nodes.inspect(scope, cluster, node.CacheNodeId!);
      if (handle) await nodes.applyParameters(nodes.spec(scope, cluster, node.CacheNodeId!), handle, immediate);
    }
  };

  /** A node found dead is replaced behind its unchanged endpoint, as AWS replaces failed nodes. */
  const heal: JobWorker = async (job) => {
    const scope = scopeOf(job);
    const id = job.resourceId;
    const cluster = nodes.load(scope, id);
    if (!cluster || cluster.state.CacheClusterStatus !== 'available') return;
    const dead: string[] = [];
    for (const node of cluster.state.CacheNodes ?? []) {
      if (node.CacheNodeStatus === 'available' && !(await nodes.inspect(scope, cluster, node.CacheNodeId!))) dead.push(node.CacheNodeId!);
    }
    if (dead.length === 0) return;
    nodes.event(scope, id, `Recovering cache nodes ${dead.join(', ')}`);
    for (const nodeId of dead) await nodes.restartNode(scope, id, nodeId);
    nodes.event(scope, id, `Finished recovery for cache nodes ${dead.join(', ')}`);
  };

  return {
    [`${KIND.cacheCluster}:create`]: create,
    [`${KIND.cacheCluster}:modify`]: modify,
    [`${KIND.cacheCluster}:reboot`]: reboot,
    [`${KIND.cacheCluster}:delete`]: remove,
    [`${KIND.cacheCluster}:apply-parameters`]: applyParameters,
    [`${KIND.cacheCluster}:heal`]: heal,
  };
}

/** What a cluster shows when its job fails for good: a status the waiters see, and an event that says why. */
export function cacheClusterFailureHandlers(nodes: ClusterNodes): Record<string, JobFailureHandler> {
  const failed = (status: string | undefined, what: string): JobFailureHandler => (job, error) => {
    const scope = { account: job.account, region: job.region };
    nodes.update(scope, job.resourceId, (c) => {
      if (status) c.state.CacheClusterStatus = status;
      nodes.event(scope, job.resourceId, `Failed to ${what} cache cluster ${job.resourceId}: ${error.message}`);
    });
  };
  return {
    [`${KIND.cacheCluster}:create`]: failed('create-failed', 'create'),
    [`${KIND.cacheCluster}:modify`]: failed('available', 'modify'),
    [`${KIND.cacheCluster}:reboot`]: failed('available', 'reboot'),
    [`${KIND.cacheCluster}:heal`]: failed(undefined, 'recover the nodes of'),
    [`${KIND.cacheCluster}:delete`]: failed(undefined, 'delete'),
  };
}
