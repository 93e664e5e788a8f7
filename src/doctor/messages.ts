// The doctor's catalogues by locale (as src/i18n/index.ts does for the pages).
import { fill, type Locale } from '../i18n/index.ts';
import { en, type DoctorKey, type Messages } from './messages.en.ts';
import { zhCN } from './messages.zh-CN.ts';

const CATALOGS: Record<Locale, Messages> = { en, 'zh-CN': zhCN };

/** DOCTOR_LANG, else the POSIX locale variables in their order of precedence; "zh_CN.UTF-8" → zh-CN. */
export function cliLocale(env: Record<string, string | undefined>): Locale {
  const tag = [env.DOCTOR_LANG, env.LC_ALL, env.LC_MESSAGES, env.LANG].find((v) => v?.trim());
  return /^zh(?:[-_]|$)/i.test(tag?.trim() ?? '') ? 'zh-CN' : 'en';
}

export function text(locale: Locale, key: DoctorKey, vars?: Record<string, string>): string {
  return fill(CATALOGS[locale][key], vars);
}
