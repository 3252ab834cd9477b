/**
 * Memcached SASL, a local extension (AWS has no switch for it): a memcached cluster tagged
 * `elasticache-local:sasl-user-group` = <UserGroupId> runs its nodes with `memcached -S`, and the users of that
 * group authenticate with SASL PLAIN as their UserName and any of their passwords.
 *
 * The node does SASL itself (mechanisms, the PLAIN exchange, refusing every command before authentication); Cyrus
 * SASL in the node hands each password check to a saslauthd socket, which the emulator serves here. Passwords are
 * stored only as hashes (domain/elasticache/users.ts), so a file of passwords for the node cannot be written; the
 * socket checks against the hashes, reads the tag, group and users at each authentication (ModifyUser and
 * membership changes reach running nodes at once), and accepts both passwords of a user with two.
 *
 * One directory per cluster under the temp dir (a saslauthd socket path must be short) holds the socket and the
 * memcached.conf that points Cyrus at it; a container gets the directory bind-mounted at the same path, so one file
 * serves both runtimes. Nothing in it is secret: any local process could try a password on the endpoint anyway.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../common/logger.js';
import { arn } from '../domain/elasticache/arns.js';
import { findStoredUser, findUserGroup } from '../domain/elasticache/user-records.js';
import { passwordHashOf } from '../domain/elasticache/users.js';
import type { NodeSasl } from '../runtime/runtime.js';
import type { Scope, Store } from '../store/store.js';

/** The tag that turns SASL on for a memcached cluster; its value is a user group of the same account and region. */
export const SASL_USER_GROUP_TAG = 'elasticache-local:sasl-user-group';

const SOCKET_NAME = 'mux';
/** What Cyrus reads at the node's start (SASL_CONF_PATH): PLAIN only, passwords checked over the socket. */
const CONF_NAME = 'memcached.conf';
/** A saslauthd query is four short counted strings; anything longer is not one. */
const QUERY_LIMIT = 4096;

/** The user group a cluster's SASL tag names, or undefined when the cluster has no such tag. */
export function saslUserGroupOf(store: Store, scope: Scope, clusterId: string): string | undefined {
  const tag = store.tags.list(arn(scope, 'cluster', clusterId)).find((t) => t.Key === SASL_USER_GROUP_TAG);
  return tag?.Value ? tag.Value.toLowerCase() : undefined;
}

/** The event a cluster records when its nodes (re)start with SASL on; undefined when SASL is off. */
export function saslEventMessage(store: Store, scope: Scope, clusterId: string): string | undefined {
  const group = saslUserGroupOf(store, scope, clusterId);
  if (!group) return undefined;
  const missing = findUserGroup(store, scope, group) ? '' : ' (no such user group: every login is refused)';
  return `SASL authentication is on for cache cluster ${clusterId}: users of user group ${group}${missing} (local extension)`;
}

/**
 * Whether a login and password belong to a user of the cluster's SASL user group who may authenticate: not being
 * deleted (a user being modified keeps working, as on a redis node), enabled (`on`), with passwords. Read from the
 * store at each call.
 */
export function saslPasswordAccepted(
  store: Store,
  scope: Scope,
  clusterId: string,
  login: string,
  password: string,
): boolean {
  const groupId = saslUserGroupOf(store, scope, clusterId);
  const group = groupId ? findUserGroup(store, scope, groupId) : undefined;
  if (!group) return false;
  const offered = Buffer.from(passwordHashOf(password), 'hex');
  let accepted = false;
  for (const userId of group.state.UserIds) {
    const user = findStoredUser(store, scope, userId);
    if (!user || user.state.UserName !== login || user.state.Status === 'deleting') continue;
    if (user.state.Authentication.Type !== 'password' || !user.state.AccessString.startsWith('on')) continue;
    for (const hash of user.internal.passwordHashes)
      if (timingSafeEqual(Buffer.from(hash, 'hex'), offered)) accepted = true;
  }
  return accepted;
}

/** Reads the saslauthd query (login, password, service, realm: each a 2-byte length and its bytes). */
function parseQuery(buffer: Buffer): string[] | undefined {
  const fields: string[] = [];
  let offset = 0;
  while (fields.length < 4) {
    if (offset + 2 > buffer.length) return undefined;
    const length = buffer.readUInt16BE(offset);
    if (offset + 2 + length > buffer.length) return undefined;
    fields.push(buffer.subarray(offset + 2, offset + 2 + length).toString('utf8'));
    offset += 2 + length;
  }
  return fields;
}

