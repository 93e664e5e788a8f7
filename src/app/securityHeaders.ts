import helmet from 'helmet';
import type { RequestHandler } from 'express';
import type { LazycatAuth } from '../index.ts';

/**
 * The policy as one header value. form-action must also allow the provider's end-session origin, because
 * browsers apply it to the redirect that follows the logout form's POST. Providers serve the `picture` avatar
 * themselves (the embedded dev provider, Casdoor), and in a dev or test run that origin is plain http, which
 * `https:` does not cover, so the issuer's origin is allowed for images.
 */
function policy(endSession: string, issuer: string): string {
  return [
    "default-src 'none'",
    "script-src 'none'",
    "style-src 'self'",
    `img-src 'self' data: https: ${issuer}`,
    "font-src 'self'",
    "connect-src 'self'",
    `form-action 'self' ${endSession}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join(';');
}

/**
 * Strict CSP (no script at all, styles and images from us, avatars from any https host) and helmet's other
 * hardening headers. The CSP is a plain string built once the provider is known, not per response: helmet
 * re-evaluates and re-joins a policy with function-valued directives on every response.
 */
export function securityHeaders(auth: LazycatAuth, https: boolean): RequestHandler {
  const beforeDiscovery = policy("'self'", "'self'");
  let known: string | undefined;
  const csp = (): string => {
    if (known) return known;
    const provider = auth.provider();
    if (!provider) return beforeDiscovery;
    known = policy(provider.endSessionEndpoint ? new URL(provider.endSessionEndpoint).origin : "'self'", new URL(provider.issuer).origin);
    return known;
  };
  const others = helmet({
    contentSecurityPolicy: false,
    strictTransportSecurity: https ? { maxAge: 15552000, includeSubDomains: false } : false,
    referrerPolicy: { policy: 'no-referrer' },
  });
  return (req, res, next) => {
    res.setHeader('Content-Security-Policy', csp());
    others(req, res, next);
  };
}
