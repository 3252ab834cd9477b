/**
 * Keeps every endpoint's admission in step with the security groups: each cluster's and group's decision is made
 * here, from the stored rules, twice a second (a rule change reaches new connections within a second), so the
 * check an endpoint runs per connection is a map lookup. Refused connections are logged, and recorded as events on
 * the cluster or group (at most one a minute each), so "why can't I connect" has an answer in DescribeEvents.
 *
 * Who the client is comes from its source address (control/client-origins.ts): the host's decision is taken in the
 * sweep; a client container's (placed in the VPC by its labels) at its connection, kept until the next sweep.
 */
import type { Logger } from '../common/logger.js';
import { clusterOwner, groupOwner, type EndpointManager, type RefusedConnection } from '../dataplane/endpoints.js';
import {
  admissionContext,
  decide as decideAdmission,
  hostIdentity,
  labelledIdentity,
  type Admission,
  type AdmissionContext,
  type ClientIdentity,
  type HostIdentitySettings,
  type SecurityGroupRules,
} from '../domain/elasticache/admission.js';
import type { EndpointAdmission, Verdict } from '../dataplane/endpoints.js';
import { LocalClientDirectory, type ClientDirectory, type ClientOrigin } from '../common/client-origins.js';
import { KIND } from '../domain/elasticache/kinds.js';
import {
  recordClusterEvent,
  recordGroupEvent,
  type CacheClusterInternal,
  type ClusterState,
  type GroupState,
} from '../domain/elasticache/records.js';
import type { Scope, Store } from '../store/store.js';

export interface AdmissionSettings extends HostIdentitySettings {
  enforce: boolean;
  /** Tells the host from client containers and other machines (the host and other machines only, when absent). */
  clients?: ClientDirectory;
}

/**
 * Endpoints that nodes serve themselves (process runtime), which no listener of the emulator checks: they close to
 * clients the security groups refuse, and the emulator's checking listener stands there instead.
 */
export interface ServedEndpoints {
  /** Whether the cluster's nodes have their endpoints closed now (or start so). */
  isClosed(scope: Scope, clusterId: string): boolean;
  /**
   * Closes or opens them: isClosed answers the new state at once; the running nodes follow in the step returned,
   * which says whether any of them changed.
   */
  setClosed(scope: Scope, clusterId: string, closed: boolean): () => Promise<boolean>;
  /** Has a group's primary and reader endpoints served again after its members' endpoints closed or opened. */
  reserveGroup(scope: Scope, groupId: string): Promise<void>;
}

const SWEEP_MS = 500;
/** A cluster's key within every account and region. */
const keyOf = (scope: Scope, clusterId: string) => `${scope.account}/${scope.region}/${clusterId}`;
const ADMIT_ALL: EndpointAdmission = { check: () => ({ admitted: true, why: '' }) };
const EVENT_EVERY_MS = 60_000;

/** Where a refusal is recorded. */
interface Owner {
  scope: Scope;
  kind: 'cluster' | 'group';
  id: string;
}

export function explain(admission: Admission): string {
  const { client, groups, port } = admission;
  const theirs = client.groups.length > 0 ? `in ${client.groups.join(', ')}` : 'in no security group';
  return (
    `${client.name} (${client.address}, ${theirs}) is not admitted on TCP port ${port} by ` +
    `${groups.length > 0 ? groups.join(', ') : 'any security group'}`
  );
}

export class AdmissionKeeper {
  private timer: NodeJS.Timeout | undefined;
  private readonly owners = new Map<string, Owner>();
  private readonly admitted = new Map<string, boolean>();
  private readonly lastEvent = new Map<string, number>();
  /** Node endpoint changes run one at a time, in the order they were decided. */
  private moving: Promise<void> = Promise.resolve();
  /**
   * The first sweep puts every cluster's nodes in step, whatever an earlier run left; later ones move only what
   * differs from how the nodes are (a node starting for a refused cluster starts closed: ClusterNodes.refusesHost).
   */
  private firstSweep = true;
  /** Clusters moved in this sweep: their groups' primary endpoints are served again after them. */
  private readonly movedNow = new Set<string>();
  /** Clusters whose nodes' endpoints really changed, not yet followed by their group's primary endpoint. */
  private readonly changed = new Set<string>();
  private readonly clients: ClientDirectory;

  constructor(
    private readonly store: Store,
    private readonly rules: SecurityGroupRules,
    private readonly endpoints: EndpointManager,
    private readonly settings: AdmissionSettings,
    private readonly log: Logger,
    private readonly served?: ServedEndpoints,
  ) {
    this.clients = settings.clients ?? new LocalClientDirectory();
  }

