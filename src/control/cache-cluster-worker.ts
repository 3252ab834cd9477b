/**
 * Brings cache clusters' nodes in line with what the API accepted: creates nodes and their endpoints, applies
 * pending modifications, reboots, deletes. Every step re-reads the cluster, so a job that is run again after a
 * restart finishes the work instead of repeating it.
 */
import type { CacheCluster, CacheNode } from '@aws-sdk/client-elasticache';
import type { FastifyBaseLogger } from 'fastify';
import type { NodeHandle, NodeRuntime, NodeSpec } from '../runtime/runtime.js';
import type { Job, Scope, Store } from '../store/store.js';
import type { CacheClusterInternal, StoredCluster } from '../services/elasticache/cache-clusters.js';
import { KIND } from '../services/elasticache/kinds.js';
import { nodeType, type EngineName } from '../services/elasticache/catalog.js';
import { findParameterGroup } from '../services/elasticache/parameter-groups.js';
import { arn } from '../services/elasticache/arns.js';
import type { JobWorker } from './reconciler.js';

const CONFIGURATION_ROLE = 'cfg';

export function cacheClusterWorkers(store: Store, runtime: NodeRuntime, log: FastifyBaseLogger): Record<string, JobWorker> {
  const scopeOf = (job: Job): Scope => ({ account: job.account, region: job.region });

  const load = (scope: Scope, id: string): StoredCluster | undefined => {
    const found = store.resources.get<CacheCluster>(scope, KIND.cacheCluster, id);
    return found && { state: found.state, internal: found.internal as CacheClusterInternal };
  };

  /** Re-reads the cluster, lets `change` edit it, saves it: one transaction, never a stale write. */
  const update = (scope: Scope, id: string, change: (cluster: StoredCluster) => void): StoredCluster | undefined =>
    store.transaction(() => {
      const cluster = load(scope, id);
      if (!cluster) return undefined;
      change(cluster);
      store.resources.update(scope, KIND.cacheCluster, id, cluster.state, cluster.internal);
      return cluster;
    });

  const specOf = (scope: Scope, state: CacheCluster, nodeId: string): NodeSpec => {
    const group = findParameterGroup(store, scope, state.CacheParameterGroup!.CacheParameterGroupName!);
    const internal = load(scope, state.CacheClusterId!)?.internal;
    return {
      account: scope.account,
      region: scope.region,
      clusterId: state.CacheClusterId!,
      nodeId,
      engine: state.Engine as EngineName,
      engineVersion: state.EngineVersion!,
      cacheNodeType: state.CacheNodeType!,
      maxMemoryBytes: nodeType(state.CacheNodeType!)?.memoryBytes ?? 0,
      port: internal?.port ?? 0,
      parameters: group?.values ?? {},
      authToken: internal?.authToken,
      adminSecret: '',
      aliases: [],
    };
  };


  /** Starts one node and records it available with its endpoint. */
  const startNode = async (scope: Scope, id: string, nodeId: string, port: number) => {
    const endpoint = store.transaction(() => store.endpoints.allocate(scope, KIND.cacheCluster, id, nodeId, port));
    const current = load(scope, id);
    if (!current) return;
    const handle = await runtime.createNode(specOf(scope, current.state, nodeId));
    update(scope, id, ({ state, internal }) => {
      const node = state.CacheNodes!.find((n) => n.CacheNodeId === nodeId)!;
      node.CacheNodeStatus = 'available';
      node.CacheNodeCreateTime ??= new Date();
      node.Endpoint = { Address: endpoint.address, Port: endpoint.port };
      internal.nodes[nodeId] = { runtimeId: handle.runtimeId };
      store.events.record(scope, 'cache-cluster', id, `Added cache node ${nodeId} in availability zone ${node.CustomerAvailabilityZone}`);
    });
  };

  const stopNode = async (scope: Scope, state: CacheCluster, internal: CacheClusterInternal, nodeId: string) => {
    const handle: NodeHandle | undefined = internal.nodes[nodeId]?.runtimeId ? { runtimeId: internal.nodes[nodeId].runtimeId! } : undefined;
    await runtime.removeNode(specOf(scope, state, nodeId), handle);
  };

  const create: JobWorker = async (job) => {
    const scope = scopeOf(job);
    const cluster = load(scope, job.resourceId);
    if (!cluster || cluster.state.CacheClusterStatus !== 'creating') return;
    const port = cluster.internal.port;
    for (const node of cluster.state.CacheNodes ?? []) {
      if (node.CacheNodeStatus === 'creating') await startNode(scope, job.resourceId, node.CacheNodeId!, port);
    }
    update(scope, job.resourceId, ({ state }) => {
      if (state.Engine === 'memcached') {
        const cfg = store.endpoints.allocate(scope, KIND.cacheCluster, job.resourceId, CONFIGURATION_ROLE, port);
        state.ConfigurationEndpoint = { Address: cfg.address, Port: cfg.port };
      }
      state.CacheClusterStatus = 'available';
      state.CacheClusterCreateTime ??= new Date();
      store.events.record(scope, 'cache-cluster', job.resourceId, 'Cache cluster created');
    });
    log.info({ cluster: job.resourceId, runtime: runtime.name }, 'cache cluster available');
  };

  const modify: JobWorker = async (job) => {
    const scope = scopeOf(job);
    const id = job.resourceId;
    let cluster = load(scope, id);
    if (!cluster || !['available', 'modifying'].includes(cluster.state.CacheClusterStatus!)) return;
    cluster = update(scope, id, ({ state }) => {
      state.CacheClusterStatus = 'modifying';
    })!;
    const { state, internal } = cluster;
    const pending = state.PendingModifiedValues ?? {};
    const port = internal.port;

    for (const nodeId of pending.CacheNodeIdsToRemove ?? []) {
      await stopNode(scope, state, internal, nodeId);
      update(scope, id, (c) => {
        c.state.CacheNodes = c.state.CacheNodes!.filter((n) => n.CacheNodeId !== nodeId);
        delete c.internal.nodes[nodeId];
        store.events.record(scope, 'cache-cluster', id, `Removed cache node ${nodeId}`);
      });
      store.transaction(() => store.endpoints.release(scope, KIND.cacheCluster, id, nodeId));
    }

    const newZones = internal.pendingNewZones ?? [];
    if (newZones.length > 0) {
      update(scope, id, (c) => {
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
    for (const node of load(scope, id)?.state.CacheNodes ?? []) {
      if (node.CacheNodeStatus === 'creating') await startNode(scope, id, node.CacheNodeId!, port);
    }

    const recreate = pending.EngineVersion !== undefined || pending.CacheNodeType !== undefined;
    if (recreate) {
      const changed = update(scope, id, (c) => {
        if (c.internal.pendingEngine) c.state.Engine = c.internal.pendingEngine;
        if (pending.EngineVersion) c.state.EngineVersion = pending.EngineVersion;
        if (pending.CacheNodeType) c.state.CacheNodeType = pending.CacheNodeType;
        delete c.internal.pendingEngine;
      })!;
      for (const node of changed.state.CacheNodes ?? []) {
        const nodeId = node.CacheNodeId!;
        const handle = changed.internal.nodes[nodeId]?.runtimeId;
        const restarted = await runtime.restartNode(specOf(scope, changed.state, nodeId), { runtimeId: handle ?? '' });
        update(scope, id, (c) => {
          c.internal.nodes[nodeId] = { runtimeId: restarted.runtimeId };
        });
      }
    }

    update(scope, id, (c) => {
      const auth = c.internal.pendingAuthToken;
      if (auth) {
        if (auth.strategy === 'DELETE') {
          delete c.internal.authToken;
          c.state.AuthTokenEnabled = false;
        } else {
          c.internal.previousAuthToken = auth.strategy === 'ROTATE' ? c.internal.authToken : undefined;
          c.internal.authToken = auth.token;
          c.state.AuthTokenEnabled = true;
        }
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
      c.state.CacheClusterStatus = 'available';
      store.events.record(scope, 'cache-cluster', id, 'Cache cluster modification complete');
    });
  };

  const reboot: JobWorker = async (job) => {
    const scope = scopeOf(job);
    const id = job.resourceId;
    const cluster = load(scope, id);
    if (!cluster) return;
    const nodeIds: string[] = job.payload.nodeIds ?? [];
    for (const nodeId of nodeIds) {
      const runtimeId = cluster.internal.nodes[nodeId]?.runtimeId;
      const handle = await runtime.restartNode(specOf(scope, cluster.state, nodeId), { runtimeId: runtimeId ?? '' });
      update(scope, id, (c) => {
        const node = c.state.CacheNodes!.find((n) => n.CacheNodeId === nodeId);
        if (node) {
          node.CacheNodeStatus = 'available';
          node.ParameterGroupStatus = 'in-sync';
        }
        c.internal.nodes[nodeId] = { runtimeId: handle.runtimeId };
        const group = c.state.CacheParameterGroup!;
        group.CacheNodeIdsToReboot = (group.CacheNodeIdsToReboot ?? []).filter((n) => n !== nodeId);
        if (group.CacheNodeIdsToReboot.length === 0) group.ParameterApplyStatus = 'in-sync';
        store.events.record(scope, 'cache-cluster', id, `Cache node ${nodeId} restarted`);
      });
    }
    update(scope, id, (c) => {
      if (c.state.CacheClusterStatus === 'rebooting cache cluster nodes') c.state.CacheClusterStatus = 'available';
    });
  };

  const remove: JobWorker = async (job) => {
    const scope = scopeOf(job);
    const id = job.resourceId;
    const cluster = load(scope, id);
    if (!cluster) return;
    for (const node of cluster.state.CacheNodes ?? []) {
      await stopNode(scope, cluster.state, cluster.internal, node.CacheNodeId!);
    }
    store.transaction(() => {
      store.endpoints.release(scope, KIND.cacheCluster, id);
      store.resources.delete(scope, KIND.cacheCluster, id);
      store.tags.removeAll(arn(scope, 'cluster', id));
      store.events.record(scope, 'cache-cluster', id, 'Cache cluster deleted');
    });
    log.info({ cluster: id }, 'cache cluster deleted');
  };

  /** A parameter group in use changed. Nodes that run take immediate parameters at once (runtime permitting). */
  const applyParameters: JobWorker = async () => {};

  return {
    [`${KIND.cacheCluster}:create`]: create,
    [`${KIND.cacheCluster}:modify`]: modify,
    [`${KIND.cacheCluster}:reboot`]: reboot,
    [`${KIND.cacheCluster}:delete`]: remove,
    [`${KIND.cacheCluster}:apply-parameters`]: applyParameters,
  };
}
