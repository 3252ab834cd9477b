/**
 * Watches the nodes that should be running. At start it adopts what still runs (re-opening its endpoints),
 * has what is missing recreated, and removes this instance's orphans; afterwards it checks every few seconds and
 * has a dead node replaced, endpoint unchanged, as AWS replaces failed nodes, and a replication group whose nodes'
 * roles are not the ones it shows brought back in line (its endpoints follow the real primary).
 */
import type { Logger } from '../common/logger.js';
import type { Scope, Store } from '../store/store.js';
import { JobQueue, type WorkQueue } from '../domain/elasticache/jobs.js';
import { KIND } from '../domain/elasticache/kinds.js';
import {
  MEMBER_NODE,
  findGroup,
  isClusterMode,
  membersOf,
  type CacheClusterInternal,
  type ClusterState,
} from '../domain/elasticache/records.js';
import { replicationState } from '../dataplane/replication.js';
import type { ClusterNodes, LiveNode } from './cluster-nodes.js';

export class NodeSupervisor {
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private stopped = false;
  private readonly jobs: JobQueue;

  constructor(
    private readonly store: Store,
    private readonly nodes: ClusterNodes,
    work: WorkQueue,
    private readonly log: Logger,
    private readonly intervalMs = 2000,
  ) {
    this.jobs = new JobQueue(store, work);
  }

  private clusters() {
    return this.store.resources
      .listEverywhere<ClusterState>(KIND.cacheCluster)
      .map((r) => ({ scope: r.scope, cluster: { state: r.state, internal: r.internal as CacheClusterInternal } }));
  }

  /** A member of a replication group is healed by its group: a dead primary may need a failover first. */
  private heal(scope: Scope, cluster: ClusterState): void {
    // A check still in flight when the emulator stops must not touch the closed store.
    if (this.stopped) return;
    // One heal job per resource is enough: a new one replaces any still pending.
    const replacing = { replacing: true };
    if (cluster.ReplicationGroupId)
      this.jobs.enqueue(scope, KIND.replicationGroup, cluster.ReplicationGroupId, 'heal', {}, replacing);
    else this.jobs.enqueue(scope, KIND.cacheCluster, cluster.CacheClusterId, 'heal', {}, replacing);
  }

  /** Re-attaches running nodes to their endpoints, queues the recreation of missing ones, removes orphans. */
  async adopt(): Promise<void> {
    const known = new Set<string>();
    let adopted = 0;
    let missing = 0;
    for (const { scope, cluster } of this.clusters()) {
      const id = cluster.state.CacheClusterId;
      for (const node of cluster.state.CacheNodes)
        known.add(`${scope.account}/${scope.region}/${id}/${node.CacheNodeId}`);
      // A cluster still creating may have nodes that started before a crash: their endpoints open again too.
      if (cluster.state.CacheClusterStatus === 'deleting') continue;
      if (cluster.state.ConfigurationEndpoint) await this.nodes.openConfiguration(scope, id);
      let lost = false;
      for (const node of cluster.state.CacheNodes) {
        if (node.CacheNodeStatus === 'creating') continue;
        let handle = await this.nodes.inspect(scope, cluster, node.CacheNodeId);
        if (handle && !(await this.nodes.canAdminister(scope, cluster, node.CacheNodeId, handle))) {
          // Its data cannot be vouched for either: it goes, and is replaced as a lost node is.
          this.nodes.event(
            scope,
            id,
            `Cache node ${node.CacheNodeId} does not accept the service's credentials (started by an older build); replacing it`,
          );
          await this.nodes.runtime.removeNode(this.nodes.spec(scope, cluster, node.CacheNodeId), handle);
          handle = undefined;
        }
        if (handle) {
          await this.nodes.adopt(scope, cluster, node.CacheNodeId, handle);
          adopted++;
        } else if (cluster.state.CacheClusterStatus === 'creating') {
          // The create job, resumed, starts it again.
          this.nodes.update(scope, id, (c) => {
            const lostNode = c.state.CacheNodes.find((n) => n.CacheNodeId === node.CacheNodeId);
            if (lostNode) lostNode.CacheNodeStatus = 'creating';
          });
          missing++;
        } else {
          lost = true;
          missing++;
        }
      }
      if (lost) this.heal(scope, cluster.state);
    }
    let orphans = 0;
    // Warm spares too: a crash leaves them behind, and no resource knows them.
    for (const node of await this.nodes.runtime.listNodes({ spares: true })) {
      if (known.has(`${node.account}/${node.region}/${node.clusterId}/${node.nodeId}`)) continue;
      orphans++;
      await this.nodes.runtime.removeNode(node, { runtimeId: node.runtimeId });
    }
    this.log.info({ adopted, missing, orphansRemoved: orphans }, 'nodes reconciled with the runtime');
  }

  start(): void {
    if (this.nodes.runtime.name === 'none') return;
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** A member of a cluster-mode-disabled group whose node is not in the role the group shows for it. */
  private async roleDiffers(scope: Scope, cluster: ClusterState, node: LiveNode): Promise<boolean> {
    if (!cluster.ReplicationGroupId || cluster.Engine === 'memcached') return false;
    const found = findGroup(this.store, scope, cluster.ReplicationGroupId);
    const group = found?.state;
    if (!group?.NodeGroups[0] || !['available', 'migrating'].includes(group.Status) || isClusterMode(group))
      return false;
    const role = membersOf(group.NodeGroups[0]).find((m) => m.CacheClusterId === cluster.CacheClusterId)?.CurrentRole;
    if (!role) return false;
    // A primary that follows an upstream (a migration, a global datastore's secondary) is itself a replica.
    const shown = role === 'primary' && found?.internal.upstream ? 'replica' : role;
    const actual = await replicationState(node.admin).then(
      (state) => state.role,
      () => undefined,
    );
    if (!actual || actual === shown) return false;
    this.log.warn(
      { cluster: cluster.CacheClusterId, shown, actual },
      "a member's node is not in the role its replication group shows; bringing the group in line",
    );
    return true;
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      for (const { scope, cluster } of this.clusters()) {
        if (this.stopped) return;
        if (cluster.state.CacheClusterStatus !== 'available') continue;
        let down = false;
        let member: LiveNode | undefined;
        for (const node of cluster.state.CacheNodes) {
          if (node.CacheNodeStatus !== 'available') continue;
          // A rolling replacement removes the old node before its successor runs: not a failure.
          if (this.nodes.isStarting(scope, cluster.state.CacheClusterId, node.CacheNodeId)) continue;
          const handle = await this.nodes.inspect(scope, cluster, node.CacheNodeId);
          if (handle) {
            if (node.CacheNodeId === MEMBER_NODE)
              member = this.nodes.reachFound(scope, cluster, node.CacheNodeId, handle);
            continue;
          }
          this.log.warn(
            { cluster: cluster.state.CacheClusterId, node: node.CacheNodeId },
            'cache node is down; replacing it',
          );
          down = true;
          break;
        }
        if (down || (member && (await this.roleDiffers(scope, cluster.state, member)))) this.heal(scope, cluster.state);
      }
    } catch (error) {
      this.log.warn({ err: error }, 'node check failed');
    } finally {
      this.checking = false;
    }
  }
}
