/**
 * Makes replication groups real. One `converge` job brings a group's nodes in line with what the API accepted:
 * member nodes started or removed, replicas following their primary (REPLICAOF) or a Redis Cluster with every
 * shard serving its slots, slots migrated when shards come and go, a requested failover carried out, node type
 * or version changes rolled through the members, and the group's endpoints following the roles. `heal` replaces
 * dead members (promoting a replica first when automatic failover is on), `reboot-member` restarts one, `delete`
 * removes everything. Every step looks at the stored state and the nodes first, so a job run again after a crash
 * finishes the work instead of repeating it.
 */
import type { ReplicationGroup } from '@aws-sdk/client-elasticache';
import type { FastifyBaseLogger } from 'fastify';
import type { EndpointManager, GroupAddress } from '../dataplane/endpoints.js';
import { applyAuthTokens, pollUntil, setListenAddresses, withAdmin } from '../dataplane/node-admin.js';
import { Stopping } from '../dataplane/stopping.js';
import {
  addMembers,
  attachReplica,
  clusterFailover,
  createCluster,
  forgetMembers,
  memberIds,
  moveSlots,
  readClusterNodes,
  waitClusterStable,
  type ClusterMember,
  type ClusterNode,
} from '../dataplane/redis-cluster.js';
import { bestCandidate, failover as promote, replicaOf, waitForSync } from '../dataplane/replication.js';
import { formatSlotRanges, slotMoves, slotsToRanges } from '../common/slot-ranges.js';
import type { EndpointAllocation, Job, Scope, Store } from '../store/store.js';
import { arn } from '../domain/elasticache/arns.js';
import { nextAuthTokens } from '../domain/elasticache/auth-tokens.js';
import { KIND } from '../domain/elasticache/kinds.js';
import { findGroup, isClusterMode, membersOf, primaryOf, replicasOf, updateGroup, type StoredGroup } from '../domain/elasticache/records.js';
import { parseSlots, slotsOf } from '../domain/elasticache/slots.js';
import type { ClusterNodes, LiveNode } from './cluster-nodes.js';
import type { JobFailureHandler, JobWorker } from './reconciler.js';

const NODE = '0001';


export class ReplicationGroups {
  constructor(
    private readonly store: Store,
    private readonly nodes: ClusterNodes,
    private readonly endpoints: EndpointManager,
    private readonly log: FastifyBaseLogger,
  ) {}

  private get real(): boolean {
    return this.nodes.runtime.name !== 'none';
  }

  load(scope: Scope, id: string): StoredGroup | undefined {
    return findGroup(this.store, scope, id);
  }

  update(scope: Scope, id: string, change: (group: StoredGroup) => void): StoredGroup | undefined {
    return updateGroup(this.store, scope, id, change);
  }

  recordEvent(scope: Scope, id: string, message: string): void {
    this.groupEvent(scope, id, message);
  }

  private groupEvent(scope: Scope, id: string, message: string): void {
    this.store.events.record(scope, 'replication-group', id, message);
  }

  private address(scope: Scope, id: string): GroupAddress {
    return { ...scope, groupId: id };
  }

  /** A member's node, as the emulator and the other nodes reach it; an error when it does not run (the job retries). */
  private async live(scope: Scope, memberId: string): Promise<LiveNode> {
    const node = await this.nodes.liveNode(scope, memberId, NODE);
    if (!node) throw new Error(`the node of ${memberId} is not running`);
    return node;
  }

  // ---- converge ------------------------------------------------------------------------------------------------

  async converge(scope: Scope, id: string, maintenance = false): Promise<void> {
    let group = this.load(scope, id);
    if (!group || group.state.Status === 'deleting') return;
    if (maintenance || group.state.Status === 'available') {
      group = this.update(scope, id, (g) => (g.state.Status = 'modifying'))!;
    }
    const creating = group.state.Status === 'creating';

    // Members whose nodes do not run yet start side by side.
    const starting = (group.state.MemberClusters ?? []).filter((m) => this.nodes.load(scope, m)?.state.CacheNodes?.[0]?.CacheNodeStatus === 'creating');
    await Promise.all(starting.map((m) => this.nodes.startNode(scope, m, NODE)));

    group = this.load(scope, id)!;
    if (isClusterMode(group.state)) await this.convergeCluster(scope, id, creating);
    else await this.convergeReplication(scope, id);

    group = this.load(scope, id)!;
    if (group.internal.pendingNodeType || group.internal.pendingEngineVersion || group.internal.pendingEngine || group.internal.pendingParameterGroup) {
      await this.rollNodeChanges(scope, id);
    }
    if (this.load(scope, id)!.internal.failover) await this.failover(scope, id);
    if (this.load(scope, id)!.internal.pendingAuthToken) await this.applyAuthToken(scope, id);
    await this.openEndpoints(scope, id);
    this.finish(scope, id, creating);
  }

  /** Cluster mode disabled: removed members go, every replica follows the primary and has synced. */
  private async convergeReplication(scope: Scope, id: string): Promise<void> {
    for (const memberId of this.load(scope, id)!.internal.removingMembers ?? []) await this.dropMember(scope, id, memberId);
    if (!this.real) return;
    const nodeGroup = this.load(scope, id)!.state.NodeGroups![0];
    const primary = await this.live(scope, primaryOf(nodeGroup)!.CacheClusterId!);
    await replicaOf(primary.admin, undefined);
    const replicas = await Promise.all(replicasOf(nodeGroup).map((m) => this.live(scope, m.CacheClusterId!)));
    await Promise.all(replicas.map((r) => replicaOf(r.admin, primary.peer)));
    await Promise.all(replicas.map((r) => waitForSync(r.admin)));
  }

