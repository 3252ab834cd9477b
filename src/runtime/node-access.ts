/**
 * Who may do what on a redis / valkey node. ElastiCache keeps some commands from its clients (its user guide's
 * "restricted commands"); the emulator keeps them the same way, and keeps its own way in to itself:
 *
 * - Redis 6+ and Valkey (ACLs): an admin user whose password is the node's own, and a replication user whose
 *   password its group shares (replicas and MIGRATE authenticate with it). Clients get the `default` user, denied
 *   the restricted list; a group with an RBAC user group gives them its users instead, each denied the same. Both internal users are declared, by password hash, in a config file private to the node;
 *   the default user starts disabled there and is opened (with its AUTH tokens and restrictions) by the emulator
 *   over the admin connection, once it can ask the node which version it really runs.
 * - Redis 4 and 5 (no ACL): the restricted commands are renamed to names ending in the node's own secret.
 *
 * No password, token or secret is ever on a command line, in an environment or a label.
 */
import { createHash } from 'node:crypto';
import type { Engine } from '../common/engines.js';

export const ADMIN_USER = 'elasticache-local-admin';
export const REPLICATION_USER = 'elasticache-local-replication';

/** `acl`: internal users; `renamed`: restricted commands renamed (engines without ACL). */
export type AccessMode = 'acl' | 'renamed';

export interface NodeAccess {
  mode: AccessMode;
  /** acl: the admin user's password; renamed: what the renamed commands end with. Only this node has it. */
  adminPassword: string;
  /** acl: the replication user's password, the same on every node of a replication group. */
  replicationPassword: string;
}

export function accessModeFor(engine: Engine, engineVersion: string): AccessMode {
  return engine === 'redis' && Number(engineVersion.split('.')[0]) < 6 ? 'renamed' : 'acl';
}

/**
 * ElastiCache's documented list, plus what would let a client undo what the emulator set up: PSYNC (a second way
 * to SYNC), FAILOVER (a role change behind the service's back) and MODULE.
 */
export const RESTRICTED_COMMANDS = [
  'bgrewriteaof',
  'bgsave',
  'config',
  'debug',
  'migrate',
  'replicaof',
  'save',
  'slaveof',
  'shutdown',
  'sync',
  'psync',
  'failover',
  'module',
];

/** Subcommands that change users or a cluster's topology: the service's, not a client's. */
export const RESTRICTED_SUBCOMMANDS: Record<string, string[]> = {
  acl: ['setuser', 'deluser', 'load', 'save'],
  cluster: [
    'addslots',
    'addslotsrange',
    'delslots',
    'delslotsrange',
    'flushslots',
    'setslot',
    'forget',
    'meet',
    'failover',
    'reset',
    'replicate',
    'bumpepoch',
    'saveconfig',
    'set-config-epoch',
  ],
};

/**
 * Redis 6.0/6.2 cannot deny a single subcommand, only allow one: there the whole command is denied and its harmless
 * subcommands are allowed back.
 */
const ALLOWED_SUBCOMMANDS_BEFORE_7: Record<string, string[]> = {
  acl: ['whoami', 'cat', 'list', 'users', 'getuser', 'log', 'genpass', 'help'],
  cluster: [
    'info',
    'nodes',
    'slots',
    'myid',
    'keyslot',
    'countkeysinslot',
    'getkeysinslot',
    'replicas',
    'slaves',
    'count-failure-reports',
    'help',
  ],
};

/**
 * Renamed whole on engines without ACL; SYNC and PSYNC stay, replicas need them. REPLICAOF came with 5.0 (a name a
 * version does not have cannot be renamed), so the emulator uses SLAVEOF there.
 */
function renamedCommands(engineVersion: string): string[] {
  const names = ['CONFIG', 'SAVE', 'BGSAVE', 'BGREWRITEAOF', 'DEBUG', 'SHUTDOWN', 'SLAVEOF', 'MIGRATE', 'MODULE'];
  return versionOf(engineVersion)[0] >= 5 ? [...names, 'REPLICAOF'] : names;
}

export function renamedCommand(command: string, secret: string): string {
  return `${command}-${secret}`;
}

/** How ACL rules carry a password (`#<sha256>`): the password itself never travels in a rule. */
export function passwordHash(password: string): string {
  return createHash('sha256').update(password).digest('hex');
}

function versionOf(redisVersion: string): [number, number] {
  const [major, minor] = redisVersion.split('.').map(Number);
  return [major || 0, minor || 0];
}

/** The denials every client user carries, whatever else its rules say: the restricted commands and subcommands. */
function restrictionRules(major: number, minor: number): string[] {
  const hasFailover = major > 6 || (major === 6 && minor >= 2);
  const rules: string[] = [];
  // FAILOVER came with 6.2: an older version refuses a rule naming a command it does not have.
  for (const command of RESTRICTED_COMMANDS) if (command !== 'failover' || hasFailover) rules.push(`-${command}`);
  for (const command of Object.keys(RESTRICTED_SUBCOMMANDS)) rules.push(...subcommandDenials(major, command));
  return rules;
}

