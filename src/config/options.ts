import type { AppConfig, ClientAuthMethod, SessionStoreKind } from './types.ts';
import { ConfigError, loadConfig, type Env } from './load.ts';

/**
 * Settings a host app may pass to lazycatAuth() in code. Each one stands for one documented environment
 * variable and wins over it, so both paths share one validation and one error listing every problem.
 */
export interface AuthSettings {
  issuer?: string;
  clientId?: string;
  clientSecret?: string;
  redirectUri?: string;
  postLogoutRedirectUri?: string;
  scopes?: string | string[];
  clientAuth?: ClientAuthMethod;
  /** At least 32 characters; several (newest first) to rotate. */
  sessionSecret?: string | string[];
  store?: SessionStoreKind;
  dataDir?: string;
  redisUrl?: string;
  /**
   * Express's `trust proxy` syntax: which peers may say the request was https, which host it named and (on Lazycat)
   * which box user made it. Default `loopback`.
   */
  trustProxy?: boolean | number | string;
  /** Follow the box user (X-HC-User-ID): `auto` (default) is on when LAZYCAT_APP_DOMAIN is set. */
  boxIdentity?: 'on' | 'off' | 'auto';
  logLevel?: string;
}

const VARIABLES: Record<keyof AuthSettings, string> = {
  issuer: 'LAZYCAT_AUTH_OIDC_ISSUER_URI',
  clientId: 'LAZYCAT_AUTH_OIDC_CLIENT_ID',
  clientSecret: 'LAZYCAT_AUTH_OIDC_CLIENT_SECRET',
  redirectUri: 'OIDC_REDIRECT_URI',
  postLogoutRedirectUri: 'OIDC_POST_LOGOUT_REDIRECT_URI',
  scopes: 'OIDC_SCOPES',
  clientAuth: 'OIDC_CLIENT_AUTH',
  sessionSecret: 'SESSION_SECRET',
  store: 'SESSION_STORE',
  dataDir: 'DATA_DIR',
  redisUrl: 'REDIS_URL',
  trustProxy: 'TRUST_PROXY',
  boxIdentity: 'BOX_IDENTITY',
  logLevel: 'LOG_LEVEL',
};

function settingsToEnv(settings: AuthSettings): Env {
  const env: Env = {};
  for (const [key, name] of Object.entries(VARIABLES) as Array<[keyof AuthSettings, string]>) {
    const value = settings[key];
    if (value === undefined) continue;
    env[name] = Array.isArray(value) ? value.join(key === 'scopes' ? ' ' : ',') : String(value);
  }
  return env;
}

/**
 * The library's configuration: the environment (process.env unless given), with settings from code on top.
 * The zero-config development provider belongs to the reference app, so here a missing provider is an error.
 */
export function loadAuthConfig(settings: AuthSettings, env: Env = process.env): AppConfig {
  const config = loadConfig({ ...env, ...settingsToEnv(settings) });
  if (config.devProvider) {
    throw new ConfigError([
      'No OpenID provider configured: set LAZYCAT_AUTH_OIDC_ISSUER_URI and LAZYCAT_AUTH_OIDC_CLIENT_ID (on Lazycat the box sets them), or pass issuer and clientId to lazycatAuth()',
    ]);
  }
  return config;
}