  /**
   * Cluster mode enabled: a new group becomes one Redis Cluster; later, new members join (new shards empty, new
   * replicas behind their primary), slots move to where targetSlots says, and leaving nodes are forgotten.
   */
  private async convergeCluster(scope: Scope, id: string, creating: boolean): Promise<void> {
    const group = this.load(scope, id)!;
    const { state, internal } = group;
    if (!this.real) {
      this.update(scope, id, (g) => {
        for (const ng of g.state.NodeGroups ?? []) if (g.internal.targetSlots?.[ng.NodeGroupId!] !== undefined) ng.Slots = g.internal.targetSlots[ng.NodeGroupId!];
      });
      await this.dropLeavingShards(scope, id, []);
      for (const memberId of this.load(scope, id)!.internal.removingMembers ?? []) await this.dropMember(scope, id, memberId);
      return;
    }
    const leavingShards = new Set(internal.removingShards ?? []);
    const removing = new Set(internal.removingMembers ?? []);
    const shards = state.NodeGroups ?? [];
    if (creating) {
      const specs = await Promise.all(
        shards.map(async (ng) => ({
          primary: await this.live(scope, primaryOf(ng)!.CacheClusterId!),
          replicas: await Promise.all(replicasOf(ng).map((m) => this.live(scope, m.CacheClusterId!))),
          slots: parseSlots(ng.Slots!),
        })),
      );
      await createCluster(specs);
      return;
    }
    await this.syncClusterRoles(scope, id);
    // Joiners: members whose cluster record is still creating.
    const anyLive = await this.live(scope, primaryOf(shards.find((ng) => !leavingShards.has(ng.NodeGroupId!) && ng.Status !== 'creating') ?? shards[0])!.CacheClusterId!);
    for (const ng of shards) {
      const primaryId = primaryOf(ng)!.CacheClusterId!;
      const joining = membersOf(ng).filter((m) => this.nodes.load(scope, m.CacheClusterId!)?.state.CacheClusterStatus === 'creating');
      if (joining.length === 0) continue;
      const primary = await this.live(scope, primaryId);
      const joiners = await Promise.all(joining.map((m) => this.live(scope, m.CacheClusterId!)));
      await addMembers(anyLive, joiners);
      for (const [i, member] of joining.entries()) {
        if (member.CacheClusterId !== primaryId) await attachReplica(joiners[i], primary);
      }
    }
    // Replicas leaving their shard are forgotten, then removed.
    if (removing.size > 0) {
      const leaving = [...removing];
      const leavingNodes = await Promise.all(leaving.map((m) => this.nodes.liveNode(scope, m, NODE)));
      const leavingIds = await memberIds(leavingNodes.filter((n): n is LiveNode => n !== undefined));
      const remaining = await this.liveMembers(scope, id, (m) => !removing.has(m));
      if (leavingIds.length > 0) await forgetMembers(remaining, leavingIds);
      for (const memberId of leaving) await this.dropMember(scope, id, memberId);
    }
    if (internal.targetSlots) await this.moveSlotsToTargets(scope, id);
    if (leavingShards.size > 0) await this.dropLeavingShards(scope, id, [...leavingShards]);
    await waitClusterStable(await this.liveMembers(scope, id));
  }

  /**
   * Takes the roles from the cluster itself: Redis Cluster may have failed a shard over on its own. The state then
   * follows what the nodes say, as AWS's does after an automatic failover.
   */
  private async syncClusterRoles(scope: Scope, id: string): Promise<void> {
    const { state } = this.load(scope, id)!;
    const members = (state.MemberClusters ?? []).filter((m) => this.nodes.load(scope, m)?.state.CacheClusterStatus === 'available');
    const live = (await Promise.all(members.map(async (m) => ({ m, node: await this.nodes.liveNode(scope, m, NODE) })))).filter((x) => x.node);
    if (live.length === 0) return;
    const ids = await memberIds(live.map((x) => x.node!));
    const view = await readClusterNodes(live[0].node!);
    const memberOf = new Map(ids.map((nodeId, i) => [nodeId, live[i].m]));
    for (const ng of state.NodeGroups ?? []) {
      const oldPrimary = primaryOf(ng)?.CacheClusterId;
      const actual = view.find((n) => n.role === 'primary' && !n.failed && membersOf(ng).some((m) => m.CacheClusterId === memberOf.get(n.id)));
      const actualPrimary = actual && memberOf.get(actual.id);
      if (oldPrimary && actualPrimary && actualPrimary !== oldPrimary) {
        await this.switchRoles(scope, id, ng.NodeGroupId!, oldPrimary, actualPrimary);
        this.groupEvent(scope, id, `Failover from primary node ${oldPrimary} to replica node ${actualPrimary} completed`);
      }
    }
  }

  private async liveMembers(scope: Scope, id: string, keep: (memberId: string) => boolean = () => true): Promise<ClusterMember[]> {
    const ids = (this.load(scope, id)!.state.MemberClusters ?? []).filter(keep);
    return Promise.all(ids.map((m) => this.live(scope, m)));
  }

