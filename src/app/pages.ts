import { Router } from 'express';
import { requireAuth, requireGroup } from '../http/middleware/requireAuth.ts';
import { wantsJson } from '../http/clientKind.ts';

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

/** Home, profile and the admin example page. */
export function pageRoutes(options: { devUsers?: string | undefined }): Router {
  const router = Router();

  router.get('/', (req, res) => {
    res.render('home', { signedOutNotice: req.query.signed_out === '1' && !req.session.user, devUsers: options.devUsers });
  });

  router.get('/profile', requireAuth(), (req, res) => {
    const s = req.session;
    const user = s.user!;
    const session = {
      signedInAt: iso(user.signedInAt),
      expiresAt: iso(s.cookie.expires ? s.cookie.expires.getTime() : undefined),
      tokenExpiresAt: iso(s.tokenInfo?.expiresAt),
      refreshable: Boolean(s.tokenInfo?.refreshable),
    };
    res.setHeader('Cache-Control', 'no-store');
    if (wantsJson(req)) return res.json({ user, session });
    res.render('profile', { session });
  });

  router.get('/admin', requireGroup('ADMIN'), (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    if (wantsJson(req)) return res.json({ admin: true, sub: req.session.user!.sub });
    res.render('admin');
  });

  return router;
}