  start(): void {
    if (!this.settings.enforce) return;
    this.endpoints.onRefused = (refused) => this.refused(refused);
    this.endpoints.onUndecided = () => this.sweep();
    this.sweep();
    this.timer = setInterval(() => this.sweep(), SWEEP_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.clients.close?.();
    await this.moving;
  }

  /** Whether the cluster's security groups refuse the host now (its port as stored). */
  refusesHost(scope: Scope, cluster: { state: ClusterState; internal: CacheClusterInternal }): boolean {
    if (!this.settings.enforce) return false;
    // A cluster already swept has its decision; only one newer than the last sweep is decided here.
    const decided = this.admitted.get(clusterOwner({ ...scope, clusterId: cluster.state.CacheClusterId }));
    if (decided !== undefined) return !decided;
    const context = admissionContext(this.store, this.rules, scope, cluster.state, cluster.internal.port);
    return context !== undefined && !this.hostAdmission(context).admitted;
  }

  /** Decides every cluster's and group's admission from the rules as stored now. */
  sweep(): void {
    try {
      this.movedNow.clear();
      const before = new Set(this.owners.keys());
      const clusters = this.store.resources.listEverywhere<ClusterState>(KIND.cacheCluster);
      // Each cluster's rules, by key: a group's are its first member's (members share the group's security groups).
      const contexts = new Map<string, AdmissionContext | undefined>();
      for (const { scope, state, internal } of clusters) {
        const port = (internal as CacheClusterInternal).port;
        const owner = clusterOwner({ ...scope, clusterId: state.CacheClusterId });
        const context = admissionContext(this.store, this.rules, scope, state, port);
        contexts.set(keyOf(scope, state.CacheClusterId), context);
        this.decide(owner, { scope, kind: 'cluster', id: state.CacheClusterId }, context);
        before.delete(owner);
      }
      for (const { scope, state } of this.store.resources.listEverywhere<GroupState>(KIND.replicationGroup)) {
        const first = keyOf(scope, state.MemberClusters[0]);
        if (!contexts.has(first)) continue;
        const owner = groupOwner({ ...scope, groupId: state.ReplicationGroupId });
        const where: Owner = { scope, kind: 'group', id: state.ReplicationGroupId };
        this.decide(owner, where, contexts.get(first));
        const moved = state.MemberClusters.some((id) => this.movedNow.has(keyOf(scope, id)));
        if (moved) this.queueMove(where, false, state.MemberClusters);
        before.delete(owner);
      }
      // What is gone: its endpoints are closed, its decision goes too.
      for (const owner of before) {
        this.owners.delete(owner);
        this.admitted.delete(owner);
        this.endpoints.setAdmission(owner, undefined);
      }
      this.firstSweep = false;
    } catch (error) {
      this.log.warn({ err: error }, 'deciding endpoint admission failed; the last decisions stand');
    }
  }

  private hostAdmission(context: AdmissionContext): Admission {
    return decideAdmission(context, hostIdentity(this.rules, context.scope, context.vpcId, this.settings));
  }

  private decide(owner: string, where: Owner, context: AdmissionContext | undefined): void {
    this.owners.set(owner, where);
    const host = context && this.hostAdmission(context);
    const admitted = host?.admitted ?? true;
    const why = host && !admitted ? explain(host) : '';
    if (this.admitted.get(owner) !== admitted) {
      this.admitted.set(owner, admitted);
      if (host) this.log.info({ [where.kind]: where.id, admitted }, admitted ? 'the host is admitted' : why);
    }
    const served = this.served;
    if (
      served &&
      where.kind === 'cluster' &&
      (this.firstSweep || served.isClosed(where.scope, where.id) === admitted)
    ) {
      this.movedNow.add(keyOf(where.scope, where.id));
      this.queueMove(where, !admitted);
    }
    this.endpoints.setAdmission(owner, context ? this.admission(context, { admitted, why }) : ADMIT_ALL);
  }

  /** An owner's check per connection: the host's verdict as swept, another client's once per client and sweep. */
  private admission(context: AdmissionContext, host: Verdict): EndpointAdmission {
    const verdicts = new WeakMap<ClientOrigin, Verdict>();
    const judge = (origin: ClientOrigin): Verdict => {
      if (origin.kind === 'host') return host;
      let verdict = verdicts.get(origin);
      if (!verdict) {
        const admission = decideAdmission(context, this.identityOf(context, origin));
        verdict = { admitted: admission.admitted, why: admission.admitted ? '' : explain(admission) };
        verdicts.set(origin, verdict);
      }
      return verdict;
    };
    return {
      check: (remote) => {
        const origin = this.clients.identify(remote);
        return origin instanceof Promise ? origin.then(judge) : judge(origin);
      },
    };
  }

  private identityOf(context: AdmissionContext, origin: Exclude<ClientOrigin, { kind: 'host' }>): ClientIdentity {
    if (origin.kind === 'container')
      return labelledIdentity(this.rules, context.scope, context.vpcId, origin, this.settings);
    return { address: origin.address, groups: [], name: `the client at ${origin.address}` };
  }

  /** Queues the step moving the endpoints nodes serve themselves: a cluster's nodes, or a group's primary endpoint. */
  private queueMove({ scope, kind, id }: Owner, closed: boolean, members: string[] = []): void {
    const served = this.served;
    if (!served) return;
    let step: () => Promise<void>;
    if (kind === 'cluster') {
      const move = served.setClosed(scope, id, closed);
      step = async () => {
        if (await move()) this.changed.add(keyOf(scope, id));
      };
    } else {
      // Only a group whose members' endpoints really moved: serving it again races nothing else needlessly.
      step = async () => {
        const moved = members.filter((m) => this.changed.delete(keyOf(scope, m)));
        if (moved.length > 0) await served.reserveGroup(scope, id);
      };
    }
    this.moving = this.moving
      .then(step)
      .catch((error) =>
        this.log.warn({ err: error, [kind]: id, closed }, 'moving the endpoints nodes serve themselves failed'),
      );
  }

  private refused(refused: RefusedConnection): void {
    const { owner, address, port, remote, why } = refused;
    this.log.warn({ endpoint: `${address}:${port}`, client: remote, why }, 'connection refused by security groups');
    const where = this.owners.get(owner);
    const now = Date.now();
    if (!where || now - (this.lastEvent.get(owner) ?? 0) < EVENT_EVERY_MS) return;
    this.lastEvent.set(owner, now);
    const message = `Connection to ${address}:${port} refused: ${why}`;
    if (where.kind === 'cluster') recordClusterEvent(this.store, where.scope, where.id, message);
    else recordGroupEvent(this.store, where.scope, where.id, message);
  }
}
