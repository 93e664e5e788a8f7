/** The validated, typed configuration. Built once by loadConfig(); nothing else reads process.env. */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none' | 'auto';
export type LogoutHint = 'auto' | 'id_token' | 'client_id';
export type SessionStoreKind = 'sqlite' | 'redis' | 'memory';
/** What goes with a request for `offline_access`: `prompt=consent` (OIDC Core §11), or nothing. */
export type OfflineAccessPrompt = 'consent' | 'none';

export interface OidcConfig {
  clientId: string;
  /** Lazycat rotates it on every container restart: keep it in memory only. */
  clientSecret: string | undefined;
  /**
   * Issuer with any trailing slash removed: discovery compares it exactly (docs/providers.md).
   * In manual mode it is derived from LAZYCAT_BOX_DOMAIN.
   */
  issuer: string;
  /**
   * Whether the issuer's discovery document is fetched. False without an issuer (manual mode) and with
   * OIDC_DISCOVERY=false; the explicit endpoints (and OIDC_JWKS_URI) are then the whole provider metadata.
   */
  discovery: boolean;
  /** Explicit endpoints: each overrides the discovered one; without discovery they are the whole config. */
  endpoints: {
    authorization?: string;
    token?: string;
    userinfo?: string;
    jwks?: string;
    endSession?: string;
    revocation?: string;
  };
  redirectUri: string;
  postLogoutRedirectUri: string;
  scopes: string[];
  /** Sent as `prompt` with every request for `offline_access`; 'none' sends no prompt. */
  offlineAccessPrompt: OfflineAccessPrompt;
  /**
   * How RP-initiated logout names the session: `id_token` puts the ID token in the logout URL (through the
   * browser, into the provider's logs); `client_id` keeps it on the server; `auto` sends it only to a provider
   * with no revocation endpoint, for which the hint is the only way to end the tokens (Casdoor).
   */
  logoutHint: LogoutHint;
  clientAuth: ClientAuthMethod;
  clockToleranceSec: number;
  /** Refresh the access token this long before it expires (but not before half its life). */
  refreshMarginSec: number;
  /** Re-read userinfo with the stored access token when the session's claims are this old; 0: never. */
  userinfoRefreshIntervalSec: number;
  httpTimeoutSec: number;
  allowInsecureHttp: boolean;
  discoveryRetryMinMs: number;
  discoveryRetryMaxMs: number;
}

export interface SessionConfig {
  /** First secret signs new cookies; the rest still verify (rotation). */
  secrets: string[];
  secretGenerated: boolean;
  store: SessionStoreKind;
  dataDir: string;
  redisUrl: string | undefined;
  redisPrefix: string;
  idleTimeoutSec: number;
  absoluteTimeoutSec: number;
  cookieName: string;
  /** True when the redirect URI is https: the app is served over TLS (possibly terminated by a proxy). */
  secureCookie: boolean;
}

export interface AppConfig {
  nodeEnv: 'development' | 'production' | 'test';
  host: string;
  port: number;
  /** Origin of the app as the browser sees it, derived from the redirect URI. */
  publicOrigin: string;
  trustProxy: boolean | number | string;
  logLevel: string;
  oidc: OidcConfig;
  session: SessionConfig;
  /** Trust lzc-ingress's X-HC-User-ID (through the trusted proxy only) and end an app session when the box user changes. */
  boxIdentity: boolean;
  /** Zero-config first run: no provider configured outside production, so an embedded dev provider is started. */
  devProvider: boolean;
}
