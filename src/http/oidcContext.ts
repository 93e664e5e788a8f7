// The public shape of req.oidc, kept apart from its implementation so the published types need only Express's.

/** The signed-in user as host apps see it: a stable shape, whatever the provider called its claims. */
export interface OidcUser {
  /** The provider's stable, unique id for the user. */
  sub: string;
  /** Display name. */
  name?: string;
  /** Login name (`preferred_username`; Casdoor's `name`). */
  username?: string;
  email?: string;
  /** Avatar URL (http or https only). */
  picture?: string;
  /** Group names; Lazycat marks box administrators with `ADMIN`. */
  groups: string[];
  /** The provider that signed the user in. */
  issuer: string;
}

/** Facts about the current sign-in, for a profile page or an API. */
export interface OidcSessionInfo {
  signedInAt: Date;
  /** When the session ends if left idle (the idle and absolute lifetimes both count). */
  expiresAt: Date | undefined;
  /** When the access token expires; the library refreshes it ahead of that when it can. */
  tokenExpiresAt: Date | undefined;
  refreshable: boolean;
}

/** `req.oidc`: reads only. Actions (sign in, sign out) are routes, so they work from any page or form. */
export interface OidcContext {
  /** The signed-in user, or undefined. */
  readonly user: OidcUser | undefined;
  isAuthenticated(): boolean;
  /**
   * A valid access token for calling APIs as the user, refreshed first when it is about to expire;
   * undefined when signed out or when no valid token can be had. Never send it to the browser.
   */
  accessToken(): Promise<string | undefined>;
  /**
   * Claims of the verified ID token, merged with userinfo, trimmed to strings, numbers, booleans and string lists
   * (at most 40, each string at most 256 characters); protocol claims such as `nonce` and `at_hash` are left out.
   */
  readonly idTokenClaims: Readonly<Record<string, string | number | boolean | string[]>> | undefined;
  readonly session: OidcSessionInfo | undefined;
  /** The anti-forgery token a sign-out form must post as `csrf` (see the README's sign-out section). */
  readonly csrfToken: string | undefined;
}

declare global {
  namespace Express {
    interface Request {
      /** Set by lazycatAuth(): the sign-in state of this request. */
      oidc: OidcContext;
    }
  }
}
