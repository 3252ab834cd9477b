/**
 * The credentials strict mode accepts, as the user gives them: `KEY:SECRET[:ACCOUNT]` on the command line or in
 * ELASTICACHE_LOCAL_CREDENTIALS (several separated by commas), or a file in the AWS shared-credentials format
 * (~/.aws/credentials: every profile with both keys counts; `aws_account_id` names the account a key acts in).
 */
import { readFileSync } from 'node:fs';
import type { KnownCredentials } from '../common/sigv4-signatures.js';

export class CredentialsError extends Error {}

const ACCOUNT = /^\d{12}$/;

/** One `KEY:SECRET` or `KEY:SECRET:ACCOUNT`. */
export function parseCredentialPair(text: string): KnownCredentials {
  const parts = text.trim().split(':');
  const [accessKeyId, secretAccessKey, accountId] = parts;
  if (parts.length < 2 || parts.length > 3 || !accessKeyId || !secretAccessKey) {
    throw new CredentialsError(`credentials must be KEY:SECRET or KEY:SECRET:ACCOUNT, got "${text}"`);
  }
  if (accountId !== undefined && !ACCOUNT.test(accountId)) {
    throw new CredentialsError(`the account of ${accessKeyId} must be 12 digits, got "${accountId}"`);
  }
  return accountId === undefined ? { accessKeyId, secretAccessKey } : { accessKeyId, secretAccessKey, accountId };
}

/** A comma-separated list of pairs (the environment variable's form). */
export function parseCredentialList(text: string): KnownCredentials[] {
  return text
    .split(',')
    .filter((item) => item.trim() !== '')
    .map(parseCredentialPair);
}

/** Every profile of a shared-credentials file that has an access key and its secret. */
export function parseCredentialsFile(text: string, where = 'the credentials file'): KnownCredentials[] {
  const profiles = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const section = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
    if (section) {
      current = profiles.get(section[1]) ?? {};
      profiles.set(section[1], current);
      return;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || !current)
      throw new CredentialsError(`${where}, line ${index + 1}: expected [profile] or key = value`);
    current[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  });
  const found: KnownCredentials[] = [];
  for (const [name, values] of profiles) {
    const accessKeyId = values.aws_access_key_id;
    const secretAccessKey = values.aws_secret_access_key;
    if (!accessKeyId || !secretAccessKey) continue;
    const accountId = values.aws_account_id;
    if (accountId !== undefined && !ACCOUNT.test(accountId)) {
      throw new CredentialsError(`${where}, profile ${name}: aws_account_id must be 12 digits, got "${accountId}"`);
    }
    found.push(accountId ? { accessKeyId, secretAccessKey, accountId } : { accessKeyId, secretAccessKey });
  }
  return found;
}

export function readCredentialsFile(path: string): KnownCredentials[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CredentialsError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const found = parseCredentialsFile(text, path);
  if (found.length === 0)
    throw new CredentialsError(`${path} has no profile with aws_access_key_id and aws_secret_access_key`);
  return found;
}

/** The list with one entry per access key: a key given twice keeps its last secret. */
export function uniqueByKey(list: KnownCredentials[]): KnownCredentials[] {
  return [...new Map(list.map((known) => [known.accessKeyId, known])).values()];
}
