import { Router } from 'express';
import { requireAuth, requireGroup, wantsJson, AppError } from '../index.ts';
import { showTime } from './dates.ts';

const iso = (d: Date | undefined): string | undefined => d?.toISOString();

/** Home, profile and the admin example page: built on req.oidc and the guards like any host app. */
export function pageRoutes(options: { devUsers?: string | undefined }): Router {
  const router = Router();

  router.get('/', (req, res) => {
    res.render('home', { signedOutNotice: req.query.signed_out === '1' && !req.oidc.isAuthenticated(), devUsers: options.devUsers });
  });

  router.get('/profile', requireAuth(), (req, res) => {
    const info = req.oidc.session!;
    const session = {
      signedInAt: iso(info.signedInAt),
      expiresAt: iso(info.expiresAt),
      tokenExpiresAt: iso(info.tokenExpiresAt),
      refreshable: info.refreshable,
    };
    if (wantsJson(req)) return res.json({ user: req.oidc.user, claims: req.oidc.idTokenClaims, session });
    const now = Date.now();
    const shown = (d: Date | undefined) => d && showTime(d, now, req.locale);
    const times = { signedInAt: shown(info.signedInAt), expiresAt: shown(info.expiresAt), tokenExpiresAt: shown(info.tokenExpiresAt) };
    res.render('profile', { session, times, claims: req.oidc.idTokenClaims ?? {} });
  });

  router.get('/admin', requireGroup('ADMIN'), (req, res) => {
    if (wantsJson(req)) return res.json({ admin: true, sub: req.oidc.user!.sub });
    res.render('admin');
  });

  router.use((_req, _res, next) => next(new AppError('NOT_FOUND')));
  return router;
}
