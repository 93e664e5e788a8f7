import * as oc from 'openid-client';
import * as joseErrors from 'jose/errors';
import { AppError } from '../errors/AppError.ts';

const TOKEN_REJECTED_CODES = new Set([
  'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
  'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
  'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED',
  'OAUTH_KEY_SELECTION_FAILED',
  'OAUTH_UNSUPPORTED_OPERATION',
]);
const PROVIDER_DOWN_CODES = new Set(['OAUTH_TIMEOUT', 'OAUTH_ABORT']);

/** True for an OAUTH_INVALID_RESPONSE whose message (or its cause's) matches: openid-client's only detail. */
function invalidResponseSays(err: unknown, pattern: RegExp): boolean {
  const messages = [err, (err as { cause?: unknown }).cause].map((e) => (e instanceof Error ? e.message : ''));
  return (err as { code?: unknown } | undefined)?.code === 'OAUTH_INVALID_RESPONSE' && messages.some((m) => pattern.test(m));
}

/**
 * openid-client reports an ID token with a required claim missing (`iss`, `aud`, `sub`, `iat`, `nonce`) or an
 * unexpected `alg` (`none`, HS256) as OAUTH_INVALID_RESPONSE, "JWT ... claim missing" / "unexpected JWT alg":
 * the same failed check as a wrong claim value, so the same code, not a provider error.
 */
const MALFORMED_JWT = /\bJWT\b/;

/**
 * Checks of the callback's own parameters, made before any request to the provider: RFC 9207 `iss` missing or
 * wrong, `code` missing or repeated, a JARM response. A forged or mangled callback URL, so a 400, not a 502.
 */
const BAD_CALLBACK = /response parameter|parameter must be provided only once|"callbackParameters"|JARM/;

/**
 * Translates openid-client and jose failures into our stable codes, once, at the edge that owns them.
 * The original error stays as `cause` for the log; the user never sees provider text.
 */
export function fromOidcError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof oc.AuthorizationResponseError) {
    return new AppError(err.error === 'access_denied' ? 'OIDC_ACCESS_DENIED' : 'OIDC_LOGIN_FAILED', {
      cause: err,
      details: { providerError: err.error },
    });
  }
  if (err instanceof oc.ResponseBodyError) {
    const rejected = err.error === 'invalid_grant';
    return new AppError(rejected ? 'OIDC_TOKEN_REJECTED' : 'OIDC_PROVIDER_ERROR', {
      cause: err,
      details: { providerError: err.error, status: err.status },
    });
  }
  if (err instanceof oc.WWWAuthenticateChallengeError) {
    return new AppError('OIDC_PROVIDER_ERROR', { cause: err, details: { status: err.status } });
  }
  if (err instanceof joseErrors.JOSEError) {
    return new AppError('OIDC_TOKEN_REJECTED', { cause: err, details: { joseCode: err.code } });
  }
  const code = (err as { code?: unknown } | null | undefined)?.code;
  if (typeof code === 'string') {
    if (invalidResponseSays(err, BAD_CALLBACK)) return new AppError('OIDC_INVALID_CALLBACK', { cause: err });
    if (TOKEN_REJECTED_CODES.has(code) || invalidResponseSays(err, MALFORMED_JWT))
      return new AppError('OIDC_TOKEN_REJECTED', { cause: err });
    if (PROVIDER_DOWN_CODES.has(code)) return new AppError('OIDC_PROVIDER_UNAVAILABLE', { cause: err });
    if (code.startsWith('OAUTH_')) return new AppError('OIDC_PROVIDER_ERROR', { cause: err });
  }
  if (err instanceof TypeError && err.message.includes('fetch failed')) {
    return new AppError('OIDC_PROVIDER_UNAVAILABLE', { cause: err });
  }
  return new AppError('INTERNAL', { cause: err });
}
