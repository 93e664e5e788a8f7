import helmet from 'helmet';
import type { RequestHandler } from 'express';
import type { LazycatAuth } from '../index.ts';

/**
 * Strict CSP: no script at all, styles and images from us (avatars from any https host).
 * form-action must also allow the provider's end-session origin, because browsers apply it
 * to the redirect that follows the logout form's POST.
 */
export function securityHeaders(auth: LazycatAuth, https: boolean): RequestHandler {
  // Worked out once, when the provider is first known: this runs on every response.
  let origins: { endSession: string; issuer: string } | undefined;
  const providerOrigins = (): { endSession: string; issuer: string } => {
    if (origins) return origins;
    const provider = auth.provider();
    if (!provider) return { endSession: "'self'", issuer: "'self'" };
    origins = {
      endSession: provider.endSessionEndpoint ? new URL(provider.endSessionEndpoint).origin : "'self'",
      issuer: new URL(provider.issuer).origin,
    };
    return origins;
  };
  const endSessionOrigin = (): string => providerOrigins().endSession;
  // Providers serve the `picture` avatar themselves (the embedded dev provider, Casdoor), and in a dev or
  // test run that origin is plain http, which `https:` does not cover: the avatar was blocked.
  const issuerOrigin = (): string => providerOrigins().issuer;
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'https:', issuerOrigin],
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
