import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type ErrorRequestHandler } from 'express';
import type { AppConfig } from '../config/types.ts';
import type { Env } from '../config/load.ts';
import { loadAuthConfig, type AuthSettings } from '../config/options.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import { createOidcClient, type OidcClient } from '../oidc/client.ts';
import { createSessionBackend } from '../sessions/index.ts';
import { lazyBackend, type LazyBackend } from '../sessions/lazy.ts';
import { sessionWrites } from '../sessions/storeOps.ts';
import type { SessionBackend } from '../sessions/types.ts';
import { safeReturnTo } from '../security/returnTo.ts';
import { requestContext } from './context.ts';
import type { AuthDeps } from './deps.ts';
import { errorBoundary, errorPages, errorRenderer } from './errorPages.ts';
import { sessionLifetime, sessionMiddleware } from './middleware/session.ts';
import { tokenRefresh } from './middleware/tokenRefresh.ts';
import type { AuthPaths } from './paths.ts';
import { proxyTrust } from './proxyTrust.ts';
import { backchannelRoutes } from './routes/backchannel.ts';
import { signInRoutes } from './routes/signIn.ts';
import { signOutRoutes } from './routes/signOut.ts';

export interface LazycatAuthOptions extends AuthSettings {
  /** Where to read the documented variables from. Default: `process.env`. Settings above win over it. */
  env?: Env;
  /** A configuration already loaded with loadConfig() (the settings and `env` are then not read). */
  config?: AppConfig;
  /** Route paths. The callback is always the redirect URI's path. */
  routes?: Partial<Omit<AuthPaths, 'callback'>>;
  /**
   * `'host'` (default): errors reach the host app's error handler as AppErrors with `code` and `status`.
   * `'builtin'`: the library answers them itself with its zh-CN/en pages, or JSON for API clients.
   */
  pages?: 'builtin' | 'host';
  /** Where a sign-in without a `returnTo` lands. Default `/`. */
  afterSignIn?: string;
  /** Default: a JSON logger at LOG_LEVEL that never writes a token or secret. */
  logger?: Logger;
}

/** Public facts about the discovered provider, for a host's CSP or status page. */
export interface ProviderInfo {
  issuer: string;
  endSessionEndpoint: string | undefined;
}

/** The Router that app.use() mounts, plus its lifecycle. */
export interface LazycatAuth extends Router {
  /** Opens the session store and starts discovery now rather than on the first request. Rejects when the store cannot be opened. */
  start(): Promise<void>;
  /** Resolves once the provider's discovery document has been read (retried with backoff until then). */
  providerReady(): Promise<void>;
  /** For a readiness probe: is the provider discovered, does the store answer? */
  readiness(): Promise<{ provider: boolean; store: boolean }>;
  /** The discovered provider, once known. */
  provider(): ProviderInfo | undefined;
  /** The built-in error pages as an error handler, for the host's own routes (mount it last). */
  errorPages(): ErrorRequestHandler;
  /** Stops discovery retries and closes the session store. */
  close(): Promise<void>;
}

/** Internals the tests (and only they) reach into. */
export interface AuthInternals {
  config: AppConfig;
  oidc: OidcClient;
  sessions: SessionBackend;
  logger: Logger;
}

const INTERNALS = new WeakMap<LazycatAuth, AuthInternals>();
export const internalsOf = (auth: LazycatAuth): AuthInternals => INTERNALS.get(auth)!;

const PUBLIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'public');

function pathsOf(config: AppConfig, routes: LazycatAuthOptions['routes']): AuthPaths {
  const origin = config.publicOrigin;
  const postLogout = new URL(config.oidc.postLogoutRedirectUri);
  return {
    login: '/login',
    logout: '/logout',
    logoutDone: postLogout.origin === origin ? postLogout.pathname : '/logout/done',
    backchannel: '/backchannel-logout',
    stylesheet: '/lzc-oidc.css',
    ...routes,
    callback: new URL(config.oidc.redirectUri).pathname,
  };
}

/**
 * Sign-in for an Express app: `app.use(lazycatAuth())`. Synchronous and without side effects: the
 * store opens and discovery starts on the first request (or on start()); until the provider answers,
 * /login gets the "provider unavailable" answer.
 */
export function lazycatAuth(options: LazycatAuthOptions = {}, internal: { sessions?: SessionBackend } = {}): LazycatAuth {
  const config = options.config ?? loadAuthConfig(options, options.env);
  const logger = options.logger ?? createLogger(config.logLevel);
  const oidc = createOidcClient(config.oidc, logger);
  const shared = internal.sessions;
  // A store shared with other instances (tests) is opened and closed by its owner.
  const sessions: LazyBackend = shared
    ? { ...shared, open: async () => shared, close: async () => {} }
    : lazyBackend(config.session.store, () => createSessionBackend(config.session, logger));
  const writes = sessionWrites(sessions, config.session.absoluteTimeoutSec);
  const paths = pathsOf(config, options.routes);
  const pages = options.pages ?? 'host';
  const trust = proxyTrust(config.trustProxy);
  const afterSignIn = safeReturnTo(options.afterSignIn, '/');
  const deps: AuthDeps = { config, oidc, sessions, writes, logger, paths, trust, afterSignIn };
  const renderError = errorRenderer(logger, paths);
  const refresh = tokenRefresh({ oidc, oidcConfig: config.oidc, sessions, writes, logger });

  let discovery: Promise<void> | undefined;
  const startDiscovery = (): Promise<void> => (discovery ??= oidc.start());
  const start = async (): Promise<void> => {
    void startDiscovery();
    await sessions.open();
  };

  const router = Router() as LazycatAuth;
  let stylesheet: string | undefined;
  router.get(paths.stylesheet, (_req, res) => {
    stylesheet ??= readFileSync(path.join(PUBLIC_DIR, 'app.css'), 'utf8');
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('css').send(stylesheet);
  });
  router.use((_req, _res, next) => {
    void startDiscovery();
    next();
  });
  // Before the session: the provider's POST carries no cookie and must not create a session.
  router.use(backchannelRoutes(deps));
  router.use(sessionMiddleware(config.session, sessions, writes, trust, (req) => req.path === paths.callback));
  router.use(sessionLifetime(config.session));
  router.use(refresh);
  router.use(requestContext({ loginPath: paths.login, pages, renderError }, writes, refresh));
  router.use(signInRoutes(deps));
  router.use(signOutRoutes(deps));
  router.use(errorBoundary(pages, renderError));

  router.start = start;
  router.providerReady = startDiscovery;
  router.readiness = async () => ({
    provider: oidc.isReady(),
    store: await sessions.ping().then(
      () => true,
      () => false,
    ),
  });
  router.provider = () => {
    if (!oidc.isReady()) return undefined;
    const { issuer, endSessionEndpoint } = oidc.provider();
    return { issuer, endSessionEndpoint };
  };
  router.errorPages = () => errorPages(logger, paths);
  router.close = async () => {
    oidc.stop();
    await sessions.close();
  };
  INTERNALS.set(router, { config, oidc, sessions, logger });
  return router;
}
