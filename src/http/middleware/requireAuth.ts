import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AppError } from '../../errors/AppError.ts';
import { wantsJson } from '../clientKind.ts';
import { isSafeReturnTo } from '../../security/returnTo.ts';
import { instanceOf } from '../context.ts';
import { redirect } from '../redirect.ts';

/** Through the instance's error boundary: its built-in page, or the host's error handler gets the AppError. */
function refuse(err: AppError, req: Request, res: Response, next: NextFunction): void {
  instanceOf(req)!.refuse(err, req, res, next);
}

function mounted(req: Request, next: NextFunction): boolean {
  if (instanceOf(req)) return true;
  next(new Error('requireAuth()/requireGroup() need app.use(lazycatAuth()) before them'));
  return false;
}

/** Signed in, or: browser navigations go to sign-in and come back; API/XHR callers get 401 JSON. */
export function requireAuth(): RequestHandler {
  return (req, res, next) => {
    if (!mounted(req, next)) return;
    if (req.oidc.isAuthenticated()) return next();
    if (wantsJson(req) || req.method !== 'GET') return refuse(new AppError('AUTH_REQUIRED'), req, res, next);
    const login = instanceOf(req)!.loginPath;
    // Only a returnTo that /login would accept (it drops unsafe ones and any over 2048 characters): a long
    // URL, percent-encoded again, would otherwise make a Location header no client or proxy reads.
    redirect(res, 302, isSafeReturnTo(req.originalUrl) ? `${login}?returnTo=${encodeURIComponent(req.originalUrl)}` : login);
  };
}

/** Signed in and a member of `group` (Lazycat marks administrators with ADMIN); otherwise sign in, or 403. */
export function requireGroup(group: string): RequestHandler {
  const auth = requireAuth();
  return (req, res, next) => {
    auth(req, res, (err?: unknown) => {
      if (err) return next(err);
      if (!req.oidc.user?.groups.includes(group)) return refuse(new AppError('FORBIDDEN', { details: { group } }), req, res, next);
      next();
    });
  };
}
