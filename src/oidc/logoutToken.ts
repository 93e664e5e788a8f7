import type { JWTPayload } from 'jose';
import { decodeProtectedHeader } from 'jose/decode/protected_header';
import { jwtVerify } from 'jose/jwt/verify';
import type { ProviderHandle } from './client.ts';
import { AppError } from '../errors/AppError.ts';

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

export interface LogoutTokenClaims {
  sub?: string;
  sid?: string;
  jti: string;
  exp: number;
}

function reject(reason: string): never {
  throw new AppError('BAD_REQUEST', { message: reason, details: { reason } });
}

/**
 * Validates a back-channel `logout_token`: signature against the JWKS with an asymmetric alg only
 * (so `alg: none` and HS256 fail), iss, aud, iat, exp, the back-channel `events` member, no `nonce`,
 * and a `sid` and/or `sub`. Replay (`jti`) is the caller's check, because it needs the shared store.
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#Validation
 */
export async function verifyLogoutToken(
  provider: ProviderHandle,
  token: string,
  clientId: string,
  clockToleranceSec: number,
): Promise<LogoutTokenClaims> {
  let header;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    reject('logout_token is not a JWT');
  }
  if (!header.alg || !provider.idTokenAlgs.includes(header.alg)) reject(`logout_token alg ${String(header.alg)} is not accepted`);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, provider.logoutJwks, {
      issuer: provider.issuer,
      audience: clientId,
      algorithms: provider.idTokenAlgs,
      clockTolerance: clockToleranceSec,
      requiredClaims: ['iat', 'jti', 'exp'],
      maxTokenAge: '10m',
    }));
  } catch (err) {
    // The keys could not be fetched (OIDC_PROVIDER_UNAVAILABLE): an outage, not a bad token. Answered 5xx, the
    // provider delivers the same token again later instead of the logout being lost.
    if (err instanceof AppError) throw err;
    const code = (err as { code?: string }).code ?? 'ERR_JWT_INVALID';
    reject(`logout_token failed verification (${code})`);
  }
  const events = payload.events;
  if (!events || typeof events !== 'object' || Array.isArray(events)) reject('logout_token has no events claim');
  const event = (events as Record<string, unknown>)[BACKCHANNEL_EVENT];
  if (!event || typeof event !== 'object' || Array.isArray(event)) reject('logout_token events lacks the back-channel logout event');
  if ('nonce' in payload) reject('logout_token must not contain a nonce');
  const sub = typeof payload.sub === 'string' && payload.sub ? payload.sub : undefined;
  const sid = typeof payload.sid === 'string' && payload.sid ? payload.sid : undefined;
  if (!sub && !sid) reject('logout_token has neither sub nor sid');
  if (typeof payload.jti !== 'string' || !payload.jti) reject('logout_token has no jti');
  return { jti: payload.jti, exp: payload.exp ?? 0, ...(sub && { sub }), ...(sid && { sid }) };
}
