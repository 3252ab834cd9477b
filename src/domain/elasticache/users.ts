/**
 * The rules of RBAC users and user groups that need no store: identifiers, engines, access strings as AWS
 * normalises them, how a request's Passwords / NoPasswordRequired / AuthenticationMode resolve to one way of
 * authenticating, and the built-in `default` user. Passwords leave this module only as SHA-256 hashes (the form
 * Redis ACL rules take with `#`), so no plaintext password is ever stored.
 */
import { createHash } from 'node:crypto';
import type { Scope } from '../../store/records.js';
import { arn } from './arns.js';
import { invalidCombination, invalidValue, requireValue } from './faults.js';

export type UserEngine = 'redis' | 'valkey';

/** The user every account and region has, which no call can change or delete. */
export const DEFAULT_USER_ID = 'default';
export const DEFAULT_USER_NAME = 'default';
export const DEFAULT_ACCESS_STRING = 'on ~* +@all';

export const USER_QUOTA = 1000;
export const USER_GROUP_QUOTA = 100;
export const USERS_PER_GROUP = 100;

/** What a user authenticates with: the API shows the type and the count, the nodes get the hashes. */
export interface UserAuthentication {
  type: 'password' | 'no-password' | 'iam';
  passwordHashes: string[];
}

/** UserId and UserGroupId: a letter, then letters, digits and hyphens; kept lowercase. */
export function userStyleId(value: string | undefined, parameter: string): string {
  const id = requireValue(value, parameter).toLowerCase();
  if (id.length > 40 || !/^[a-z][a-z0-9-]*$/.test(id) || id.includes('--') || id.endsWith('-')) {
    throw invalidValue(
      `The parameter ${parameter} is not a valid identifier. Identifiers must begin with a letter; must contain ` +
        'only ASCII letters, digits, and hyphens; must be 1 to 40 characters long; and must not end with a hyphen ' +
        'or contain two consecutive hyphens.',
    );
  }
  return id;
}

export function userEngineOf(value: string | undefined): UserEngine {
  const engine = requireValue(value, 'Engine', 'null').toLowerCase();
  if (engine !== 'redis' && engine !== 'valkey') throw invalidValue(`Engine ${value} is not supported for users.`);
  return engine;
}

/** The oldest engine version a user or user group works with. */
export function minimumEngineVersion(engine: UserEngine): string {
  return engine === 'valkey' ? '7.2' : '6.0';
}

/** Whether a user of one engine may be a member of a group of another: Valkey takes Redis OSS users, not back. */
export function engineAccepts(groupEngine: UserEngine, userEngine: UserEngine): boolean {
  return groupEngine === userEngine || groupEngine === 'valkey';
}

const KEY_PATTERN = /^(%(r|w|rw))?~\S+$/i;
const COMMAND_RULE = /^[+-]@?[a-z0-9_.:-]+(\|[a-z0-9_.:-]+)?$/i;

/**
 * An access string as AWS stores it: `on` or `off` first (off when neither is given), then key patterns, channel
 * patterns, and command rules, those starting from `-@all` unless they start from `+@all` / `-@all` themselves.
 * Rules that would touch passwords, or reset the user, belong to the service, not to the string.
 */
