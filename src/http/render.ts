import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';
import type { Request, Response } from 'express';
import type { Logger } from '../log/logger.ts';
import { translator, type Locale, type Translate } from '../i18n/index.ts';
import type { AuthPaths } from './paths.ts';

// The package's own templates, whatever view engine and views folder the host app uses (src/http and dist/http alike).
const VIEWS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'views', 'lzc-oidc');

export interface Language {
  locale: Locale;
  t: Translate;
}

const LANGUAGES: Record<Locale, Language> = {
  en: { locale: 'en', t: translator('en') },
  'zh-CN': { locale: 'zh-CN', t: translator('zh-CN') },
};

/** zh-CN or en for this request, by Accept-Language and its q-values; any Chinese tag reads as zh-CN. */
export function languageOf(req: Request): Language {
  return LANGUAGES[req.acceptsLanguages('en', 'zh') === 'zh' ? 'zh-CN' : 'en'];
}

/** Renders one of the built-in pages (error, sign-out confirmation); a template failure still answers, in plain text. */
export function renderPage(
  req: Request,
  res: Response,
  view: 'error' | 'logout',
  data: Record<string, unknown>,
  ctx: { paths: AuthPaths; logger: Logger; lang: Language; fallback: string },
): void {
  const user = req.session?.user;
  const locals = { ...data, locale: ctx.lang.locale, t: ctx.lang.t, paths: ctx.paths, user };
  ejs.renderFile(path.join(VIEWS, `${view}.ejs`), locals, { cache: true }, (err, html) => {
    if (err) {
      ctx.logger.error({ err }, 'built-in page failed to render');
      res.type('text/plain').send(ctx.fallback);
      return;
    }
    res.setHeader('Content-Language', ctx.lang.locale);
    // The sign-out page has buttons worth clickjacking; a host that sets no framing policy of its own still gets one.
    if (!res.getHeader('X-Frame-Options')) res.setHeader('X-Frame-Options', 'SAMEORIGIN');
    res.vary('Accept-Language');
    res.type('html').send(html);
  });
}
