/**
 * AUTH tokens (Redis AUTH with in-transit encryption): the token rule, a Modify call's change (ROTATE, SET, DELETE)
 * checked against the resource, and the tokens a resource holds once a change is applied, which the workers push
 * to running nodes.
 */
import { invalidCombination, invalidValue, requireValue } from './faults.js';

export function checkAuthToken(token: string) {
  // 16-128 printable ASCII characters, none of / " @ (the API reference's rule).
  if (token.length < 16 || token.length > 128 || !/^[\x21-\x7e]+$/.test(token) || /[/"@]/.test(token)) {
    throw invalidValue('Invalid AuthToken provided.');
  }
}

export type AuthTokenChange = { token?: string; strategy: 'ROTATE' | 'SET' | 'DELETE' };

/** A Modify call's AUTH token change (ROTATE by default), checked against the resource's TLS and token state. */
export function authTokenChange(
  input: { AuthToken?: string; AuthTokenUpdateStrategy?: string },
  current: { TransitEncryptionEnabled?: boolean; AuthTokenEnabled?: boolean },
  what: 'cluster' | 'replication group',
): AuthTokenChange | undefined {
  if (input.AuthToken === undefined && input.AuthTokenUpdateStrategy === undefined) return undefined;
  if (!current.TransitEncryptionEnabled)
    throw invalidValue('The AUTH token is only supported when encryption-in-transit is enabled');
  const strategy = (input.AuthTokenUpdateStrategy ?? 'ROTATE') as AuthTokenChange['strategy'];
  if (strategy === 'DELETE') {
    if (input.AuthToken !== undefined)
      throw invalidCombination('AuthToken must not be given with the DELETE strategy.');
    if (!current.AuthTokenEnabled) throw invalidCombination(`The ${what} has no AUTH token to delete.`);
  } else {
    checkAuthToken(requireValue(input.AuthToken, 'AuthToken'));
  }
  return { token: input.AuthToken, strategy };
}

/** The tokens a resource holds once a change is applied: the newest, the one a ROTATE keeps, those retired. */
export function nextAuthTokens(
  current: { authToken?: string; previousAuthToken?: string },
  change: AuthTokenChange,
): { authToken?: string; previousAuthToken?: string; retiredAuthTokens: string[] } {
  const held = [current.authToken, current.previousAuthToken].filter((t): t is string => t !== undefined);
  if (change.strategy === 'DELETE')
    return { authToken: undefined, previousAuthToken: undefined, retiredAuthTokens: held };
  const previousAuthToken = change.strategy === 'ROTATE' ? current.authToken : undefined;
  return {
    authToken: change.token,
    previousAuthToken,
    retiredAuthTokens: held.filter((t) => t !== previousAuthToken && t !== change.token),
  };
}
