/**
 * Stable error codes: shown to users and API clients, frozen once shipped.
 * Status and message key come from here, never from the throw site.
 */
export const ERROR_CODES = {
  OIDC_PROVIDER_UNAVAILABLE: 503,
  OIDC_PROVIDER_ERROR: 502,
  OIDC_ACCESS_DENIED: 403,
  OIDC_LOGIN_FAILED: 400,
  OIDC_STATE_MISMATCH: 400,
  OIDC_TXN_EXPIRED: 400,
  OIDC_TOKEN_REJECTED: 401,
  OIDC_INVALID_CALLBACK: 400,
  SESSION_STORE_UNAVAILABLE: 503,
  // The browser's cookie is cleared, but the store could not confirm that the session ended.
  SIGN_OUT_UNCONFIRMED: 503,
  CSRF_INVALID: 403,
  AUTH_REQUIRED: 401,
  FORBIDDEN: 403,
  BAD_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  NOT_FOUND: 404,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
