/**
 * Stable error codes: shown to users and API clients, frozen once shipped. Each one's HTTP status, and whether
 * its page offers "sign in again" (the sign-in itself failed or is needed), come from here, never from the throw site.
 */
export const ERROR_CODES = {
  OIDC_PROVIDER_UNAVAILABLE: { status: 503, signInAgain: true },
  OIDC_PROVIDER_ERROR: { status: 502, signInAgain: true },
  OIDC_ACCESS_DENIED: { status: 403, signInAgain: true },
  OIDC_LOGIN_FAILED: { status: 400, signInAgain: true },
  OIDC_STATE_MISMATCH: { status: 400, signInAgain: true },
  OIDC_TXN_EXPIRED: { status: 400, signInAgain: true },
  OIDC_TOKEN_REJECTED: { status: 401, signInAgain: true },
  OIDC_INVALID_CALLBACK: { status: 400, signInAgain: true },
  SESSION_STORE_UNAVAILABLE: { status: 503, signInAgain: false },
  // The browser's cookie is cleared, but the store could not confirm that the session ended.
  SIGN_OUT_UNCONFIRMED: { status: 503, signInAgain: false },
  CSRF_INVALID: { status: 403, signInAgain: false },
  AUTH_REQUIRED: { status: 401, signInAgain: true },
  FORBIDDEN: { status: 403, signInAgain: false },
  BAD_REQUEST: { status: 400, signInAgain: false },
  PAYLOAD_TOO_LARGE: { status: 413, signInAgain: false },
  NOT_FOUND: { status: 404, signInAgain: false },
  INTERNAL: { status: 500, signInAgain: false },
} as const satisfies Record<string, { status: number; signInAgain: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;