function counted(text: string): Buffer {
  const body = Buffer.from(text, 'latin1');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(body.length);
  return Buffer.concat([length, body]);
}

const clusterKey = (scope: Scope, clusterId: string) => `${scope.account}/${scope.region}/${clusterId}`;

/** The saslauthd sockets of this emulator's SASL clusters, one per cluster, opened when a node spec needs one. */
export class MemcachedSaslService {
  private readonly baseDir: string;
  private readonly servers = new Map<string, Server>();
  private closed = false;

  constructor(
    private readonly store: Store,
    instanceId: string,
    private readonly log: Logger,
    baseDir = tmpdir(),
  ) {
    this.baseDir = join(baseDir, `ecl-sasl-${instanceId}`);
  }

  /**
   * What a memcached node of the cluster needs for SASL, or undefined when the cluster has no SASL tag. The
   * directory and its memcached.conf exist when this returns (the node reads the file at start); the socket
   * listens a moment later, before any client can have authenticated.
   */
  nodeSasl(scope: Scope, clusterId: string, engine: string): NodeSasl | undefined {
    if (engine !== 'memcached' || this.closed || !saslUserGroupOf(this.store, scope, clusterId)) return undefined;
    const key = clusterKey(scope, clusterId);
    const confDir = this.dirOf(key);
    if (!this.servers.has(key)) this.listen(scope, clusterId, confDir);
    return { confDir };
  }

  private dirOf(key: string): string {
    return join(this.baseDir, createHash('sha256').update(key).digest('hex').slice(0, 12));
  }

  private listen(scope: Scope, clusterId: string, dir: string): void {
    // Traversable, not listable: a node running as another user (nobody, a container's uid) reaches the socket.
    mkdirSync(dir, { recursive: true, mode: 0o711 });
    chmodSync(this.baseDir, 0o711);
    chmodSync(dir, 0o711);
    const socketPath = join(dir, SOCKET_NAME);
    const conf = `mech_list: plain\npwcheck_method: saslauthd\nsaslauthd_path: ${socketPath}\n`;
    writeFileSync(join(dir, CONF_NAME), conf, { mode: 0o644 });
    // The directory stays (a container's bind mount holds it); only a socket left by an earlier run goes.
    rmSync(socketPath, { force: true });
    const server = createServer((socket) => this.answer(scope, clusterId, socket));
    server.on('error', (error) => this.log.error({ err: error, cluster: clusterId }, 'SASL password socket failed'));
    server.listen(socketPath, () => chmodSync(socketPath, 0o666));
    this.servers.set(clusterKey(scope, clusterId), server);
  }

  private answer(scope: Scope, clusterId: string, socket: Socket): void {
    let received = Buffer.alloc(0);
    socket.setTimeout(5000, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length > QUERY_LIMIT) return void socket.destroy();
      const query = parseQuery(received);
      if (!query) return;
      const [login, password] = query;
      const ok = !this.closed && saslPasswordAccepted(this.store, scope, clusterId, login, password);
      // The user's name only: the password is never logged.
      this.log.debug({ cluster: clusterId, user: login, accepted: ok }, 'memcached SASL authentication');
      socket.end(counted(ok ? 'OK' : 'NO authentication failed'));
    });
  }

  /** Stops serving a deleted cluster's socket (its directory goes too: no node of it is left). */
  async release(scope: Scope, clusterId: string): Promise<void> {
    const key = clusterKey(scope, clusterId);
    const server = this.servers.get(key);
    if (!server) return;
    this.servers.delete(key);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(this.dirOf(key), { recursive: true, force: true });
  }

  /**
   * Stops every socket. Nodes left running (a persistent instance) keep their directories and refuse every login
   * until the next start serves the sockets again; an ephemeral instance's directories go with it.
   */
  async close(removeFiles: boolean): Promise<void> {
    this.closed = true;
    const servers = [...this.servers.values()];
    this.servers.clear();
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    if (removeFiles) rmSync(this.baseDir, { recursive: true, force: true });
  }
}