  /** Moves slots shard by shard until every shard owns its target slots, showing the progress in the group. */
  private async moveSlotsToTargets(scope: Scope, id: string): Promise<void> {
    const { state, internal } = this.load(scope, id)!;
    const target = internal.targetSlots!;
    const moves = slotMoves(
      Object.fromEntries((state.NodeGroups ?? []).map((ng) => [ng.NodeGroupId!, slotsOf(ng.Slots)])),
      Object.fromEntries(Object.entries(target).map(([to, value]) => [to, slotsOf(value)])),
    );
    await this.syncClusterRoles(scope, id);
    const total = moves.reduce((sum, move) => sum + move.slots.length, 0);
    let done = 0;
    const primaries = await Promise.all(
      (this.load(scope, id)!.state.NodeGroups ?? []).map(async (ng) => [ng.NodeGroupId!, await this.live(scope, primaryOf(ng)!.CacheClusterId!)] as const),
    );
    const primaryOfShard = new Map(primaries);
    const everyone = primaries.map(([, p]) => p);
    for (const { from, to, slots } of moves) {
      await moveSlots(primaryOfShard.get(from)!, primaryOfShard.get(to)!, slots, everyone, {
        onProgress: (percentage) => {
          const overall = Math.round(((done + (slots.length * percentage) / 100) / total) * 1000) / 10;
          this.update(scope, id, (g) => {
            g.state.PendingModifiedValues = { ...g.state.PendingModifiedValues, Resharding: { SlotMigration: { ProgressPercentage: overall } } };
          });
        },
      });
      done += slots.length;
      this.update(scope, id, (g) => {
        for (const ng of g.state.NodeGroups ?? []) {
          const owned = new Set(slotsOf(ng.Slots));
          if (ng.NodeGroupId === from) for (const s of slots) owned.delete(s);
          if (ng.NodeGroupId === to) for (const s of slots) owned.add(s);
          ng.Slots = formatSlotRanges(slotsToRanges(owned));
        }
      });
    }
    this.update(scope, id, (g) => {
      for (const ng of g.state.NodeGroups ?? []) if (target[ng.NodeGroupId!] !== undefined) ng.Slots = target[ng.NodeGroupId!];
      delete g.internal.targetSlots;
    });
  }

  /** Shards whose slots have moved away: their nodes are forgotten by the others and removed. */
  private async dropLeavingShards(scope: Scope, id: string, shardIds: string[]): Promise<void> {
    const group = this.load(scope, id)!;
    const leaving = shardIds.length ? shardIds : (group.internal.removingShards ?? []);
    if (leaving.length === 0) return;
    const leavingMembers = (group.state.NodeGroups ?? []).filter((ng) => leaving.includes(ng.NodeGroupId!)).flatMap((ng) => membersOf(ng).map((m) => m.CacheClusterId!));
    if (this.real) {
      const leavingNodes = (await Promise.all(leavingMembers.map((m) => this.nodes.liveNode(scope, m, NODE)))).filter((n): n is LiveNode => n !== undefined);
      const ids = await memberIds(leavingNodes);
      const remaining = await this.liveMembers(scope, id, (m) => !leavingMembers.includes(m));
      if (ids.length > 0) await forgetMembers(remaining, ids);
    }
    for (const memberId of leavingMembers) await this.dropMember(scope, id, memberId);
    this.update(scope, id, (g) => {
      g.state.NodeGroups = (g.state.NodeGroups ?? []).filter((ng) => !leaving.includes(ng.NodeGroupId!));
      delete g.internal.removingShards;
    });
  }

  /** Stops a member's node and removes the member from the group and from the API. */
  private async dropMember(scope: Scope, id: string, memberId: string): Promise<void> {
    const member = this.nodes.load(scope, memberId);
    if (member) {
      await Promise.all((member.state.CacheNodes ?? []).map((n) => this.nodes.stopNode(scope, memberId, n.CacheNodeId!)));
      this.nodes.forget(scope, memberId);
    }
    this.store.transaction(() => {
      this.store.endpoints.release(scope, KIND.cacheCluster, memberId);
      this.store.resources.delete(scope, KIND.cacheCluster, memberId);
      this.store.tags.removeAll(arn(scope, 'cluster', memberId));
      this.nodes.event(scope, memberId, 'Cache cluster deleted');
      this.update(scope, id, (g) => {
        g.state.MemberClusters = (g.state.MemberClusters ?? []).filter((m) => m !== memberId);
        for (const ng of g.state.NodeGroups ?? []) ng.NodeGroupMembers = membersOf(ng).filter((m) => m.CacheClusterId !== memberId);
        g.internal.removingMembers = (g.internal.removingMembers ?? []).filter((m) => m !== memberId);
        if (g.state.SnapshottingClusterId === memberId) g.state.SnapshottingClusterId = g.state.MemberClusters[1] ?? g.state.MemberClusters[0];
      });
    });
  }

  // ---- failover ------------------------------------------------------------------------------------------------

  /** Promotes a replica of the requested shard (TestFailover, PrimaryClusterId); the old primary rejoins as a replica. */
  private async failover(scope: Scope, id: string): Promise<void> {
    const { state, internal } = this.load(scope, id)!;
    const request = internal.failover!;
    const nodeGroup = state.NodeGroups!.find((ng) => ng.NodeGroupId === request.nodeGroupId)!;
    const oldPrimaryId = primaryOf(nodeGroup)!.CacheClusterId!;
    let newPrimaryId = request.to;
    if (this.real) {
      const replicas = replicasOf(nodeGroup).map((m) => m.CacheClusterId!);
      const live = await Promise.all(replicas.map(async (m) => ({ id: m, node: await this.nodes.liveNode(scope, m, NODE) })));
      const reachable = live.filter((r) => r.node !== undefined);
      if (!newPrimaryId) {
        const best = await bestCandidate(reachable.map((r) => ({ ...r.node!.admin, memberId: r.id })));
        newPrimaryId = best?.memberId ?? replicas[0];
      }
      const candidate = await this.live(scope, newPrimaryId);
      const oldPrimary = await this.nodes.liveNode(scope, oldPrimaryId, NODE);
      if (isClusterMode(state)) {
        const others = await this.liveMembers(scope, id, (m) => m !== newPrimaryId);
        await clusterFailover(candidate, oldPrimary ? 'graceful' : 'force', others);
      } else {
        const others = reachable.filter((r) => r.id !== newPrimaryId).map((r) => r.node!.admin);
        await promote({ candidate: candidate.admin, candidatePeer: candidate.peer, oldPrimary: oldPrimary?.admin, others });
      }
    } else {
      newPrimaryId ??= replicasOf(nodeGroup)[0]?.CacheClusterId;
    }
    if (!newPrimaryId) return;
    await this.switchRoles(scope, id, request.nodeGroupId, oldPrimaryId, newPrimaryId);
    const message = `Failover from primary node ${oldPrimaryId} to replica node ${newPrimaryId} completed`;
    this.nodes.event(scope, oldPrimaryId, message);
    this.groupEvent(scope, id, message);
    if (request.reason === 'test') {
      // A test failover replaces the old primary, as a failure would; it comes back as a replica of the new one.
      this.nodes.event(scope, oldPrimaryId, `Recovering cache nodes ${NODE}`);
      if (this.real) await this.rejoin(scope, id, oldPrimaryId, 'restart');
      this.nodes.event(scope, oldPrimaryId, `Finished recovery for cache nodes ${NODE}`);
    }
    this.update(scope, id, (g) => {
      delete g.internal.failover;
      if (g.state.PendingModifiedValues) delete g.state.PendingModifiedValues.PrimaryClusterId;
    });
  }

