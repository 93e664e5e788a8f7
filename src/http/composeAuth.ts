import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import type { AppConfig } from '../config/types.ts';
import { loadAuthConfig } from '../config/options.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import { createOidcClient, type OidcClient } from '../oidc/client.ts';
import { createSessionBackend } from '../sessions/index.ts';
import { lazyBackend, type LazyBackend } from '../sessions/lazy.ts';
import { sessionWrites } from '../sessions/writes.ts';
import { tokenCipher } from '../sessions/tokenCipher.ts';
import type { SessionBackend } from '../sessions/types.ts';
import { safeReturnTo } from '../security/returnTo.ts';
import { requestContext } from './context.ts';
import type { AuthDeps } from './deps.ts';
import { errorBoundary, errorPages, errorRenderer } from './errorPages.ts';
import { sessionLifetime, sessionMiddleware } from './middleware/session.ts';
import { boxUserOf, followBoxUser } from './middleware/boxIdentity.ts';
import { tokenRefresh } from './middleware/tokenRefresh.ts';
import type { AuthPaths } from './paths.ts';
import type { LazycatAuth, LazycatAuthOptions } from './lazycatAuth.ts';
import { proxyTrust } from './proxyTrust.ts';
import { backchannelRoutes } from './routes/backchannel.ts';
import { signInRoutes } from './routes/signIn.ts';
import { signOutDespiteStore, signOutRoutes } from './routes/signOut.ts';

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
 * Builds one lazycatAuth() instance. `internal.sessions` lets tests share one open store between instances
 * (two app instances behind one Redis); it stays out of the public signature.
 */
export function composeAuth(options: LazycatAuthOptions, internal: { sessions?: SessionBackend } = {}): LazycatAuth {
  const config = options.config ?? loadAuthConfig(options, options.env);
  const logger = options.logger ?? createLogger(config.logLevel);
  const oidc = createOidcClient(config.oidc, logger);
  const shared = internal.sessions;
  // A store shared with other instances (tests) is opened and closed by its owner.
  const sessions: LazyBackend = shared
    ? { ...shared, open: async () => shared, close: async () => {} }
    : lazyBackend(config.session.store, () => createSessionBackend(config.session, logger));
  const writes = sessionWrites(sessions, config.session.absoluteTimeoutSec, tokenCipher(config.session.secrets));
  const paths = pathsOf(config, options.routes);
  const pages = options.pages ?? 'host';
  const trust = proxyTrust(config.trustProxy);
  const afterSignIn = safeReturnTo(options.afterSignIn, '/');
  const boxUser = boxUserOf(config.boxIdentity, trust);
  const deps: AuthDeps = { config, oidc, sessions, writes, logger, paths, trust, boxUserOf: boxUser, afterSignIn };
  const renderError = errorRenderer(logger, paths, config.session.cookieName);
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
  router.use(followBoxUser(boxUser, logger));
  router.use(refresh);
  // Whatever is rendered for a signed-in user is theirs alone: no shared cache may keep it, and after sign-out the
  // Back button must fetch it again rather than show it. Set before the host's handler runs, so the host can override.
  router.use((req, res, next) => {
    if (req.session?.user) res.setHeader('Cache-Control', 'no-store');
    next();
  });
  router.use(requestContext({ loginPath: paths.login, pages, renderError }, writes, refresh));
  router.use(signInRoutes(deps));
  router.use(signOutDespiteStore(deps));
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
  router.errorPages = () => errorPages(logger, paths, config.session.cookieName);
  router.close = async () => {
    oidc.stop();
    await sessions.close();
  };
  INTERNALS.set(router, { config, oidc, sessions, logger });
  return router;
}
