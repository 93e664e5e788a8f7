import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import type { AppConfig } from '../config/types.ts';
import type { OidcClient } from '../oidc/client.ts';
import type { SessionBackend } from '../sessions/types.ts';
import type { Logger } from '../log/logger.ts';
import { requestContext } from './requestLog.ts';
import { securityHeaders } from './securityHeaders.ts';
import { sessionMiddleware, sessionLifetime } from '../http/middleware/session.ts';
import { healthRoutes } from './health.ts';
import { authRoutes } from '../http/routes/signIn.ts';
import { backchannelRoutes } from '../http/routes/backchannel.ts';
import { tokenRefresh } from '../http/middleware/tokenRefresh.ts';
import { pageRoutes } from './pages.ts';
import { errorHandler, notFound } from '../http/errorPages.ts';
import { sessionWrites } from '../sessions/storeOps.ts';

export interface AppDeps {
  config: AppConfig;
  oidc: OidcClient;
  sessions: SessionBackend;
  logger: Logger;
  /** Shown on the home page during the zero-config dev run, e.g. "alice / alice-password". */
  devUsers?: string;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Builds the Express app. Synchronous and side-effect free: no env, no network, no listen. */
export function createApp(deps: AppDeps): Express {
  const { config, oidc, sessions, logger } = deps;
  const writes = sessionWrites(sessions, config.session.absoluteTimeoutSec);
  const app = express();
  app.disable('x-powered-by');
  // Deliberate: Lazycat's ingress terminates TLS and sends X-Forwarded-Proto; only trusted hops may set it.
  app.set('trust proxy', config.trustProxy);
  app.set('views', path.join(ROOT, 'views'));
  app.set('view engine', 'ejs');
  app.set('query parser', 'simple');

  app.use(requestContext(logger));
  app.use(securityHeaders(oidc, config.session.secureCookie));
  app.use('/static', express.static(path.join(ROOT, 'public'), { maxAge: '1h', index: false }));
  app.use(healthRoutes(oidc, sessions));
  app.use(backchannelRoutes({ oidcConfig: config.oidc, oidc, sessions, writes, logger }));
  app.use(sessionMiddleware(config.session, sessions, writes));
  app.use(sessionLifetime(config.session));
  app.use(tokenRefresh({ oidc, oidcConfig: config.oidc, sessions, writes, logger }));
  app.use(authRoutes({ config, oidc, sessions, writes, logger }));
  app.use(pageRoutes({ devUsers: deps.devUsers }));
  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
