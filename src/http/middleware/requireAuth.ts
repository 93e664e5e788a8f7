import type { Request, RequestHandler } from 'express';
import { AppError } from '../../errors/AppError.ts';
import { wantsJson } from '../clientKind.ts';
import { isSafeReturnTo } from '../../security/returnTo.ts';

export function isSignedIn(req: Request): boolean {
  return Boolean(req.session?.user);
}

/** Browser navigations go to sign-in and come back; API/XHR callers get 401 JSON. */
export function requireAuth(): RequestHandler {
  return (req, res, next) => {
    if (isSignedIn(req)) return next();
    if (wantsJson(req) || req.method !== 'GET') return next(new AppError('AUTH_REQUIRED'));
    // Only a returnTo that /login would accept (it drops unsafe ones and any over 2048 characters): a long
    // URL, percent-encoded again, would otherwise make a Location header no client or proxy reads.
    res.redirect(302, isSafeReturnTo(req.originalUrl) ? `/login?returnTo=${encodeURIComponent(req.originalUrl)}` : '/login');
  };
}

/** Signed in and a member of `group` (Lazycat marks administrators with ADMIN); otherwise sign in, or 403. */
export function requireGroup(group: string): RequestHandler {
  const auth = requireAuth();
  return (req, res, next) => {
    auth(req, res, (err?: unknown) => {
      if (err) return next(err);
      if (!req.session.user?.groups.includes(group)) return next(new AppError('FORBIDDEN', { details: { group } }));
      next();
    });
  };
}
