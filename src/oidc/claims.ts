import * as oc from 'openid-client';
import type { JWTPayload } from 'jose';
import { decodeJwt } from 'jose/jwt/decode';
import type { OidcConfig } from '../config/types.ts';
import type { ProviderHandle } from './client.ts';
import { fromOidcError } from './errors.ts';
import { toSessionUser } from './sessionUser.ts';
import type { SessionUser, StoredTokens, TokenInfo } from '../sessions/record.ts';
import { AppError } from '../errors/AppError.ts';

/** What a re-read of the user's claims came to. */
export type ClaimsOutcome =
  | { kind: 'updated'; user: SessionUser }
  /** The provider no longer accepts the access token (user removed, token revoked), or named someone else: end the session. */
  | { kind: 'ended'; error: AppError }
  /** The provider could not be asked: keep the session and its claims, and ask again an interval later. */
  | { kind: 'unavailable'; error: AppError };

/**
 * True when the provider no longer accepts the access token at userinfo: 401 (RFC 6750 invalid_token), or
 * Dex's answer to an invalid token, 403 `access_denied` without a challenge (handlers.go handleUserInfo). A 403
 * with a challenge is RFC 6750's insufficient_scope: the token itself is still good.
 */
function userinfoRefused(err: unknown): boolean {
  if (err instanceof oc.WWWAuthenticateChallengeError) return err.status === 401;
  // openid-client reports any other non-200 userinfo answer this way, with the response as the cause.
  const response = (err as { cause?: unknown }).cause;
  const unchallenged = (err as { code?: unknown }).code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' && response instanceof Response;
  return unchallenged && (response.status === 401 || response.status === 403);
}

/**
 * The session user rebuilt from current claims, keeping what a session must not lose: the sign-in time, and
 * the provider session id (back-channel logout finds sessions by it) when a refreshed ID token leaves it out.
 * @param idClaims verified ID-token claims: a refresh's new ID token, else the stored one (verified when stored).
 */
export function rebuildUser(previous: SessionUser, idClaims: JWTPayload, userinfo: Record<string, unknown> | undefined): SessionUser {
  const user = toSessionUser(idClaims, userinfo, previous.signedInAt);
  if (!user.sid && previous.sid) user.sid = previous.sid;
  return user;
}

/**
 * Userinfo for `accessToken`, checked to be about `sub`; undefined when the provider has no userinfo endpoint.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#UserInfoResponse
 */
export async function fetchClaims(
  provider: ProviderHandle,
  accessToken: string,
  sub: string,
): Promise<Record<string, unknown> | undefined> {
  if (!provider.userinfoEndpoint) return undefined;
  return oc.fetchUserInfo(provider.config, accessToken, sub);
}

/**
 * True when the session's claims are due for a re-read from userinfo: an interval after they were last asked
 * for (sign-in, refresh or re-read), while the access token that asks is still valid.
 * mod_auth_openidc's OIDCUserInfoRefreshInterval, for providers without refresh tokens (Lazycat's Dex) and
 * for long-lived access tokens (Casdoor's 7 days), whose claims a refresh would bring too rarely. Never for a
 * provider without a userinfo endpoint.
 */
export function claimsDue(
  info: TokenInfo | undefined,
  cfg: Pick<OidcConfig, 'userinfoRefreshIntervalSec'>,
  provider: Pick<ProviderHandle, 'userinfoEndpoint'>,
  now = Date.now(),
): boolean {
  if (!info || cfg.userinfoRefreshIntervalSec <= 0 || !provider.userinfoEndpoint) return false;
  if (info.expiresAt !== undefined && info.expiresAt <= now) return false;
  return now >= (info.userinfoAt ?? info.obtainedAt) + cfg.userinfoRefreshIntervalSec * 1000;
}

/**
 * Why reading claims failed, for a session that exists: the provider refused the token or sent claims that
 * fail a check (ended), or anything else, an outage or a broken answer, which is no reason to sign anyone out.
 */
export function claimsFailure(err: unknown): Exclude<ClaimsOutcome, { kind: 'updated' }> {
  if (userinfoRefused(err))
    return { kind: 'ended', error: new AppError('OIDC_TOKEN_REJECTED', { message: 'userinfo refused the access token', cause: err }) };
  const error = fromOidcError(err);
  return error.code === 'OIDC_TOKEN_REJECTED' ? { kind: 'ended', error } : { kind: 'unavailable', error };
}

/** Re-reads userinfo with the stored access token and rebuilds the session user from it. */
export async function rereadClaims(provider: ProviderHandle, tokens: StoredTokens, user: SessionUser): Promise<ClaimsOutcome> {
  try {
    const userinfo = await fetchClaims(provider, tokens.accessToken, user.sub);
    return { kind: 'updated', user: rebuildUser(user, decodeJwt(tokens.idToken), userinfo) };
  } catch (err) {
    return claimsFailure(err);
  }
}
