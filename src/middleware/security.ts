import helmet from 'helmet';
import type { RequestHandler } from 'express';
import type { OidcClient } from '../oidc/client.ts';

/**
 * Strict CSP: no script at all, styles and images from us (avatars from any https host).
 * form-action must also allow the provider's end-session origin, because browsers apply it
 * to the redirect that follows the logout form's POST.
 */
export function securityHeaders(oidc: OidcClient, https: boolean): RequestHandler {
  const endSessionOrigin = (): string => {
    const endpoint = oidc.isReady() ? oidc.provider().endSessionEndpoint : undefined;
    return endpoint ? new URL(endpoint).origin : "'self'";
  };
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'https:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'", endSessionOrigin],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
    },
    strictTransportSecurity: https ? { maxAge: 15552000, includeSubDomains: false } : false,
    referrerPolicy: { policy: 'no-referrer' },
  });
}
