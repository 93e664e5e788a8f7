import { en, type MessageKey, type Messages } from './en.ts';
import { zhCN } from './zh-CN.ts';

export type Locale = 'en' | 'zh-CN';
export type Translate = (key: MessageKey, vars?: Record<string, string>) => string;

const CATALOGS: Record<Locale, Messages> = { en, 'zh-CN': zhCN };

/** Fills `{name}` placeholders; unknown ones stay as written. */
export function fill(template: string, vars?: Record<string, string>): string {
  return vars ? template.replace(/\{(\w+)\}/g, (m, name: string) => vars[name] ?? m) : template;
}

export function translator(locale: Locale): Translate {
  const catalog = CATALOGS[locale];
  return (key, vars) => fill(catalog[key] ?? en[key] ?? key, vars);
}

export { en, type MessageKey };
