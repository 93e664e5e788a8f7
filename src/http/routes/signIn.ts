import { randomBytes } from 'node:crypto';
import { Router, type Request } from 'express';
import { startLogin, finishLogin } from '../../oidc/flow.ts';
import { tokenInfoOf } from '../../oidc/user.ts';
import { createPendingLogins } from '../../sessions/pendingLogins.ts';
import { safeReturnTo } from '../../security/returnTo.ts';
import { AppError } from '../../errors/AppError.ts';
import { loginRateLimit } from '../middleware/loginRateLimit.ts';
import { requestIdOf } from '../errorPages.ts';
import type { AuthDeps } from '../deps.ts';

const regenerate = (req: Request) => new Promise<void>((resolve, reject) => req.session.regenerate((e) => (e ? reject(e) : resolve())));
const saveSession = (req: Request) => new Promise<void>((resolve, reject) => req.session.save((e) => (e ? reject(e) : resolve())));

/** The raw query string exactly as received, so nothing (such as the RFC 9207 `iss`) is lost or re-encoded. */
function rawQuery(req: Request): string {
  const i = req.originalUrl.indexOf('?');
  return i === -1 ? '' : req.originalUrl.slice(i);
}

/** Sign-in: /login starts it, /callback finishes it; the protocol is oidc/flow's, the session is written here. */
export function signInRoutes({ config, oidc, sessions, writes, logger, paths, trust, afterSignIn }: AuthDeps): Router {
  const router = Router();
  const pending = createPendingLogins(sessions.kv, config.session.secureCookie);

  router.get(paths.login, loginRateLimit(config.loginRateLimit, trust), async (req, res) => {
    const returnTo = safeReturnTo(req.query.returnTo, afterSignIn, [paths.login, paths.callback, paths.logout]);
    if (req.session?.user) return res.redirect(303, returnTo);
    // The first request of a fresh process started discovery: let that one attempt finish before answering "unavailable".
    if (!oidc.isReady()) await oidc.firstAttempt();
    const provider = oidc.provider();
    await oidc.assertReachable();
    const { url, state, checks } = await startLogin(provider, config.oidc);
    await pending.save(req, res, state, { checks, returnTo });
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, url.href);
  });

  router.get(paths.callback, async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const query = rawQuery(req);
    const params = new URLSearchParams(query);
    const state = params.get('state');
    if (params.getAll('state').length > 1 || !pending.isWellFormedState(state)) {
      throw new AppError(params.has('code') || params.has('error') ? 'OIDC_STATE_MISMATCH' : 'OIDC_INVALID_CALLBACK');
    }
    const taken = await pending.take(req, res, state);
    if (!taken) {
      // Replayed or stale callback: harmless for a browser that is already signed in.
      const returnTo = await pending.doneReturnTo(state);
      if (req.session.user) return res.redirect(303, returnTo ?? afterSignIn);
      throw new AppError('OIDC_TXN_EXPIRED');
    }
    if (!taken.bound) throw new AppError('OIDC_STATE_MISMATCH', { message: 'callback not bound to this browser' });

    const callbackUrl = new URL(config.oidc.redirectUri);
    callbackUrl.search = query;
    const { user, tokens } = await finishLogin(oidc.provider(), config.oidc, callbackUrl, state, taken.pending);

    await regenerate(req); // a fresh id on sign-in: no session fixation
    const now = Date.now();
    Object.assign(req.session, { user, tokenInfo: tokenInfoOf(tokens), csrf: randomBytes(24).toString('base64url'), createdAt: now, lastSeen: now });
    await writes.saveTokens(req.sessionID, tokens);
    // Indexed before the cookie exists: a back-channel logout or "sign out everywhere" can always find the session.
    await sessions.indexSession(req.sessionID, { sub: user.sub, sid: user.sid }, config.session.absoluteTimeoutSec);
    await saveSession(req);
    await pending.markDone(state, taken.pending.returnTo);
    const reqId = requestIdOf(req);
    logger.info({ reqId, sub: user.sub, issuer: user.issuer }, 'signed in');
    if (config.session.secureCookie && !trust.isHttps(req)) {
      // express-session will not send a Secure cookie on what looks like plain http: the user would loop.
      logger.error(
        { reqId, trustProxy: config.trustProxy },
        'signed in, but the request is not https as far as the app can tell, so the Secure session cookie is not sent: make the proxy send X-Forwarded-Proto: https and allow it with TRUST_PROXY',
      );
    }
    res.redirect(303, taken.pending.returnTo);
  });

  return router;
}
