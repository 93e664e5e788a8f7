import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../index.ts';
import { translator, type Locale, type Translate } from './messages.ts';

const SAFE_ID = /^[\w.-]{1,64}$/;

declare global {
  namespace Express {
    interface Request {
      id: string;
      locale: Locale;
      t: Translate;
    }
  }
}

/** Request id, locale and translator for every request, and one log line per response (path only: queries carry codes). */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    req.id = incoming && SAFE_ID.test(incoming) ? incoming : randomUUID();
    req.locale = req.acceptsLanguages('en', 'zh') === 'zh' ? 'zh-CN' : 'en';
    req.t = translator(req.locale);
    res.setHeader('X-Request-Id', req.id);
    res.setHeader('Content-Language', req.locale);
    res.vary('Accept-Language');
    res.locals.t = req.t;
    res.locals.locale = req.locale;
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      logger.info(
        { reqId: req.id, method: req.method, path: req.path, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 },
        'request',
      );
    });
    next();
  };
}
