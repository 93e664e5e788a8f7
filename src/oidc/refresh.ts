import * as oc from 'openid-client';
import type { OidcConfig } from '../config/types.ts';
import type { ProviderHandle } from './client.ts';
import type { SessionUser, StoredTokens, TokenInfo } from '../sessions/record.ts';
import { verifyIdToken } from './idToken.ts';
import { fromOidcError } from './errors.ts';
import { claimsFailure, fetchClaims, rebuildUser } from './claims.ts';
import { decodeJwt } from 'jose/jwt/decode';
import { AppError } from '../errors/AppError.ts';

export type RefreshOutcome =
  /**
   * New tokens, to be saved whatever else happens (a rotated refresh token is the only one left), and the user
   * rebuilt from the new claims. `claimsError`: the claims could not be read (JWKS or userinfo unreachable),
   * so the user is the previous one and the ID token the previous, verified one.
   */
  | { kind: 'refreshed'; tokens: StoredTokens; user: SessionUser; claimsError?: AppError }
  /** The provider says the grant is gone (invalid_grant) or its new ID token is for someone else: end the session. */
  | { kind: 'ended'; error: AppError }
  /** The provider could not be asked (down, timeout, 5xx): keep the session and the old tokens. */
  | { kind: 'unavailable'; error: AppError };

/**
 * True when a refresh token exists, no retry back-off is running, and the access token is due: `marginSec`
 * before it expires, but never before half its life has passed, so a provider whose tokens live no longer
 * than the margin does not get a refresh on every request.
 */
export function needsRefresh(info: TokenInfo | undefined, marginSec: number, now = Date.now()): boolean {
  if (!info?.refreshable || info.expiresAt === undefined) return false;
  if (info.refreshRetryAt !== undefined && now < info.refreshRetryAt) return false;
  const halfLife = info.obtainedAt + (info.expiresAt - info.obtainedAt) / 2;
  return now >= Math.max(info.expiresAt - marginSec * 1000, halfLife);
}

// OAuth errors that say "try later" rather than "this grant is over".
const TRANSIENT_OAUTH_ERRORS = new Set(['temporarily_unavailable', 'server_error', 'slow_down']);

/**
 * Uses the refresh token. A new ID token is verified like the first one and must keep the same `iss` and
 * `sub` (conformance: refresh-token-invalid-issuer / -invalid-sub); the session user is rebuilt from it and
 * userinfo, so claims (groups) follow the provider. Rotated refresh tokens replace the old one; a response
 * without one keeps it.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#RefreshTokenResponse
 */
export async function refreshTokens(
  provider: ProviderHandle,
  cfg: OidcConfig,
  current: StoredTokens & { refreshToken: string },
  user: SessionUser,
  now = Date.now(),
): Promise<RefreshOutcome> {
  let response: Awaited<ReturnType<typeof oc.refreshTokenGrant>>;
  try {
    response = await provider.clientAuth.tokenRequest((config) => oc.refreshTokenGrant(config, current.refreshToken));
  } catch (err) {
    const error = fromOidcError(err);
    // The provider answered and refused (any OAuth error but the transient ones; Casdoor's HTTP-200
    // {"status":"error"} for a deleted user): asking again will not help, so the session ends.
    const refused =
      (err instanceof oc.ResponseBodyError && err.status < 500 && !TRANSIENT_OAUTH_ERRORS.has(err.error)) ||
      (err as { code?: unknown }).code === 'OAUTH_INVALID_RESPONSE';
    return refused || error.code === 'OIDC_TOKEN_REJECTED' ? { kind: 'ended', error } : { kind: 'unavailable', error };
  }
  const expiresIn = response.expiresIn();
  const tokens: StoredTokens = {
    obtainedAt: now,
    idToken: current.idToken,
    accessToken: response.access_token,
    refreshToken: response.refresh_token ?? current.refreshToken,
  };
  if (expiresIn !== undefined) tokens.expiresAt = now + expiresIn * 1000;
  const scope = response.scope ?? current.scope;
  if (scope) tokens.scope = scope;
  try {
    let claims = decodeJwt(current.idToken);
    if (response.id_token) {
      claims = await verifyIdToken(provider, response.id_token, cfg.clientId, cfg.clockToleranceSec);
      if (claims.sub !== user.sub || claims.iss !== user.issuer) {
        return { kind: 'ended', error: new AppError('OIDC_TOKEN_REJECTED', { message: 'refreshed ID token changed iss or sub' }) };
      }
      tokens.idToken = response.id_token;
    }
    const userinfo = await fetchClaims(provider, tokens.accessToken, user.sub);
    return { kind: 'refreshed', tokens, user: rebuildUser(user, claims, userinfo) };
  } catch (err) {
    const failure = claimsFailure(err);
    // An outage after the token endpoint answered (JWKS, userinfo) proves nothing against the new tokens.
    return failure.kind === 'ended' ? failure : { kind: 'refreshed', tokens, user, claimsError: failure.error };
  }
}
