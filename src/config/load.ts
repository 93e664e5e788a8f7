import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { AppConfig, ClientAuthMethod, LogoutHint, OfflineAccessPrompt, SessionStoreKind } from './types.ts';
import { durationProblems } from './durationRules.ts';
import { envReader, envString, type Env } from './envReader.ts';

export type { Env };

/** Thrown once with every problem found, so a user fixes the whole environment in one go. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const DEV_CLIENT_ID = 'lzc-oidc-dev';
const DEV_CLIENT_SECRET = 'lzc-oidc-dev-secret-not-for-production';
const DEFAULT_SCOPES = 'openid profile email groups';
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || hostname.endsWith('.localhost');
}

/** The issuer variable as written (the older `_URL` spelling too), before any normalisation. */
export function rawIssuerOf(env: Env): string | undefined {
  return envString(env, 'LAZYCAT_AUTH_OIDC_ISSUER_URI') ?? envString(env, 'LAZYCAT_AUTH_OIDC_ISSUER_URL');
}

/** What Lazycat registers for an app with `oidc_redirect_path: /callback`. */
export function lazycatRedirectUri(appDomain: string): string {
  return `https://${appDomain}/callback`;
}

/**
 * Reads the environment once into a typed AppConfig. Collects every problem before throwing,
 * and never echoes a secret's value in a message.
 */