  private async switchRoles(scope: Scope, id: string, nodeGroupId: string, oldPrimaryId: string, newPrimaryId: string): Promise<void> {
    const group = this.update(scope, id, (g) => {
      const ng = g.state.NodeGroups!.find((n) => n.NodeGroupId === nodeGroupId)!;
      for (const m of membersOf(ng)) {
        if (m.CacheClusterId === newPrimaryId) m.CurrentRole = 'primary';
        else if (m.CacheClusterId === oldPrimaryId) m.CurrentRole = 'replica';
      }
      // The new primary first, as AWS lists the shard's members.
      ng.NodeGroupMembers = [...membersOf(ng).filter((m) => m.CurrentRole === 'primary'), ...membersOf(ng).filter((m) => m.CurrentRole !== 'primary')];
    })!;
    this.publishRoles(scope, group);
    // Clients of the primary endpoint reconnect, and reach the new primary: where a node holds the endpoint itself,
    // the old primary lets go of it, cutting its clients there, and the new one takes it.
    if (!(await this.servePrimaryEndpoint(scope, id))) {
      const endpoint = group.state.NodeGroups?.[0]?.PrimaryEndpoint;
      if (endpoint?.Address) this.endpoints.dropConnections(endpoint.Address, endpoint.Port!);
    }
    const reader = group.state.NodeGroups?.[0]?.ReaderEndpoint;
    if (reader?.Address) this.endpoints.dropConnections(reader.Address, reader.Port!);
  }

  /**
   * Restarts a member's node in place, or replaces it with a new one on the member's current spec (a node type or
   * version change), and brings it back into the group as a replica of its shard's primary (or as the primary
   * itself, when it is one). Its data comes back from the primary by replication.
   */
  private async rejoin(scope: Scope, id: string, memberId: string, how: 'restart' | 'replace'): Promise<void> {
    const { state } = this.load(scope, id)!;
    const nodeGroup = state.NodeGroups!.find((ng) => membersOf(ng).some((m) => m.CacheClusterId === memberId))!;
    const primaryId = primaryOf(nodeGroup)!.CacheClusterId!;
    let oldClusterId: string | undefined;
    if (isClusterMode(state)) {
      const before = await this.nodes.liveNode(scope, memberId, NODE);
      if (before) [oldClusterId] = await memberIds([before]).catch(() => [undefined]);
    }
    if (how === 'replace') await this.nodes.startNode(scope, memberId, NODE);
    else await this.nodes.restartNode(scope, memberId, NODE);
    const node = await this.live(scope, memberId);
    if (!isClusterMode(state)) {
      if (memberId === primaryId) {
        await replicaOf(node.admin, undefined);
        const replicas = await Promise.all(replicasOf(nodeGroup).map((m) => this.live(scope, m.CacheClusterId!)));
        await Promise.all(replicas.map((r) => replicaOf(r.admin, node.peer)));
      } else {
        const primary = await this.live(scope, primaryId);
        await replicaOf(node.admin, primary.peer);
        await waitForSync(node.admin);
      }
      return;
    }
    // Cluster mode: a node that came back with a fresh identity joins anew, and the old identity is forgotten.
    const others = await this.liveMembers(scope, id, (m) => m !== memberId);
    const [newClusterId] = await memberIds([node]);
    const known = (await readClusterNodes(others[0])).some((n) => n.id === newClusterId);
    if (!known) {
      // A replaced node is gone for good: it is forgotten before the new one is met, since the new one may have its
      // address (Docker hands a freed container address out again), and the others would keep looking for the old
      // identity there. A restarted one is forgotten only once they flag it failed: until then its replicas may
      // still follow it, and forgetting it would be refused.
      if (how === 'replace' && oldClusterId && oldClusterId !== newClusterId) await forgetMembers(others, [oldClusterId]);
      await addMembers(others[0], [node]);
      if (how === 'restart') {
        const stale = await this.flaggedOldIdentities(node, others[0], newClusterId);
        if (stale.length > 0) await forgetMembers([...others, node], stale);
      }
    }
    if (memberId !== primaryId) {
      await attachReplica(node, await this.live(scope, primaryId));
    } else {
      // A lone primary that lost its identity serves its shard's slots again (empty, as after a failure on AWS).
      const slots = parseSlots(nodeGroup.Slots!);
      await withAdmin(node.admin, async (redis) => {
        const view = await readClusterNodes(node);
        const me = view.find((n) => n.myself)!;
        if (me.slots.length === 0) await redis.call('CLUSTER', 'ADDSLOTSRANGE', ...slots.flatMap(([a, b]) => [String(a), String(b)]));
      });
    }
    // Settled before the caller goes on: a rolling change fails over to this node next, and a graceful failover to a
    // replica the cluster has not settled on does not complete.
    await waitClusterStable(await this.liveMembers(scope, id));
  }

