import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../log/logger.ts';
import { AppError } from '../errors/AppError.ts';
import { wantsJson } from './clientKind.ts';
import type { MessageKey } from '../i18n/index.ts';

const SIGN_IN_AGAIN = new Set(['OIDC_ACCESS_DENIED', 'OIDC_LOGIN_FAILED', 'OIDC_STATE_MISMATCH', 'OIDC_TXN_EXPIRED', 'OIDC_TOKEN_REJECTED', 'OIDC_INVALID_CALLBACK', 'OIDC_PROVIDER_ERROR', 'AUTH_REQUIRED', 'OIDC_PROVIDER_UNAVAILABLE']);

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  // body-parser and friends mark client mistakes with a 4xx status.
  const status = (err as { status?: unknown }).status;
  if (status === 413) return new AppError('PAYLOAD_TOO_LARGE', { cause: err });
  if (typeof status === 'number' && status >= 400 && status < 500) return new AppError('BAD_REQUEST', { cause: err });
  return new AppError('INTERNAL', { cause: err });
}

export const notFound: RequestHandler = (_req, _res, next) => next(new AppError('NOT_FOUND'));

/** The one error handler: logs the cause, answers with a stable code as a page or JSON, never a stack or provider text. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const e = toAppError(err);
    const log = { reqId: req.id, code: e.code, status: e.status, details: e.details, err: e.cause ?? e };
    if (e.status >= 500) logger.error(log, 'request failed');
    else if (e.code !== 'NOT_FOUND' && e.code !== 'AUTH_REQUIRED') logger.warn(log, 'request rejected');
    if (res.headersSent) return req.socket.destroy();
    const message = req.t(`error.${e.code}` as MessageKey);
    res.status(e.status).setHeader('Cache-Control', 'no-store');
    if (e.status === 503) res.setHeader('Retry-After', '5');
    if (wantsJson(req)) return res.json({ error: { code: e.code, message, requestId: req.id } });
    res.render('error', { code: e.code, message, requestId: req.id, signInAgain: SIGN_IN_AGAIN.has(e.code) }, (renderErr, html) => {
      if (renderErr) {
        logger.error({ reqId: req.id, err: renderErr }, 'error page failed to render');
        return res.type('text/plain').send(`${e.code} (${req.id})`);
      }
      res.send(html);
    });
  };
}
