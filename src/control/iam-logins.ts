/**
 * IAM authentication of RBAC users (AuthenticationMode iam) on the data path. On a node such a user has an internal
 * password, derived from the emulator's key and never shown, logged or stored; the endpoints of its replication
 * group (dataplane/iam-login.ts) check the SigV4 token a client logs in with (domain/elasticache/iam-auth-token.ts)
 * and log it in with that password instead. So the nodes of a group whose user group holds an iam user stay behind
 * the emulator's listeners (ClusterNodes keeps their endpoints closed), which end the clients' TLS with a
 * certificate of the emulator's CA for the endpoint's address.
 *
 * A serverless cache (valkey / redis) is served by a hidden backing group whose user group is the cache's: its
 * endpoint and reader endpoint are that group's, and its clients sign their tokens as AWS has them for a serverless
 * cache, for the cache's name with ResourceType=ServerlessCache. A token for the backing group's id, or one without
 * the resource type, is refused there, as a serverless token is at a replication group's endpoints. The internal
 * password stays keyed on the backing group, whose nodes hold it.
 *
 * Tokens are checked against the credentials the emulator knows (--credentials, --credentials-file): in strict
 * mode only those keys pass; in lenient mode a key it does not know passes too, with everything but its signature
 * checked. IAM policies (elasticache:Connect) are not evaluated.
 */
import { createHmac } from 'node:crypto';
import type { KnownCredentials } from '../common/sigv4-signatures.js';
import type { Logger } from '../common/logger.js';
import type { TlsTermination, EndpointIamLogin } from '../dataplane/endpoint-proxy.js';
import type { IamLoginVerdict } from '../dataplane/iam-login.js';
import { verifyIamAuthToken } from '../domain/elasticache/iam-auth-token.js';
import { findCluster, findGroup, type StoredGroup } from '../domain/elasticache/records.js';
import { findStoredUser, findUserGroup } from '../domain/elasticache/user-records.js';
import type { Scope, Store } from '../store/store.js';
import type { CertificateAuthority } from './certificates.js';

export interface IamLoginSettings {
  /** The key node credentials derive from (control/node-credentials.ts). */
  credentialKey: string;
  authority?: CertificateAuthority;
  /** The credentials the emulator knows, and whether only they may sign tokens (the API's strict mode). */
  credentials: readonly KnownCredentials[];
  strict: boolean;
}

/** What an iam token names for a group's endpoints: the group, or the serverless cache the group backs. */
export interface TokenTarget {
  cacheName: string;
  serverless: boolean;
}

export function tokenTargetOf(group: StoredGroup): TokenTarget {
  const cache = group.internal.serverlessCache;
  return cache !== undefined
    ? { cacheName: cache, serverless: true }
    : { cacheName: group.state.ReplicationGroupId!, serverless: false };
}

/** The iam users of a group's user group, by user name (what AUTH names) → user id (what the token names). */
function iamUsersOf(store: Store, scope: Scope, group: StoredGroup): Map<string, string> {
  const found = new Map<string, string>();
  const userGroupId = group.state.UserGroupIds?.[0];
  const userGroup = userGroupId ? findUserGroup(store, scope, userGroupId) : undefined;
  for (const id of userGroup?.state.UserIds ?? []) {
    const user = findStoredUser(store, scope, id);
    if (user?.state.Authentication.Type === 'iam') found.set(user.state.UserName, user.state.UserId);
  }
  return found;
}

const cacheField = (target: TokenTarget) =>
  target.serverless ? { serverlessCache: target.cacheName } : { replicationGroup: target.cacheName };

export class IamLogins {
  constructor(
    private readonly store: Store,
    private readonly settings: IamLoginSettings,
    private readonly log: Logger,
  ) {}

  /** The replication group a cluster's nodes belong to (a cluster outside any group has no users). */
  private groupOf(scope: Scope, owner: { clusterId?: string; groupId?: string }): StoredGroup | undefined {
    const groupId =
      owner.groupId ?? (owner.clusterId && findCluster(this.store, scope, owner.clusterId)?.state.ReplicationGroupId);
    return groupId ? findGroup(this.store, scope, groupId) : undefined;
  }

  /** Whether a cluster's nodes must stay behind the emulator's listeners: its group's user group holds an iam user. */
  needsEndpointLogin(scope: Scope, clusterId: string): boolean {
    const group = this.groupOf(scope, { clusterId });
    return group !== undefined && iamUsersOf(this.store, scope, group).size > 0;
  }

  /** The password an iam user has on the nodes of a group: only the emulator can work it out. */
  internalPassword(scope: Scope, groupId: string, userId: string): string {
    return createHmac('sha256', this.settings.credentialKey)
      .update(`iam-user/${scope.account}/${scope.region}/${groupId}/${userId}`)
      .digest('base64url');
  }

  /** How an endpoint serves a connection now: undefined when its group has no iam user (the plain relay). */
  endpointLogin(
    owner: { account: string; region: string; clusterId?: string; groupId?: string },
    address: string,
  ): EndpointIamLogin | undefined {
    const scope = { account: owner.account, region: owner.region };
    const group = this.groupOf(scope, owner);
    if (!group) return undefined;
    const users = iamUsersOf(this.store, scope, group);
    if (users.size === 0) return undefined;
    const groupId = group.state.ReplicationGroupId!;
    let tls: TlsTermination | undefined;
    if (group.state.TransitEncryptionEnabled) {
      if (!this.settings.authority) return undefined;
      // The authority hands out the same object for the same address: the endpoint keeps its TLS context.
      tls = this.settings.authority.issue([address]);
    }
    const target = tokenTargetOf(group);
    return { tls, check: (user, token) => this.check(scope, groupId, target, users, user, token) };
  }

  private async check(
    scope: Scope,
    groupId: string,
    target: TokenTarget,
    users: Map<string, string>,
    user: string,
    token: string,
  ): Promise<IamLoginVerdict> {
    const userId = users.get(user);
    if (userId === undefined) return undefined;
    const verdict = await verifyIamAuthToken(token, {
      cacheName: target.cacheName,
      serverless: target.serverless,
      userId,
      credentials: this.settings.credentials,
      acceptUnknownKeys: !this.settings.strict,
    });
    if (!verdict.ok) {
      this.log.info({ ...cacheField(target), user: userId, why: verdict.reason }, 'IAM login refused');
      return { refused: verdict.reason };
    }
    this.log.debug(
      {
        ...cacheField(target),
        user: userId,
        accessKey: verdict.accessKeyId,
        signatureChecked: verdict.signatureChecked,
      },
      'IAM login',
    );
    return { password: this.internalPassword(scope, groupId, userId) };
  }
}
