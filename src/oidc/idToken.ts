import type { JWTPayload } from 'jose';
import { jwtVerify } from 'jose/jwt/verify';
import type { ProviderHandle } from './client.ts';
import { AppError } from '../errors/AppError.ts';

/**
 * Verifies the ID token's signature against the provider's JWKS, which openid-client skips for
 * tokens from the token endpoint (OIDC Core 3.1.3.7 (6) lets it trust TLS; we promise more).
 * An unknown `kid` makes the key set refetch, so signing-key rotation is picked up.
 * Also rejects an `iat` in the future beyond the tolerance, which openid-client only type-checks.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation
 */
export async function verifyIdToken(
  provider: ProviderHandle,
  idToken: string,
  clientId: string,
  clockToleranceSec: number,
): Promise<JWTPayload> {
  const { payload } = await jwtVerify(idToken, provider.jwks, {
    issuer: provider.issuer,
    audience: clientId,
    algorithms: provider.idTokenAlgs,
    clockTolerance: clockToleranceSec,
    requiredClaims: ['iat', 'exp', 'sub'],
  });
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.iat !== 'number' || payload.iat > now + clockToleranceSec) {
    throw new AppError('OIDC_TOKEN_REJECTED', { message: 'ID token iat is in the future', details: { iat: payload.iat, now } });
  }
  return payload;
}
