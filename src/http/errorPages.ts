import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, Request, Response } from 'express';
import type { Logger } from '../log/logger.ts';
import { AppError } from '../errors/AppError.ts';
import { ERROR_CODES } from '../errors/codes.ts';
import { parseCookies } from '../security/cookies.ts';
import { wantsJson } from './clientKind.ts';
import { languageOf, renderPage } from './render.ts';
import type { MessageKey } from '../i18n/index.ts';
import type { AuthPaths } from './paths.ts';

const SAFE_ID = /^[\w.-]{1,64}$/;

/** The request id for logs and error pages: the host's (pino-http, our reference app) when it set one, else a fresh one. */
export function requestIdOf(req: Request): string {
  const r = req as Request & { id?: unknown };
  if (typeof r.id === 'string' && SAFE_ID.test(r.id)) return r.id;
  const incoming = req.get('x-request-id');
  const id = incoming && SAFE_ID.test(incoming) ? incoming : randomUUID();
  r.id = id;
  return id;
}

/** What reaches a host's error handler from the HTTP edge: always an AppError with a code and a status. */
function fromHttpError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  // body-parser and friends mark client mistakes with a 4xx status.
  const status = (err as { status?: unknown } | undefined)?.status;
  if (status === 413) return new AppError('PAYLOAD_TOO_LARGE', { cause: err });
  if (typeof status === 'number' && status >= 400 && status < 500) return new AppError('BAD_REQUEST', { cause: err });
  return new AppError('INTERNAL', { cause: err });
}

/**
 * Logs the cause, then answers with a stable code as a zh-CN/en page or JSON: never a stack or a provider's text.
 * `sessionCookie` names the cookie whose presence means the browser holds a session.
 */
export function errorRenderer(logger: Logger, paths: AuthPaths, sessionCookie: string) {
  return (err: unknown, req: Request, res: Response): void => {
    const e = fromHttpError(err);
    const requestId = requestIdOf(req);
    const log = { reqId: requestId, code: e.code, status: e.status, details: e.details, err: e.cause ?? e };
    if (e.status >= 500) logger.error(log, 'request failed');
    else if (e.code !== 'NOT_FOUND' && e.code !== 'AUTH_REQUIRED') logger.warn(log, 'request rejected');
    if (res.headersSent) {
      req.socket.destroy();
      return;
    }
    res.status(e.status).setHeader('Cache-Control', 'no-store');
    if (e.status === 503) res.setHeader('Retry-After', '5');
    const lang = languageOf(req);
    const message = lang.t(`error.${e.code}` as MessageKey);
    if (wantsJson(req)) {
      res.json({ error: { code: e.code, message, requestId } });
      return;
    }
    // While the store cannot load a session, neither can the sign-out page (it needs the session's CSRF token):
    // offer sign-out here, which still clears the cookie (signOutDespiteStore).
    const signOut = e.code === 'SESSION_STORE_UNAVAILABLE' && parseCookies(req.get('cookie')).has(sessionCookie);
    const data = { code: e.code, message, requestId, signInAgain: ERROR_CODES[e.code].signInAgain, signOut };
    renderPage(req, res, 'error', data, { paths, logger, lang, fallback: `${e.code} (${requestId})` });
  };
}

/**
 * Where the library's errors go, decided once: with `pages: 'builtin'` its pages answer them here (and a host
 * that wants them for its own routes too mounts the same handler last: auth.errorPages()); otherwise the host's
 * error handler gets the AppError.
 */
export function errorBoundary(pages: 'builtin' | 'host', render: ReturnType<typeof errorRenderer>): ErrorRequestHandler {
  if (pages === 'builtin') return (err, req, res, _next) => render(err, req, res);
  return (err, _req, _res, next) => next(fromHttpError(err));
}