  /**
   * Replaces the node of a primary that has no replica without losing its data: a stand-in node of the new spec
   * syncs from it and takes over (writes paused meanwhile, none lost), the primary's node is replaced and syncs
   * back from the stand-in, takes over again, and the stand-in goes. Writes are refused for the moments the
   * primary endpoint's node is a replica, as ElastiCache's own switch interrupts them.
   */
  private async replaceLonePrimary(scope: Scope, id: string, memberId: string): Promise<void> {
    const old = await this.live(scope, memberId);
    const standIn = await this.nodes.startStandIn(scope, memberId);
    try {
      await replicaOf(standIn.node.admin, old.peer);
      await waitForSync(standIn.node.admin);
      await promote({ candidate: standIn.node.admin, candidatePeer: standIn.node.peer, oldPrimary: old.admin, others: [] });
      await this.nodes.startNode(scope, memberId, NODE);
      const fresh = await this.live(scope, memberId);
      await replicaOf(fresh.admin, standIn.node.peer);
      await waitForSync(fresh.admin);
      await promote({ candidate: fresh.admin, candidatePeer: fresh.peer, oldPrimary: standIn.node.admin, others: [] });
    } finally {
      await standIn.remove();
    }
    await this.servePrimaryEndpoint(scope, id);
  }

  /**
   * The identities a restarted node had before, as the cluster knows them (the same announced endpoint, another
   * id), once the cluster has flagged them failed, which takes a node timeout or two after the restart. Until then
   * CLUSTER FORGET would be refused by a replica still following one. A dead node's id cannot be asked of it, so
   * the endpoint is what identifies it; left unforgotten, it stays in every node's view as a failed master.
   */
  private async flaggedOldIdentities(node: ClusterMember, other: ClusterMember, newClusterId: string): Promise<string[]> {
    const me = (await readClusterNodes(node)).find((n) => n.myself);
    if (!me) return [];
    const at = (n: ClusterNode) => `${n.hostname ?? n.ip}:${n.port}`;
    try {
      return await pollUntil(
        async () => {
          const old = (await readClusterNodes(other)).filter((n) => n.id !== newClusterId && at(n) === at(me));
          if (old.every((n) => n.failed)) return { value: old.map((n) => n.id) };
          return `${old.map((n) => n.id).join(', ')} not flagged failed yet`;
        },
        15_000,
        `the old identity of ${at(me)} to be flagged failed`,
        100,
      );
    } catch (error) {
      if (error instanceof Stopping) throw error;
      this.log.warn({ err: error }, 'a restarted cluster node\'s old identity stays in the cluster\'s view');
      return [];
    }
  }

  // ---- node changes --------------------------------------------------------------------------------------------

  /**
   * A new node type, engine version or parameter group. Members take the new settings; nodes are replaced replicas
   * first, then the primary after a failover to an up-to-date replica, so the group stays writable throughout.
   */
  private async rollNodeChanges(scope: Scope, id: string): Promise<void> {
    const { state, internal } = this.load(scope, id)!;
    const replace = internal.pendingNodeType !== undefined || internal.pendingEngineVersion !== undefined || internal.pendingEngine !== undefined;
    for (const memberId of state.MemberClusters ?? []) {
      this.nodes.update(scope, memberId, ({ state: m }) => {
        if (internal.pendingNodeType) m.CacheNodeType = internal.pendingNodeType;
        if (internal.pendingEngineVersion) m.EngineVersion = internal.pendingEngineVersion;
        if (internal.pendingEngine) m.Engine = internal.pendingEngine;
        if (internal.pendingParameterGroup) {
          m.CacheParameterGroup = { CacheParameterGroupName: internal.pendingParameterGroup, ParameterApplyStatus: 'in-sync', CacheNodeIdsToReboot: [] };
        }
        m.PendingModifiedValues = {};
      });
    }
    if (this.real) {
      for (const nodeGroup of state.NodeGroups ?? []) {
        if (!replace) {
          for (const m of membersOf(nodeGroup)) {
            const cluster = this.nodes.load(scope, m.CacheClusterId!)!;
            const handle = await this.nodes.inspect(scope, cluster, NODE);
            if (handle) await this.nodes.attach(scope, this.nodes.spec(scope, cluster, NODE), handle);
          }
          continue;
        }
        for (const replica of replicasOf(nodeGroup)) await this.rejoin(scope, id, replica.CacheClusterId!, 'replace');
        const current = this.load(scope, id)!.state.NodeGroups!.find((ng) => ng.NodeGroupId === nodeGroup.NodeGroupId)!;
        const oldPrimaryId = primaryOf(current)!.CacheClusterId!;
        const next = replicasOf(current)[0]?.CacheClusterId;
        if (!next && !isClusterMode(state)) {
          await this.replaceLonePrimary(scope, id, oldPrimaryId);
          continue;
        }
        if (next) {
          const candidate = await this.live(scope, next);
          const oldPrimary = await this.live(scope, oldPrimaryId);
          if (isClusterMode(state)) {
            await clusterFailover(candidate, 'graceful', await this.liveMembers(scope, id, (m) => m !== next));
          } else {
            const others = await Promise.all(replicasOf(current).filter((m) => m.CacheClusterId !== next).map((m) => this.live(scope, m.CacheClusterId!)));
            await promote({ candidate: candidate.admin, candidatePeer: candidate.peer, oldPrimary: oldPrimary.admin, others: others.map((o) => o.admin) });
          }
          await this.switchRoles(scope, id, nodeGroup.NodeGroupId!, oldPrimaryId, next);
        }
        await this.rejoin(scope, id, oldPrimaryId, 'replace');
      }
    }
    this.update(scope, id, (g) => {
      if (g.internal.pendingNodeType) g.state.CacheNodeType = g.internal.pendingNodeType;
      if (g.internal.pendingEngine) g.state.Engine = g.internal.pendingEngine;
      delete g.internal.pendingNodeType;
      delete g.internal.pendingEngineVersion;
      delete g.internal.pendingEngine;
      delete g.internal.pendingParameterGroup;
    });
  }

