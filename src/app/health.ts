import { Router } from 'express';
import type { LazycatAuth } from '../index.ts';

/** Liveness and readiness, before the sign-in router so they never touch a cookie. */
export function healthRoutes(auth: LazycatAuth): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks = await auth.readiness();
    const ready = checks.provider && checks.store;
    res.setHeader('Cache-Control', 'no-store');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks });
  });
  return router;
}
