import { en, type MessageKey, type Messages } from './en.ts';
import { zhCN } from './zh-CN.ts';

export type Locale = 'en' | 'zh-CN';
export type Translate = (key: MessageKey, vars?: Record<string, string>) => string;

const CATALOGS: Record<Locale, Messages> = { en, 'zh-CN': zhCN };

/** Picks zh-CN or en from Accept-Language by q-value; any Chinese tag gets zh-CN. Default: en. */
export function negotiateLocale(acceptLanguage: string | undefined): Locale {
  if (!acceptLanguage) return 'en';
  const ranked = acceptLanguage
    .split(',')
    .slice(0, 20)
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return { tag: tag.toLowerCase(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((r) => r.tag && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranked) {
    if (tag === 'zh' || tag.startsWith('zh-')) return 'zh-CN';
    if (tag === 'en' || tag.startsWith('en-')) return 'en';
  }
  return 'en';
}

/** Fills `{name}` placeholders; unknown ones stay as written. */
export function fill(template: string, vars?: Record<string, string>): string {
  return vars ? template.replace(/\{(\w+)\}/g, (m, name: string) => vars[name] ?? m) : template;
}

export function translator(locale: Locale): Translate {
  const catalog = CATALOGS[locale];
  return (key, vars) => fill(catalog[key] ?? en[key] ?? key, vars);
}

export { en, type MessageKey };
