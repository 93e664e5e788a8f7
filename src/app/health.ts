import { Router } from 'express';
import type { OidcClient } from '../oidc/client.ts';
import type { SessionBackend } from '../sessions/types.ts';

/** Liveness and readiness, before the session middleware so they never touch a cookie. */
export function healthRoutes(oidc: OidcClient, sessions: SessionBackend): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const provider = oidc.isReady();
    const store = await sessions.ping().then(
      () => true,
      () => false,
    );
    res.setHeader('Cache-Control', 'no-store');
    res.status(provider && store ? 200 : 503).json({ status: provider && store ? 'ready' : 'not_ready', checks: { provider, store } });
  });
  return router;
}
