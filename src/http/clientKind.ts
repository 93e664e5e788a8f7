import type { Request } from 'express';

/**
 * True for API/XHR/fetch callers, who get JSON and 401s instead of pages and redirects.
 * Non-navigation fetches (assets, XHR) must never start a sign-in: that is how parallel
 * requests overwrite each other's pending logins in other RPs.
 */
export function wantsJson(req: Request): boolean {
  if (req.get('x-requested-with')?.toLowerCase() === 'xmlhttprequest') return true;
  const mode = req.get('sec-fetch-mode');
  if (mode && mode !== 'navigate') return true;
  return req.accepts(['html', 'json']) === 'json';
}
