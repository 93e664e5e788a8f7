import type { Response } from 'express';

const REASONS = { 302: 'Found', 303: 'See Other' } as const;
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * res.redirect() as Express answers a browser, without its content negotiation. The library redirects browsers
 * only (API clients get JSON), and res.redirect's res.format() step (parsing Accept, looking up the media type,
 * Vary) was most of a redirect's cost: a sign-in is two of them. Same Location, status and HTML note.
 */
export function redirect(res: Response, status: keyof typeof REASONS, url: string): void {
  const address = res.location(url).get('Location')!;
  const reason = REASONS[status];
  const body = `<!DOCTYPE html><head><title>${reason}</title></head><body><p>${reason}. Redirecting to ${address.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!)}</p></body>`;
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