  // ---- AUTH ----------------------------------------------------------------------------------------------------

  /** An AUTH token change reaches every member's node (both tokens accepted during a ROTATE), then the API shows it. */
  private async applyAuthToken(scope: Scope, id: string): Promise<void> {
    const { state, internal } = this.load(scope, id)!;
    const change = internal.pendingAuthToken!;
    const next = nextAuthTokens(internal, change);
    this.store.transaction(() => {
      for (const memberId of state.MemberClusters ?? []) {
        this.nodes.update(scope, memberId, ({ state: m, internal: mi }) => {
          Object.assign(mi, next);
          m.AuthTokenEnabled = next.authToken !== undefined;
          m.AuthTokenLastModifiedDate = new Date();
        });
      }
    });
    if (this.real) {
      for (const memberId of state.MemberClusters ?? []) {
        const node = await this.live(scope, memberId);
        await applyAuthTokens(node.admin, [next.authToken, next.previousAuthToken].filter((t): t is string => t !== undefined));
      }
    }
    this.update(scope, id, (g) => {
      Object.assign(g.internal, next);
      g.state.AuthTokenEnabled = next.authToken !== undefined;
      g.state.AuthTokenLastModifiedDate = new Date();
      delete g.internal.pendingAuthToken;
      if (g.state.PendingModifiedValues) delete g.state.PendingModifiedValues.AuthTokenStatus;
    });
  }

  // ---- endpoints -----------------------------------------------------------------------------------------------

  /** Tells the endpoints who plays which role now. */
  publishRoles(scope: Scope, group: StoredGroup): void {
    const id = group.state.ReplicationGroupId!;
    const node = (memberId: string) => ({ ...scope, clusterId: memberId, nodeId: NODE });
    const shards = group.state.NodeGroups ?? [];
    const primaries = shards.map((ng) => primaryOf(ng)?.CacheClusterId).filter((m): m is string => m !== undefined);
    const replicas = shards.flatMap((ng) => replicasOf(ng).map((m) => m.CacheClusterId!));
    this.endpoints.setGroupRoles(this.address(scope, id), {
      primary: primaries[0] ? node(primaries[0]) : undefined,
      // Cluster mode: the configuration endpoint may land on any node; the other shards' primaries come first.
      replicas: isClusterMode(group.state) ? [...primaries.slice(1), ...replicas].map(node) : replicas.map(node),
    });
  }

  /** Primary and reader endpoints (cluster mode disabled) or the configuration endpoint (enabled), kept for the group's life. */
  async openEndpoints(scope: Scope, id: string): Promise<void> {
    const group = this.load(scope, id)!;
    const port = group.internal.port;
    this.publishRoles(scope, group);
    const address = this.address(scope, id);
    if (isClusterMode(group.state)) {
      const cfg = this.store.transaction(() => this.store.endpoints.allocate(scope, KIND.replicationGroup, id, 'cfg', port));
      await this.endpoints.openGroupEndpoint(address, 'configuration', cfg.address, cfg.port);
      this.update(scope, id, (g) => (g.state.ConfigurationEndpoint = { Address: cfg.address, Port: cfg.port }));
      return;
    }
    const [primary, reader] = this.store.transaction(() => [
      this.store.endpoints.allocate(scope, KIND.replicationGroup, id, 'primary', port),
      this.store.endpoints.allocate(scope, KIND.replicationGroup, id, 'reader', port),
    ]);
    await this.servePrimaryEndpoint(scope, id);
    await this.endpoints.openGroupEndpoint(address, 'reader', reader.address, reader.port);
    this.update(scope, id, (g) => {
      g.state.NodeGroups![0].PrimaryEndpoint = { Address: primary.address, Port: primary.port };
      g.state.NodeGroups![0].ReaderEndpoint = { Address: reader.address, Port: reader.port };
    });
  }

