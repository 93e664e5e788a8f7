import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Logger } from '../index.ts';
import { translator, type Locale, type Translate } from './messages.ts';

const SAFE_ID = /^[\w.-]{1,64}$/;
const TRANSLATORS: Record<Locale, Translate> = { en: translator('en'), 'zh-CN': translator('zh-CN') };

// Browsers send a handful of distinct Accept-Language values, and negotiating each request anew was a visible
// part of a page's time: answers are remembered per header value, a bounded number of short ones.
const LOCALES = new Map<string, Locale>();
const MAX_LOCALES = 256;
const MAX_HEADER = 200;

function localeOf(req: Request): Locale {
  const header = req.headers['accept-language'] ?? '';
  const known = LOCALES.get(header);
  if (known) return known;
  const locale = req.acceptsLanguages('en', 'zh') === 'zh' ? 'zh-CN' : 'en';
  if (header.length <= MAX_HEADER) {
    if (LOCALES.size >= MAX_LOCALES) LOCALES.clear();
    LOCALES.set(header, locale);
  }
  return locale;
}

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
    req.locale = localeOf(req);
    req.t = TRANSLATORS[req.locale];
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
