/**
 * Brings cache clusters' nodes in line with what the API accepted: creates nodes and their endpoints, applies
 * pending modifications, reboots, heals, deletes. Each job re-reads the cluster at every step, so a job run again
 * after a restart finishes the work instead of repeating it.
 */
import type { Logger } from '../common/logger.js';
import type { Store } from '../store/store.js';
import { arn } from '../domain/elasticache/arns.js';
import { nextAuthTokens } from '../domain/elasticache/auth-tokens.js';
import { newCacheNode } from '../domain/elasticache/cluster-settings.js';
import { jobTable, scopeOf } from '../domain/elasticache/jobs.js';
import { KIND } from '../domain/elasticache/kinds.js';
import { effectiveParameters } from '../domain/elasticache/parameter-groups.js';
import { findCluster, nodeIdOf, recordClusterEvent, updateCluster } from '../domain/elasticache/records.js';
import { recordBackingCreated } from '../domain/elasticache/serverless-events.js';
import type { ClusterNodes } from './cluster-nodes.js';
import { failureTable } from './failure-table.js';
import { saslEventMessage } from './memcached-sasl.js';
import type { JobFailureHandler, JobWorker } from './reconciler.js';

export function cacheClusterWorkers(store: Store, nodes: ClusterNodes, log: Logger): Record<string, JobWorker> {
  return jobTable(KIND.cacheCluster, {
    async create(job) {
      const scope = scopeOf(job);
      const id = job.resourceId;
      const cluster = findCluster(store, scope, id);
      if (!cluster || cluster.state.CacheClusterStatus !== 'creating') return;
      // Nodes start side by side: a many-node memcached cluster is ready about as soon as one node (bench/RESULTS.md §2).
      await Promise.all(
        cluster.state.CacheNodes.filter((n) => n.CacheNodeStatus === 'creating').map((n) =>
          nodes.startNode(scope, id, n.CacheNodeId),
        ),
      );
      const cfg = cluster.state.Engine === 'memcached' ? await nodes.openConfiguration(scope, id) : undefined;
      updateCluster(store, scope, id, ({ state }) => {
        if (cfg) state.ConfigurationEndpoint = { Address: cfg.address, Port: cfg.port };
        state.CacheClusterStatus = 'available';
        state.CacheClusterCreateTime ??= new Date();
        recordClusterEvent(store, scope, id, 'Cache cluster created');
        recordBackingCreated(store, scope, id);
        const sasl = saslEventMessage(store, scope, id);
        if (sasl) recordClusterEvent(store, scope, id, sasl);
      });
      log.info({ cluster: id, runtime: nodes.runtime.name }, 'cache cluster available');
    },

    async modify(job) {
      const scope = scopeOf(job);
      const id = job.resourceId;
      const found = findCluster(store, scope, id);
      if (!found || !['available', 'modifying'].includes(found.state.CacheClusterStatus)) return;
      const cluster = updateCluster(store, scope, id, ({ state }) => {
        state.CacheClusterStatus = 'modifying';
      })!;
      const pending = cluster.state.PendingModifiedValues;

      for (const nodeId of pending.CacheNodeIdsToRemove ?? []) {
        await nodes.stopNode(scope, id, nodeId);
        updateCluster(store, scope, id, (c) => {
          c.state.CacheNodes = c.state.CacheNodes.filter((n) => n.CacheNodeId !== nodeId);
          delete c.internal.nodes[nodeId];
          recordClusterEvent(store, scope, id, `Removed cache node ${nodeId}`);
        });
        nodes.publishDiscovery(scope, id);
      }

      const newZones = cluster.internal.pendingNewZones ?? [];
      if (newZones.length > 0) {
        updateCluster(store, scope, id, (c) => {
          let next = Math.max(0, ...c.state.CacheNodes.map((n) => Number(n.CacheNodeId))) + 1;
          for (const zone of newZones) c.state.CacheNodes.push(newCacheNode(nodeIdOf(next++), zone));
          delete c.internal.pendingNewZones;
        });
      }
      // Every node still creating, also those a killed emulator added before it could start them.
      await Promise.all(
        (findCluster(store, scope, id)?.state.CacheNodes ?? [])
          .filter((n) => n.CacheNodeStatus === 'creating')
          .map((n) => nodes.startNode(scope, id, n.CacheNodeId)),
      );

      if (pending.EngineVersion !== undefined || pending.CacheNodeType !== undefined) {
        // New nodes on the new image and memory limit; the endpoints stay where they are.
        const changed = updateCluster(store, scope, id, (c) => {
          if (c.internal.pendingEngine) c.state.Engine = c.internal.pendingEngine;
          if (pending.EngineVersion) c.state.EngineVersion = pending.EngineVersion;
          if (pending.CacheNodeType) c.state.CacheNodeType = pending.CacheNodeType;
          delete c.internal.pendingEngine;
        })!;
        for (const node of changed.state.CacheNodes) await nodes.startNode(scope, id, node.CacheNodeId);
      }

      const updated = updateCluster(store, scope, id, (c) => {
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
        c.state.NumCacheNodes = c.state.CacheNodes.length;
        c.state.PendingModifiedValues = {};
      })!;
      // A new parameter group, a new AUTH token: the running nodes take them at once.
      for (const node of updated.state.CacheNodes) {
        const handle = await nodes.inspect(scope, updated, node.CacheNodeId);
        if (handle) await nodes.attach(scope, nodes.spec(scope, updated, node.CacheNodeId), handle);
      }
      updateCluster(store, scope, id, (c) => {
        c.state.CacheClusterStatus = 'available';
        recordClusterEvent(store, scope, id, 'Cache cluster modification complete');
      });
    },

    async reboot(job) {
      const scope = scopeOf(job);
      const id = job.resourceId;
      for (const nodeId of job.payload.nodeIds) {
        await nodes.restartNode(scope, id, nodeId);
        updateCluster(store, scope, id, (c) => {
          const node = c.state.CacheNodes.find((n) => n.CacheNodeId === nodeId);
          if (node) {
            node.CacheNodeStatus = 'available';
            node.ParameterGroupStatus = 'in-sync';
          }
          const group = c.state.CacheParameterGroup;
          group.CacheNodeIdsToReboot = (group.CacheNodeIdsToReboot ?? []).filter((n) => n !== nodeId);
          if (group.CacheNodeIdsToReboot.length === 0) group.ParameterApplyStatus = 'in-sync';
          recordClusterEvent(store, scope, id, `Cache node ${nodeId} restarted`);
        });
      }
      updateCluster(store, scope, id, (c) => {
        if (c.state.CacheClusterStatus === 'rebooting cluster nodes') c.state.CacheClusterStatus = 'available';
        const sasl = c.state.Engine === 'memcached' && saslEventMessage(store, scope, id);
        if (sasl) recordClusterEvent(store, scope, id, sasl);
      });
    },

    async delete(job) {
      const scope = scopeOf(job);
      const id = job.resourceId;
      const cluster = findCluster(store, scope, id);
      if (!cluster) return;
      await nodes.closeConfiguration(cluster.state);
      await Promise.all(cluster.state.CacheNodes.map((n) => nodes.stopNode(scope, id, n.CacheNodeId)));
      nodes.forget(scope, id);
      // Before the cluster disappears from the API: a client that saw it gone may stop the emulator right away.
      await nodes.runtime.releaseUnused?.();
      store.transaction(() => {
        store.endpoints.release(scope, KIND.cacheCluster, id);
        store.resources.delete(scope, KIND.cacheCluster, id);
        store.tags.removeAll(arn(scope, 'cluster', id));
        recordClusterEvent(store, scope, id, 'Cache cluster deleted');
      });
      log.info({ cluster: id }, 'cache cluster deleted');
    },

    /** A parameter group in use changed: running redis / valkey nodes take its immediate parameters now. */
    async 'apply-parameters'(job) {
      const scope = scopeOf(job);
      const cluster = findCluster(store, scope, job.resourceId);
      if (!cluster || cluster.state.Engine === 'memcached') return;
      const { values, changeTypes } = effectiveParameters(
        store,
        scope,
        cluster.state.CacheParameterGroup.CacheParameterGroupName,
      );
      const immediate = Object.fromEntries(
        Object.entries(values).filter(([name]) => changeTypes[name] === 'immediate'),
      );
      for (const node of cluster.state.CacheNodes) {
        const handle = await nodes.inspect(scope, cluster, node.CacheNodeId);
        if (handle) await nodes.applyParameters(nodes.spec(scope, cluster, node.CacheNodeId), handle, immediate);
      }
      nodes.update(scope, job.resourceId, ({ state }) => {
        for (const node of state.CacheNodes)
          if (node.ParameterGroupStatus === 'applying') node.ParameterGroupStatus = 'in-sync';
        if (state.CacheParameterGroup.ParameterApplyStatus === 'applying')
          state.CacheParameterGroup.ParameterApplyStatus = 'in-sync';
      });
    },

    /** A node found dead is replaced behind its unchanged endpoint, as AWS replaces failed nodes. */
    async heal(job) {
      const scope = scopeOf(job);
      const id = job.resourceId;
      const cluster = findCluster(store, scope, id);
      if (!cluster || cluster.state.CacheClusterStatus !== 'available') return;
      const dead: string[] = [];
      for (const node of cluster.state.CacheNodes) {
        if (node.CacheNodeStatus === 'available' && !(await nodes.inspect(scope, cluster, node.CacheNodeId)))
          dead.push(node.CacheNodeId);
      }
      if (dead.length === 0) return;
      recordClusterEvent(store, scope, id, `Recovering cache nodes ${dead.join(', ')}`);
      for (const nodeId of dead) await nodes.restartNode(scope, id, nodeId);
      recordClusterEvent(store, scope, id, `Finished recovery for cache nodes ${dead.join(', ')}`);
    },
  });
}

/** What a cluster shows when its job fails for good: a status the waiters see, and an event that says why. */
export function cacheClusterFailureHandlers(nodes: ClusterNodes): Record<string, JobFailureHandler> {
  const failed =
    (status: string | undefined, what: string): JobFailureHandler =>
    (job, error) => {
      const scope = scopeOf(job);
      nodes.update(scope, job.resourceId, (c) => {
        if (status) c.state.CacheClusterStatus = status;
        nodes.event(scope, job.resourceId, `Failed to ${what} cache cluster ${job.resourceId}: ${error.message}`);
      });
    };
  return failureTable(KIND.cacheCluster, {
    create: failed('create-failed', 'create'),
    modify: failed('available', 'modify'),
    reboot: failed('available', 'reboot'),
    heal: failed(undefined, 'recover the nodes of'),
    delete: failed(undefined, 'delete'),
    // The cluster stays `applying`: the values did not reach its nodes, and the API must not say they did.
    'apply-parameters': failed(undefined, 'apply its parameter group to'),
  });
}
