import type { Request } from 'express';

// Browsers and API clients send a handful of distinct Accept values, and negotiating one (the accepts package
// parses and ranks every media range) cost a signed-in page several microseconds per call: answers are
// remembered per value, a bounded number of short ones.
const PREFERS_JSON = new Map<string, boolean>();
const MAX_REMEMBERED = 256;
const MAX_HEADER = 256;

function prefersJson(req: Request): boolean {
  const accept = req.headers.accept ?? '';
  const known = PREFERS_JSON.get(accept);
  if (known !== undefined) return known;
  const answer = req.accepts(['html', 'json']) === 'json';
  if (accept.length <= MAX_HEADER) {
    if (PREFERS_JSON.size >= MAX_REMEMBERED) PREFERS_JSON.clear();
    PREFERS_JSON.set(accept, answer);
  }
  return answer;
}

/**
 * True for API/XHR/fetch callers, who get JSON and 401s instead of pages and redirects.
 * Non-navigation fetches (assets, XHR) must never start a sign-in: that is how parallel
 * requests overwrite each other's pending logins in other RPs.
 */
export function wantsJson(req: Request): boolean {
  if (req.get('x-requested-with')?.toLowerCase() === 'xmlhttprequest') return true;
  const mode = req.get('sec-fetch-mode');
  if (mode && mode !== 'navigate') return true;
  return prefersJson(req);
}
