import type { Request, RequestHandler } from 'express';
import type { Logger } from '../../log/logger.ts';
import type { ProxyTrust } from '../proxyTrust.ts';
import { requestIdOf } from '../errorPages.ts';

/** Which box user is at the browser, as lzc-ingress says: undefined off the box, or when the header is absent. */
export type BoxUserOf = (req: Request) => string | undefined;

/**
 * lzc-ingress authenticates every non-public request itself and sets X-HC-User-ID, replacing whatever the client
 * sent. Only the ingress may say it: the app must run on Lazycat, and the request must come straight from the
 * trusted proxy; anywhere else a client could send any value.
 */
export function boxUserOf(enabled: boolean, trust: ProxyTrust): BoxUserOf {
  if (!enabled) return () => undefined;
  return (req) => (trust.viaTrustedProxy(req) ? req.get('x-hc-user-id') || undefined : undefined);
}

/**
 * Ends the app session when the box user at the browser is no longer the one who signed in (someone else logged in
 * to the box in this browser): their session must not show the previous user's name, groups and admin pages.
 * Box user is compared with box user, never with a claim: how the provider's claims map to box ids is not
 * documented. A session that recorded no box user but now sees one ends too: nothing ties it to this one.
 */
export function followBoxUser(userOf: BoxUserOf, logger: Logger): RequestHandler {
  return (req, _res, next) => {
    const s = req.session;
    if (!s?.user) return next();
    const boxUser = userOf(req);
    if (boxUser === undefined || boxUser === s.boxUser) return next();
    logger.info({ reqId: requestIdOf(req) }, 'the box user changed: app session ended');
    // regenerate, not destroy, as for an expired session: later handlers see a signed-out req.session.
    s.regenerate((err) => next(err));
  };
}
