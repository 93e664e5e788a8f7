import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import type { LazycatAuth, Logger } from '../index.ts';
import { requestLog } from './requestLog.ts';
import { securityHeaders } from './securityHeaders.ts';
import { healthRoutes } from './health.ts';
import { pageRoutes } from './pages.ts';
import { viewEngine } from './views.ts';

export interface AppDeps {
  /** The sign-in router, built with lazycatAuth({ pages: 'builtin', ... }). */
  auth: LazycatAuth;
  logger: Logger;
  /** TRUST_PROXY, for this app's own req.ip and req.secure (the sign-in router reads it itself). */
  trustProxy: boolean | number | string;
  /** True when served over https (HSTS). */
  https: boolean;
  /** Shown on the home page during the zero-config dev run, e.g. "alice / alice-password". */
  devUsers?: string;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The reference app: an ordinary Express app that adds sign-in through the public API, exactly as a
 * Lazycat app author would. Synchronous and side-effect free: no env, no network, no listen.
 */
export function createApp(deps: AppDeps): Express {
  const { auth, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy);
  app.set('views', path.join(ROOT, 'views'));
  app.engine('ejs', viewEngine());
  app.set('view engine', 'ejs');
  app.set('query parser', 'simple');
  // No ETag on pages and API answers: signed-in ones are no-store (the library marks them), so nothing revalidates
  // them, and the signed-out pages are a kilobyte. Hashing every body for one was wasted work; the static files
  // keep theirs (express.static, and the library's stylesheet, set their own).
  app.set('etag', false);

  app.use(requestLog(logger));
  app.use(securityHeaders(auth, deps.https));
  app.use('/static', express.static(path.join(ROOT, 'public'), { maxAge: '1h', index: false }));
  app.use(healthRoutes(auth));
  app.use(auth);
  app.use((req, res, next) => {
    res.locals.user = req.oidc.user;
    next();
  });
  app.use(pageRoutes({ devUsers: deps.devUsers }));
  app.use(auth.errorPages());
  return app;
}