  /**
   * Serves the primary endpoint (cluster mode disabled). Where nodes listen on their own endpoints (the process
   * runtime) and the primary endpoint shares their port (ClusterNodes.canHold), the primary's node listens on it
   * too: a forwarder on loopback costs a client about half its throughput (bench/RESULTS.md §3). Every other
   * member then listens on its own endpoint only, so an old primary lets go of it, cutting the connections it had
   * there, before the new one takes it. Otherwise (containers, the ports endpoint mode, a primary started by an
   * older build behind the emulator's listener) the emulator's listener forwards to the primary.
   * Returns whether a node holds it.
   */
  private async servePrimaryEndpoint(scope: Scope, id: string): Promise<boolean> {
    const group = this.load(scope, id);
    if (!group || isClusterMode(group.state)) return false;
    const primary = this.store.endpoints.find(scope, KIND.replicationGroup, id, 'primary');
    if (!primary) return false;
    if (!this.nodes.runtime.servesEndpoints) {
      await this.endpoints.openGroupEndpoint(this.address(scope, id), 'primary', primary.address, primary.port);
      return false;
    }
    const primaryId = primaryOf(group.state.NodeGroups![0])?.CacheClusterId;
    // Members whose node listens on its endpoint itself (one started by an older build does not), primary last.
    const members: { memberId: string; own: EndpointAllocation; admin: LiveNode['admin'] }[] = [];
    let held = true;
    for (const memberId of group.state.MemberClusters ?? []) {
      const own = this.store.endpoints.find(scope, KIND.cacheCluster, memberId, NODE);
      if (!own) continue;
      const node = await this.nodes.liveNode(scope, memberId, NODE);
      if (memberId === primaryId && (!this.nodes.canHold(own, primary) || (node && !node.servesEndpoint))) held = false;
      if (node?.servesEndpoint) members.push({ memberId, own, admin: node.admin });
    }
    members.sort((a, b) => Number(a.memberId === primaryId) - Number(b.memberId === primaryId));
    if (held) await this.endpoints.closeEndpoint(primary.address, primary.port);
    for (const { memberId, own, admin } of members) {
      const addresses = held && memberId === primaryId ? [own.address, primary.address] : [own.address];
      await setListenAddresses(admin, addresses, own.port);
    }
    if (!held) await this.endpoints.openGroupEndpoint(this.address(scope, id), 'primary', primary.address, primary.port);
    return held;
  }

  private finish(scope: Scope, id: string, created: boolean): void {
    this.store.transaction(() => {
      const group = this.load(scope, id)!;
      const endpointOf = (memberId: string) => this.nodes.load(scope, memberId)?.state.CacheNodes?.[0]?.Endpoint;
      for (const memberId of group.state.MemberClusters ?? []) {
        this.nodes.update(scope, memberId, ({ state }) => {
          if (state.CacheClusterStatus === 'deleting') return;
          if (state.CacheClusterStatus !== 'available') this.nodes.event(scope, memberId, 'Cache cluster created');
          state.CacheClusterStatus = 'available';
          state.CacheClusterCreateTime ??= new Date();
        });
      }
      this.update(scope, id, (g) => {
        g.state.Status = 'available';
        g.state.ReplicationGroupCreateTime ??= new Date();
        if (g.state.AutomaticFailover === 'enabling') g.state.AutomaticFailover = 'enabled';
        if (g.state.AutomaticFailover === 'disabling') g.state.AutomaticFailover = 'disabled';
        for (const ng of g.state.NodeGroups ?? []) {
          ng.Status = 'available';
          for (const m of membersOf(ng)) m.ReadEndpoint = endpointOf(m.CacheClusterId!) ?? m.ReadEndpoint;
        }
        const pending = g.state.PendingModifiedValues ?? {};
        delete pending.Resharding;
        g.state.PendingModifiedValues = pending;
      });
      if (created) this.groupEvent(scope, id, `Replication group ${id} created`);
    });
    this.log.info({ replicationGroup: id, runtime: this.nodes.runtime.name }, created ? 'replication group available' : 'replication group modified');
  }

  // ---- heal, reboot, delete -----------------------------------------------------------------------------------

  /**
   * Members whose node died: a dead primary hands over to its best replica first when automatic failover is on
   * (as AWS does); without it, the primary is replaced in place and the replicas resync from it. Then every dead
   * node is replaced and rejoins its shard.
   */
  async heal(scope: Scope, id: string): Promise<void> {
    const group = this.load(scope, id);
    if (!group || !['available', 'modifying'].includes(group.state.Status!) || !this.real) return;
    const dead: string[] = [];
    for (const memberId of group.state.MemberClusters ?? []) {
      const member = this.nodes.load(scope, memberId);
      if (member?.state.CacheClusterStatus !== 'available') continue;
      if (!(await this.nodes.liveNode(scope, memberId, NODE))) dead.push(memberId);
    }
    if (dead.length === 0) return;
    const failoverOn = group.state.AutomaticFailover === 'enabled';
    for (const memberId of dead) {
      const { state } = this.load(scope, id)!;
      const nodeGroup = state.NodeGroups!.find((ng) => membersOf(ng).some((m) => m.CacheClusterId === memberId))!;
      if (failoverOn && primaryOf(nodeGroup)?.CacheClusterId === memberId) {
        const alive = [];
        for (const r of replicasOf(nodeGroup)) {
          const node = !dead.includes(r.CacheClusterId!) && (await this.nodes.liveNode(scope, r.CacheClusterId!, NODE));
          if (node) alive.push({ ...node, memberId: r.CacheClusterId! });
        }
        const best = await bestCandidate(alive.map((a) => ({ ...a.admin, memberId: a.memberId })));
        const chosen = alive.find((a) => a.memberId === best?.memberId);
        if (chosen) {
          if (isClusterMode(state)) {
            const view = await readClusterNodes(chosen).catch(() => []);
            const promoted = view.find((n) => n.myself)?.role === 'primary';
            if (!promoted) await clusterFailover(chosen, 'takeover', alive.filter((a) => a !== chosen));
          } else {
            await promote({ candidate: chosen.admin, candidatePeer: chosen.peer, others: alive.filter((a) => a !== chosen).map((a) => a.admin) });
          }
          await this.switchRoles(scope, id, nodeGroup.NodeGroupId!, memberId, chosen.memberId);
          const message = `Failover from primary node ${memberId} to replica node ${chosen.memberId} completed`;
          this.nodes.event(scope, memberId, message);
          this.groupEvent(scope, id, message);
        }
      }
      this.nodes.event(scope, memberId, `Recovering cache nodes ${NODE}`);
      await this.rejoin(scope, id, memberId, 'restart');
      this.nodes.event(scope, memberId, `Finished recovery for cache nodes ${NODE}`);
    }
  }