export function loadConfig(env: Env): AppConfig {
  const problems: string[] = [];
  const { str, url, int, duration, bool, oneOf } = envReader(env, problems);

  const nodeEnv = oneOf('NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const production = nodeEnv === 'production';
  const port = int('PORT', 3000, 0, 65535);
  const host = str('HOST') ?? (production ? '0.0.0.0' : '127.0.0.1');

  const appDomain = str('LAZYCAT_APP_DOMAIN');
  const boxDomain = str('LAZYCAT_BOX_DOMAIN');
  const issuerRaw = rawIssuerOf(env);
  const providerConfigured = Boolean(
    issuerRaw || str('LAZYCAT_AUTH_OIDC_CLIENT_ID') || str('LAZYCAT_AUTH_OIDC_AUTH_URI') || str('LAZYCAT_AUTH_OIDC_TOKEN_URI'),
  );
  const devProvider = !production && !providerConfigured;
  const devIssuer = `http://localhost:${int('DEV_PROVIDER_PORT', port + 1, 1, 65535)}`;

  const redirectUri =
    url('OIDC_REDIRECT_URI') ?? (appDomain ? lazycatRedirectUri(appDomain) : production ? undefined : `http://localhost:${port}/callback`);
  if (!redirectUri && !str('OIDC_REDIRECT_URI')) {
    problems.push('OIDC_REDIRECT_URI or LAZYCAT_APP_DOMAIN is required (the redirect URI is https://$LAZYCAT_APP_DOMAIN/callback)');
  }
  const publicOrigin = redirectUri ? new URL(redirectUri).origin : 'http://localhost';

  let issuer: string | undefined;
  // OIDC_DISCOVERY=false: the issuer is known but its discovery document is not to be used (or is broken).
  const discovery = devProvider || (Boolean(issuerRaw) && bool('OIDC_DISCOVERY', true));
  if (devProvider) {
    issuer = devIssuer;
  } else if (issuerRaw) {
    // A trailing slash on a path issuer breaks the exact issuer match in discovery.
    const stripped = issuerRaw.replace(/\/+$/, '');
    // Keep the string as written (no URL normalisation): issuers are compared byte for byte.
    issuer = url('LAZYCAT_AUTH_OIDC_ISSUER_URI', stripped) && stripped;
  }
  const endpoints = {
    authorization: url('LAZYCAT_AUTH_OIDC_AUTH_URI'),
    token: url('LAZYCAT_AUTH_OIDC_TOKEN_URI'),
    userinfo: url('LAZYCAT_AUTH_OIDC_USERINFO_URI'),
    jwks: url('OIDC_JWKS_URI'),
    endSession: url('OIDC_END_SESSION_URI'),
    revocation: url('OIDC_REVOCATION_URI'),
  };
  if (!discovery && !devProvider) {
    if (!endpoints.authorization || !endpoints.token) {
      problems.push(
        'LAZYCAT_AUTH_OIDC_ISSUER_URI is required (or, without discovery, LAZYCAT_AUTH_OIDC_AUTH_URI and LAZYCAT_AUTH_OIDC_TOKEN_URI)',
      );
    } else {
      // Manual mode on Lazycat: the provider lives under /sys/oauth on the box domain.
      if (!issuer && boxDomain) issuer = `https://${boxDomain}/sys/oauth`;
      if (!endpoints.jwks && boxDomain) endpoints.jwks = `https://${boxDomain}/sys/oauth/keys`;
      if (!issuer) problems.push('Without LAZYCAT_AUTH_OIDC_ISSUER_URI, LAZYCAT_BOX_DOMAIN is required to know the issuer and its JWKS');
      else if (!endpoints.jwks)
        problems.push('OIDC_JWKS_URI is required without discovery (or LAZYCAT_BOX_DOMAIN for the Lazycat default)');
    }
  }

  const clientId = devProvider ? DEV_CLIENT_ID : str('LAZYCAT_AUTH_OIDC_CLIENT_ID');
  if (!clientId) problems.push('LAZYCAT_AUTH_OIDC_CLIENT_ID is required');
  const clientSecret = devProvider ? DEV_CLIENT_SECRET : str('LAZYCAT_AUTH_OIDC_CLIENT_SECRET');
  const clientAuth = oneOf<ClientAuthMethod>('OIDC_CLIENT_AUTH', ['auto', 'client_secret_basic', 'client_secret_post', 'none'], 'auto');
  if (!clientSecret && (clientAuth === 'client_secret_basic' || clientAuth === 'client_secret_post')) {
    problems.push(`LAZYCAT_AUTH_OIDC_CLIENT_SECRET is required with OIDC_CLIENT_AUTH=${clientAuth}`);
  }

  const allowInsecureHttp = bool('OIDC_ALLOW_INSECURE_HTTP');
  for (const [name, value] of [
    ['LAZYCAT_AUTH_OIDC_ISSUER_URI', issuer],
    ['LAZYCAT_AUTH_OIDC_AUTH_URI', endpoints.authorization],
    ['LAZYCAT_AUTH_OIDC_TOKEN_URI', endpoints.token],
    ['LAZYCAT_AUTH_OIDC_USERINFO_URI', endpoints.userinfo],
    ['OIDC_JWKS_URI', endpoints.jwks],
  ] as const) {
    if (value && !devProvider && !allowInsecureHttp) {
      const u = new URL(value);
      if (u.protocol === 'http:' && !isLoopbackHost(u.hostname)) {
        problems.push(
          `${name} uses plain http on a non-loopback host (${u.host}); use https, or set OIDC_ALLOW_INSECURE_HTTP=true to accept the risk`,
        );
      }
    }
  }

  const scopes = (str('OIDC_SCOPES') ?? DEFAULT_SCOPES).split(/[\s,]+/).filter(Boolean);
  if (!scopes.includes('openid')) scopes.unshift('openid');

  const secretRaw = str('SESSION_SECRET');
  let secrets: string[];
  let secretGenerated = false;
  if (secretRaw) {
    secrets = secretRaw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (secrets.some((s) => s.length < 32)) problems.push('SESSION_SECRET must be at least 32 characters (each, when comma-separated)');
  } else if (production) {
    problems.push('SESSION_SECRET is required in production (at least 32 random characters; on Lazycat use {{ stable_secret "session" }})');
    secrets = [];
  } else {
    secrets = [randomBytes(32).toString('base64url')];
    secretGenerated = true;
  }

  const store = oneOf<SessionStoreKind>('SESSION_STORE', ['sqlite', 'redis', 'memory'], 'sqlite');
  // Its own check: a Redis URL may carry a password, so the value is never echoed.
  const redisUrl = str('REDIS_URL');
  const redisUrlOk = (value: string): boolean => {
    try {
      const u = new URL(value);
      return (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== '';
    } catch {
      return false;
    }
  };
  if (redisUrl !== undefined && !redisUrlOk(redisUrl)) {
    problems.push('REDIS_URL must look like redis://[:password@]host:port (value not shown: it may hold a password)');
  } else if (store === 'redis' && !redisUrl) {
    problems.push('REDIS_URL is required with SESSION_STORE=redis (e.g. redis://127.0.0.1:6379)');
  }

  const secureCookie = redirectUri ? redirectUri.startsWith('https:') : production;
  // Loopback only: lzcinit proxies to the app from 127.0.0.1. Private ranges would let any LAN client say which
  // address, scheme and host it came from.
  const trustProxyRaw = str('TRUST_PROXY') ?? 'loopback';
  const trustProxy: boolean | number | string =
    trustProxyRaw === 'true'
      ? true
      : trustProxyRaw === 'false'
        ? false
        : /^\d+$/.test(trustProxyRaw)
          ? Number(trustProxyRaw)
          : trustProxyRaw;

  const config: AppConfig = {
    nodeEnv,
    host,
    port,
    publicOrigin,
    trustProxy,
    logLevel: str('LOG_LEVEL') ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    // auto: on when the box injected LAZYCAT_APP_DOMAIN, i.e. the app runs behind lzc-ingress.
    boxIdentity: { on: true, off: false, auto: appDomain !== undefined }[oneOf('BOX_IDENTITY', ['on', 'off', 'auto'] as const, 'auto')],
    devProvider,
    oidc: {
      clientId: clientId ?? '',
      clientSecret,
      issuer: issuer ?? '',
      discovery,
      endpoints,
      redirectUri: redirectUri ?? '',
      postLogoutRedirectUri: url('OIDC_POST_LOGOUT_REDIRECT_URI') ?? `${publicOrigin}/logout/done`,
      scopes,
      offlineAccessPrompt: oneOf<OfflineAccessPrompt>('OIDC_OFFLINE_ACCESS_PROMPT', ['consent', 'none'], 'consent'),
      logoutHint: oneOf<LogoutHint>('OIDC_LOGOUT_HINT', ['auto', 'id_token', 'client_id'], 'auto'),
      clientAuth,
      clockToleranceSec: duration('OIDC_CLOCK_TOLERANCE', 60),
      refreshMarginSec: duration('OIDC_REFRESH_MARGIN', 60),
      userinfoRefreshIntervalSec: duration('OIDC_USERINFO_REFRESH_INTERVAL', 300),
      httpTimeoutSec: duration('OIDC_HTTP_TIMEOUT', 10),
      allowInsecureHttp,
      discoveryRetryMinMs: 1000,
      discoveryRetryMaxMs: duration('OIDC_DISCOVERY_RETRY_MAX', 60) * 1000,
    },
    session: {
      secrets,
      secretGenerated,
      store,
      dataDir: path.resolve(str('DATA_DIR') ?? './data'),
      redisUrl,
      redisPrefix: str('REDIS_PREFIX') ?? 'lzc-oidc:',
      idleTimeoutSec: duration('SESSION_IDLE_TIMEOUT', 24 * 3600),
      absoluteTimeoutSec: duration('SESSION_MAX_AGE', 7 * 24 * 3600),
      cookieName: secureCookie ? '__Host-lzc-oidc.sid' : 'lzc-oidc.sid',
      secureCookie,
    },
  };
  problems.push(...durationProblems(config));
  if (problems.length) throw new ConfigError(problems);
  return config;
}
