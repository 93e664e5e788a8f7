import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
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
import { requestContext, signedOutContext } from './context.ts';
import type { AuthDeps } from './deps.ts';
import { errorBoundary, errorRenderer } from './errorPages.ts';
import { carriesSessionCookie, sessionLifetime, sessionMiddleware } from './middleware/session.ts';
import { boxUserOf, followBoxUser } from './middleware/boxIdentity.ts';
import { tokenRefresh } from './middleware/tokenRefresh.ts';
import { signInFlowPaths, type AuthPaths } from './paths.ts';
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

/** A path as Express matches a route: case-insensitive, with or without one trailing slash. */
const routeKey = (p: string): string => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p).toLowerCase();

/**
 * Runs middleware in order like a Router without paths would: an error (thrown, passed to next, or a rejected
 * promise, as Express 5 handles them) skips to `onError`, and the end of the list continues with `done`.
 */
function chain(handlers: RequestHandler[], onError: ErrorRequestHandler): RequestHandler {
  return (req, res, done) => {
    let i = 0;
    const step = (err?: unknown): void => {
      if (err) return void onError(err, req, res, done);
      const handler = handlers[i++];
      if (!handler) return done();
      try {
        const result: unknown = handler(req, res, step);
        if (result instanceof Promise) result.catch(step);
      } catch (thrown) {
        step(thrown);
      }
    };
    step();
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
  const afterSignIn = safeReturnTo(options.afterSignIn, '/', signInFlowPaths(paths));
  const boxUser = boxUserOf(config.boxIdentity, trust);
  const deps: AuthDeps = { config, oidc, sessions, writes, logger, paths, trust, boxUserOf: boxUser, afterSignIn };
  const renderError = errorRenderer(logger, paths, config.session.cookieName);
  const boundary = errorBoundary(pages, renderError);
  const refresh = tokenRefresh({ oidc, oidcConfig: config.oidc, sessions, writes, logger });

  let discovery: Promise<void> | undefined;
  const startDiscovery = (): Promise<void> => (discovery ??= oidc.start());
  const start = async (): Promise<void> => {
    void startDiscovery();
    await sessions.open();
  };

  const router = Router() as LazycatAuth;
  let stylesheet: { css: Buffer; etag: string } | undefined;
  router.get(paths.stylesheet, (_req, res) => {
    if (!stylesheet) {
      const css = readFileSync(path.join(PUBLIC_DIR, 'app.css'));
      // Weak, as Express's own: a compressing proxy may serve other bytes under it.
      stylesheet = { css, etag: `W/"${createHash('sha256').update(css).digest('base64url').slice(0, 27)}"` };
    }
    res.setHeader('Cache-Control', 'public, max-age=3600');
    // Its own validator whatever the host's 'etag' setting: after the hour a browser revalidates (304) instead of
    // downloading it again.
    res.setHeader('ETag', stylesheet.etag);
    res.type('css').send(stylesheet.css);
  });
  const callbackKey = routeKey(paths.callback);
  const settings = { loginPath: paths.login, refuse: boundary };
  const perRequest = [
    sessionMiddleware(config.session, sessions, writes, trust, (req) => routeKey(req.path) === callbackKey),
    sessionLifetime(config.session),
    // Off the box there is no box user to follow: no step for it in every signed-in request.
    ...(config.boxIdentity ? [followBoxUser(boxUser, logger)] : []),
    refresh.middleware,
    // Whatever is rendered for a signed-in user is theirs alone: no shared cache may keep it, and after sign-out the
    // Back button must fetch it again rather than show it. Set before the host's handler runs, so the host can override.
    (req, res, next) => {
      if (req.session?.user) res.setHeader('Cache-Control', 'no-store');
      next();
    },
    requestContext(settings, writes, refresh.ensureFresh),
  ] satisfies RequestHandler[];
  // Before the session: the provider's POST carries no cookie and must not create a session.
  router.use(backchannelRoutes(deps));
  router.use(...perRequest);
  router.use(signInRoutes(deps));
  router.use(signOutDespiteStore(deps));
  router.use(signOutRoutes(deps));
  router.use(boundary);

  // Every request of the host app passes through here, and only the library's own paths need its routes:
  // any other request with our cookie gets the session, lifetime and refresh checks and req.oidc straight away,
  // and one without it a signed-out req.oidc alone. Walking the routes' layers was most of what the library cost
  // an anonymous request to a public route.
  const ownPaths = new Set(Object.values(paths).map(routeKey));
  // Router(req, res, next) calls its own handle(), which Express's types leave out.
  const handled = router as unknown as { handle(req: Request, res: Response, out: NextFunction): void };
  const routes = handled.handle.bind(router);
  const direct = chain(perRequest, boundary);
  const hasSessionCookie = carriesSessionCookie(config.session);
  const signedOut = signedOutContext(settings);
  handled.handle = (req, res, out) => {
    void startDiscovery();
    if (ownPaths.has(routeKey(req.path))) return routes(req, res, out);
    // Without our cookie there is no session of ours (only the callback, one of our own paths, starts one): nothing
    // for the lifetime, box-user, refresh and no-store steps to look at, and req.oidc is signed out.
    if (!hasSessionCookie(req)) return signedOut(req, res, out);
    direct(req, res, out);
  };

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
  router.errorPages = () => errorBoundary('builtin', renderError);
  router.close = async () => {
    oidc.stop();
    await sessions.close();
  };
  INTERNALS.set(router, { config, oidc, sessions, logger });
  return router;
}