  /** RebootCacheCluster of a member: the node restarts empty and resyncs from its primary (or is the primary). */
  async rebootMember(scope: Scope, id: string, memberId: string): Promise<void> {
    if (this.real) await this.rejoin(scope, id, memberId, 'restart');
    this.nodes.update(scope, memberId, ({ state }) => {
      for (const node of state.CacheNodes ?? []) node.CacheNodeStatus = 'available';
      if (state.CacheClusterStatus === 'rebooting cluster nodes') state.CacheClusterStatus = 'available';
      this.nodes.event(scope, memberId, `Cache node ${NODE} restarted`);
    });
  }

  async remove(scope: Scope, id: string): Promise<void> {
    const group = this.load(scope, id);
    if (!group) return;
    const { state, internal } = group;
    const retained = internal.retainPrimaryCluster ? primaryOf(state.NodeGroups![0])?.CacheClusterId : undefined;
    for (const endpoint of [state.ConfigurationEndpoint, state.NodeGroups?.[0]?.PrimaryEndpoint, state.NodeGroups?.[0]?.ReaderEndpoint]) {
      if (endpoint?.Address) await this.endpoints.closeEndpoint(endpoint.Address, endpoint.Port!);
    }
    this.endpoints.forgetGroup(this.address(scope, id));
    await Promise.all(
      (state.MemberClusters ?? [])
        .filter((m) => m !== retained)
        .map(async (memberId) => {
          const member = this.nodes.load(scope, memberId);
          await Promise.all((member?.state.CacheNodes ?? []).map((n) => this.nodes.stopNode(scope, memberId, n.CacheNodeId!)));
          this.nodes.forget(scope, memberId);
        }),
    );
    if (retained && this.real) {
      const node = await this.nodes.liveNode(scope, retained, NODE);
      if (node) await replicaOf(node.admin, undefined);
      // A node that held the group's primary endpoint lets go of it: the address is freed with the group.
      const own = this.store.endpoints.find(scope, KIND.cacheCluster, retained, NODE);
      if (node?.servesEndpoint && own) await setListenAddresses(node.admin, [own.address], own.port);
    }
    await this.nodes.runtime.releaseUnused?.();
    this.store.transaction(() => {
      for (const memberId of state.MemberClusters ?? []) {
        if (memberId === retained) {
          this.nodes.update(scope, memberId, ({ state: m }) => {
            delete m.ReplicationGroupId;
            m.ReplicationGroupLogDeliveryEnabled = false;
            m.CacheClusterStatus = 'available';
          });
          continue;
        }
        this.store.endpoints.release(scope, KIND.cacheCluster, memberId);
        this.store.resources.delete(scope, KIND.cacheCluster, memberId);
        this.store.tags.removeAll(arn(scope, 'cluster', memberId));
        this.nodes.event(scope, memberId, 'Cache cluster deleted');
      }
      this.store.endpoints.release(scope, KIND.replicationGroup, id);
      this.store.resources.delete(scope, KIND.replicationGroup, id);
      this.store.tags.removeAll(arn(scope, 'replicationgroup', id));
      this.groupEvent(scope, id, `Replication group ${id} deleted`);
    });
    this.log.info({ replicationGroup: id }, 'replication group deleted');
  }

  /** After an emulator restart: the groups' endpoints listen again and follow the stored roles. */
  async adopt(): Promise<void> {
    for (const { scope, state } of this.store.resources.listEverywhere<ReplicationGroup>(KIND.replicationGroup)) {
      if (state.Status === 'creating' || state.Status === 'deleting') continue;
      await this.openEndpoints(scope, state.ReplicationGroupId!);
    }
  }
}

export function replicationGroupWorkers(groups: ReplicationGroups): Record<string, JobWorker> {
  const scopeOf = (job: Job): Scope => ({ account: job.account, region: job.region });
  return {
    [`${KIND.replicationGroup}:converge`]: (job) => groups.converge(scopeOf(job), job.resourceId, job.payload.maintenance === true),
    [`${KIND.replicationGroup}:heal`]: (job) => groups.heal(scopeOf(job), job.resourceId),
    [`${KIND.replicationGroup}:reboot-member`]: (job) => groups.rebootMember(scopeOf(job), job.resourceId, job.payload.clusterId),
    [`${KIND.replicationGroup}:delete`]: (job) => groups.remove(scopeOf(job), job.resourceId),
  };
}

/** What a group shows when its job fails for good. */
export function replicationGroupFailureHandlers(groups: ReplicationGroups, nodes: ClusterNodes): Record<string, JobFailureHandler> {
  const failed = (status: string | undefined, what: string): JobFailureHandler => (job, error) => {
    const scope = { account: job.account, region: job.region };
    const group = groups.update(scope, job.resourceId, (g) => {
      if (status === 'create-failed' && g.state.Status !== 'creating') status = 'available';
      if (status) g.state.Status = status;
      delete g.internal.failover;
    });
    for (const memberId of group?.state.MemberClusters ?? []) {
      nodes.update(scope, memberId, ({ state }) => {
        if (status === 'create-failed' && state.CacheClusterStatus === 'creating') state.CacheClusterStatus = 'create-failed';
        else if (state.CacheClusterStatus !== 'deleting') state.CacheClusterStatus = 'available';
      });
    }
    groups.recordEvent(scope, job.resourceId, `Failed to ${what} replication group ${job.resourceId}: ${error.message}`);
  };
  return {
    [`${KIND.replicationGroup}:converge`]: failed('create-failed', 'update'),
    [`${KIND.replicationGroup}:heal`]: failed(undefined, 'recover the nodes of'),
    [`${KIND.replicationGroup}:reboot-member`]: failed(undefined, 'reboot a member of'),
    [`${KIND.replicationGroup}:delete`]: failed(undefined, 'delete'),
  };
}