export function normaliseAccessString(value: string | undefined, parameter = 'AccessString'): string {
  const tokens = requireValue(value, parameter).trim().split(/\s+/).filter(Boolean);
  if (tokens.length === 0) throw invalidValue(`The parameter ${parameter} must be provided and must not be blank.`);
  let enabled = false;
  const keys: string[] = [];
  const channels: string[] = [];
  const commands: string[] = [];
  for (const token of tokens) {
    const lower = token.toLowerCase();
    if (lower === 'on' || lower === 'off') enabled = lower === 'on';
    else if (KEY_PATTERN.test(token)) keys.push(token);
    else if (lower === 'allkeys') keys.push('~*');
    else if (lower === 'resetkeys') keys.length = 0;
    else if (token.length > 1 && token.startsWith('&')) channels.push(token);
    else if (lower === 'allchannels') channels.push('&*');
    else if (lower === 'resetchannels') channels.length = 0;
    else if (lower === 'allcommands') commands.push('+@all');
    else if (lower === 'nocommands') commands.push('-@all');
    else if (COMMAND_RULE.test(token)) commands.push(lower);
    else if (/^[<>#!]/.test(token) || lower === 'nopass' || lower === 'resetpass') {
      // Never echoed: the token may be a password.
      throw invalidValue('Access strings cannot set passwords; use Passwords or AuthenticationMode.');
    } else throw invalidValue(`Access string is not valid: ${token} is not allowed.`);
  }
  if (commands[0] !== '+@all' && commands[0] !== '-@all') commands.unshift('-@all');
  return [enabled ? 'on' : 'off', ...keys, ...channels, ...commands].join(' ');
}

export function passwordHashOf(password: string): string {
  return createHash('sha256').update(password).digest('hex');
}

function checkPasswords(passwords: string[]): string[] {
  if (passwords.length === 0) throw invalidValue('At least one password must be provided.');
  if (passwords.length > 2) throw invalidValue('A user can have at most two passwords.');
  for (const password of passwords) {
    if (password.length < 16 || password.length > 128)
      throw invalidValue('Passwords length must be between 16-128 characters.');
    if (!/^[\x21-\x7e]+$/.test(password))
      throw invalidValue('Passwords must consist of printable ASCII characters, without spaces.');
  }
  return passwords.map(passwordHashOf);
}

/** How a request states a user's authentication (CreateUser, ModifyUser). */
export interface AuthenticationRequest {
  Passwords?: string[];
  NoPasswordRequired?: boolean;
  AuthenticationMode?: { Type?: string; Passwords?: string[] };
}

const NO_PASSWORD_GIVEN =
  'No password was provided. If you want to create/update the user without password, please use the NoPasswordRequired flag.';

/**
 * The one way of authenticating a request asks for; undefined when it asks for no change (ModifyUser only: a
 * create without any is refused).
 */
export function authenticationOf(input: AuthenticationRequest, creating: boolean): UserAuthentication | undefined {
  const passwords = input.Passwords;
  const mode = input.AuthenticationMode;
  if (mode !== undefined) {
    // NoPasswordRequired=false asks for nothing (Terraform's AWS provider always sends the flag).
    if (passwords !== undefined || input.NoPasswordRequired === true) {
      throw invalidCombination('Passwords and NoPasswordRequired cannot be used together with AuthenticationMode.');
    }
    const type = requireValue(mode.Type, 'AuthenticationMode.Type');
    if (type === 'password') {
      if (!mode.Passwords?.length) throw invalidValue(NO_PASSWORD_GIVEN);
      return { type: 'password', passwordHashes: checkPasswords(mode.Passwords) };
    }
    if (mode.Passwords !== undefined) {
      throw invalidCombination(`Passwords cannot be given with the authentication type ${type}.`);
    }
    if (type === 'no-password-required') return { type: 'no-password', passwordHashes: [] };
    if (type === 'iam') return { type: 'iam', passwordHashes: [] };
    throw invalidValue(`Invalid authentication type: ${type}`);
  }
  if (input.NoPasswordRequired === true) {
    if (passwords !== undefined) throw invalidCombination('Passwords cannot be given with NoPasswordRequired.');
    return { type: 'no-password', passwordHashes: [] };
  }
  if (passwords !== undefined) return { type: 'password', passwordHashes: checkPasswords(passwords) };
  if (creating || input.NoPasswordRequired === false) throw invalidValue(NO_PASSWORD_GIVEN);
  return undefined;
}

/** IAM users authenticate with their name in the token: AWS wants UserId and UserName alike. */
export function checkIamNames(auth: UserAuthentication, userId: string, userName: string): void {
  if (auth.type === 'iam' && userId !== userName) {
    throw invalidValue('For IAM authentication, UserId and UserName must be identical.');
  }
}

/** The built-in default user of an account and region, as DescribeUsers shows it (without its groups). */
export function builtInDefaultUser(scope: Scope) {
  return {
    UserId: DEFAULT_USER_ID,
    UserName: DEFAULT_USER_NAME,
    Status: 'active',
    Engine: 'redis' as UserEngine,
    MinimumEngineVersion: minimumEngineVersion('redis'),
    AccessString: DEFAULT_ACCESS_STRING,
    Authentication: { Type: 'no-password' as const },
    ARN: arn(scope, 'user', DEFAULT_USER_ID),
  };
}

/** Names that occur twice among a group's users: a node has one user per name. */
export function duplicateName(names: string[]): string | undefined {
  return names.find((name, i) => names.indexOf(name) !== i);
}