function subcommandDenials(major: number, command: string): string[] {
  return major >= 7
    ? RESTRICTED_SUBCOMMANDS[command].map((sub) => `-${command}|${sub}`)
    : [`-${command}`, ...ALLOWED_SUBCOMMANDS_BEFORE_7[command].map((sub) => `+${command}|${sub}`)];
}

/** Channel rules came with 6.2; before, every client reached every channel. */
const hasChannelRules = (major: number, minor: number) => major > 6 || (major === 6 && minor >= 2);

/**
 * The ACL SETUSER arguments for the default user, in the syntax the running version understands.
 * - acl: enabled, its AUTH tokens (none: no password), every key and channel, every command but the restricted ones.
 * - renamed (a 4.x / 5.x cluster on a binary that has ACLs, as the offline images are): only the commands renaming
 *   cannot hide are denied (FAILOVER, ACL's writes); the default user stays the emulator's way in, with requirepass.
 */
export function clientRules(redisVersion: string, tokens: string[], mode: AccessMode = 'acl'): string[] {
  const [major, minor] = versionOf(redisVersion);
  const hasFailover = major > 6 || (major === 6 && minor >= 2);
  if (mode === 'renamed') return [...(hasFailover ? ['-failover'] : []), ...subcommandDenials(major, 'acl')];
  const rules = ['reset', 'on', ...(tokens.length === 0 ? ['nopass'] : tokens.map((t) => `#${passwordHash(t)}`))];
  rules.push('~*');
  if (hasChannelRules(major, minor)) rules.push('&*');
  rules.push('+@all');
  rules.push(...restrictionRules(major, minor));
  return rules;
}

/** An RBAC user as a node's ACL has it: its name, its (normalised) access string, its passwords' SHA-256 hashes. */
export interface ClientUser {
  name: string;
  accessString: string;
  passwordHashes: string[];
  /** Anyone may authenticate as it; false with no hash: nobody can (an IAM user, whose tokens are not checked here). */
  noPassword: boolean;
}

/**
 * The ACL SETUSER arguments for an RBAC user: its access string, its passwords by hash, and then, as ElastiCache
 * adds them whatever the access string says, the restricted commands' denials. An access string that names no
 * channel keeps every channel, as the default user has them.
 */
export function userRules(redisVersion: string, user: ClientUser): string[] {
  const [major, minor] = versionOf(redisVersion);
  const channels = hasChannelRules(major, minor);
  const tokens = user.accessString.split(/\s+/).filter((t) => t !== '' && (channels || !t.startsWith('&')));
  const rules = ['reset', ...(user.noPassword ? ['nopass'] : user.passwordHashes.map((h) => `#${h}`))];
  if (channels && !tokens.some((t) => t.startsWith('&'))) rules.push('&*');
  rules.push(...tokens, ...restrictionRules(major, minor));
  return rules;
}

/** A value for a redis config file: every byte escaped, so no token can end the line or the quotes early. */
function quoted(value: string): string {
  return `"${[...Buffer.from(value, 'utf8')].map((byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join('')}"`;
}

/** The node's private config file: the lines that hold credentials (the rest of its settings are arguments). */
export function nodeConfigFile(access: NodeAccess, engineVersion: string, authToken: string | undefined): string {
  if (access.mode === 'renamed') {
    const lines = renamedCommands(engineVersion).map(
      (c) => `rename-command ${c} ${renamedCommand(c, access.adminPassword)}`,
    );
    if (authToken) lines.push(`requirepass ${quoted(authToken)}`, `masterauth ${quoted(authToken)}`);
    return `${lines.join('\n')}\n`;
  }
  return [
    // Opened by the emulator once the node answers (clientRules): until then no client can run anything.
    'user default off resetpass',
    `user ${ADMIN_USER} on #${passwordHash(access.adminPassword)} ~* +@all`,
    `user ${REPLICATION_USER} on #${passwordHash(access.replicationPassword)} ~* -@all ${REPLICATION_COMMANDS.map((c) => `+${c}`).join(' ')}`,
    `masteruser ${REPLICATION_USER}`,
    `masterauth ${quoted(access.replicationPassword)}`,
    '',
  ].join('\n');
}

/** What a replica sends its primary, and what MIGRATE sends its target. */
export const REPLICATION_COMMANDS = [
  'psync',
  'sync',
  'replconf',
  'ping',
  'select',
  'restore',
  'restore-asking',
  'asking',
];

/** The name a restricted command has on this node, for the emulator's admin connection. */
export function restrictedCommandName(access: NodeAccess, command: string): string {
  if (access.mode === 'acl') return command;
  return renamedCommand(command === 'REPLICAOF' ? 'SLAVEOF' : command, access.adminPassword);
}
