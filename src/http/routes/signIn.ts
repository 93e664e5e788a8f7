import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { Router, type Request } from 'express';
import { startLogin, finishLogin } from '../../oidc/flow.ts';
import { tokenInfoOf } from '../../sessions/record.ts';
import { createPendingLogins } from '../../sessions/pendingLogins.ts';
import { safeReturnTo } from '../../security/returnTo.ts';
import { AppError } from '../../errors/AppError.ts';
import { isLoopbackHost } from '../../config/load.ts';
import { requestIdOf } from '../errorPages.ts';
import type { AuthDeps } from '../deps.ts';
import { signInFlowPaths } from '../paths.ts';
import { sessionStep } from '../middleware/session.ts';
import { redirect } from '../redirect.ts';

/** The raw query string exactly as received, so nothing (such as the RFC 9207 `iss`) is lost or re-encoded. */
function rawQuery(req: Request): string {
  const i = req.originalUrl.indexOf('?');
  return i === -1 ? '' : req.originalUrl.slice(i);
}

/**
 * True when the browser asked for another name of the app than the redirect URI's host (a prefix or secondary
 * domain). Not when it names the backend's own address while the app has a name: that is a proxy rewriting Host
 * (lzcinit may, and so does a proxy left at its defaults), where the browser is already on the right host and a
 * redirect would only come back here.
 */
function onAnotherHost(canonical: URL, host: string | undefined): boolean {
  let seen: URL;
  try {
    seen = new URL(`${canonical.protocol}//${host ?? ''}`);
  } catch {
    return true;
  }
  if (seen.host === canonical.host) return false;
  const isAddress = (u: URL) => isIP(u.hostname.replace(/^\[|\]$/g, '')) !== 0 || isLoopbackHost(u.hostname);
  return !(isAddress(seen) && !isAddress(canonical));
}

const CANONICAL_MARK = 'canonical';

/** Sign-in: /login starts it, /callback finishes it; the protocol is oidc/flow's, the session is written here. */
export function signInRoutes({ config, oidc, sessions, writes, logger, paths, trust, boxUserOf, afterSignIn }: AuthDeps): Router {
  const router = Router();
  const authPaths = signInFlowPaths(paths);
  const pending = createPendingLogins(sessions.kv, {
    secure: config.session.secureCookie,
    secrets: config.session.secrets,
    callbackPath: paths.callback,
  });
  const canonical = new URL(config.publicOrigin);
  let warnedHostRewrite = false;

  router.get(paths.login, async (req, res) => {
    // The box also serves the app on prefix and secondary domains, but the callback returns to the redirect URI's
    // host: a sign-in started elsewhere would leave its pending-login cookie on a host the callback never sees.
    if (onAnotherHost(canonical, trust.host(req))) {
      // Marked, so that a proxy which rewrites every Host to its upstream name (nginx's default proxy_pass) cannot
      // send the browser round in circles: back here with the mark, the browser is on the canonical host already.
      if (req.query[CANONICAL_MARK] === undefined) {
        return redirect(res, 303, `${canonical.origin}${req.originalUrl}${req.originalUrl.includes('?') ? '&' : '?'}${CANONICAL_MARK}=1`);
      }
      if (!warnedHostRewrite) {
        warnedHostRewrite = true;
        logger.warn(
          { host: trust.host(req), canonical: canonical.host },
          "requests name another host than the redirect URI even after a redirect there: the proxy rewrites Host; have it pass the browser's Host (or X-Forwarded-Host from a trusted proxy)",
        );
      }
    }
    const returnTo = safeReturnTo(req.query.returnTo, afterSignIn, authPaths);
    if (req.session?.user) return redirect(res, 303, returnTo);
    // The first request of a fresh process started discovery: let that one attempt finish before answering "unavailable".
    if (!oidc.isReady()) await oidc.firstAttempt();
    const provider = oidc.provider();
    await oidc.assertReachable();
    const { url, state, checks } = startLogin(provider, config.oidc);
    pending.save(req, res, req.baseUrl + paths.login, state, { checks, returnTo });
    res.setHeader('Cache-Control', 'no-store');
    redirect(res, 303, url.href);
  });

  router.get(paths.callback, async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const query = rawQuery(req);
    const params = new URLSearchParams(query);
    const state = params.get('state');
    if (params.getAll('state').length > 1 || !pending.isWellFormedState(state)) {
      throw new AppError(params.has('code') || params.has('error') ? 'OIDC_STATE_MISMATCH' : 'OIDC_INVALID_CALLBACK');
    }
    const { login, fresh, othersHere } = pending.take(req, res, state);
    // Checked before the code goes to the provider: a code redeemed twice may revoke the tokens of the first sign-in.
    const doneTo = await pending.doneReturnTo(state);
    if (doneTo !== undefined || !login) {
      // Replayed or stale: harmless for a browser that is already signed in, which just goes on (as the Back button
      // after sign-in does).
      if (req.session.user) return redirect(res, 303, doneTo ?? afterSignIn);
      if (doneTo !== undefined || !othersHere)
        throw new AppError('OIDC_TXN_EXPIRED', { message: 'used, or this browser holds no pending sign-in' });
      throw new AppError('OIDC_STATE_MISMATCH', { message: 'this browser holds other pending sign-ins, not this one' });
    }
    if (!fresh) throw new AppError('OIDC_TXN_EXPIRED');

    const callbackUrl = new URL(config.oidc.redirectUri);
    callbackUrl.search = query;
    const { user, tokens } = await finishLogin(oidc.provider(), config.oidc, callbackUrl, state, login);
    // Only now, for a browser the provider just signed in, is anything written: the mark that makes it single use.
    if (!(await pending.markDone(state, login.returnTo))) {
      // The same callback raced this one and won: it signs this browser in, this one only follows.
      if (req.session.user) return redirect(res, 303, login.returnTo);
      throw new AppError('OIDC_TXN_EXPIRED', { message: 'used' });
    }

    await sessionStep(req, 'regenerate'); // a fresh id on sign-in: no session fixation
    const now = Date.now();
    const boxUser = boxUserOf(req);
    Object.assign(req.session, {
      user,
      tokenInfo: tokenInfoOf(tokens),
      csrf: randomBytes(24).toString('base64url'),
      createdAt: now,
      lastSeen: now,
      ...(boxUser !== undefined && { boxUser }),
    });
    await writes.saveTokens(req.sessionID, tokens);
    // Indexed before the cookie exists: a back-channel logout or "sign out everywhere" can always find the session.
    await sessions.indexSession(req.sessionID, { sub: user.sub, sid: user.sid }, config.session.absoluteTimeoutSec);
    await sessionStep(req, 'save');
    const reqId = requestIdOf(req);
    logger.info({ reqId, sub: user.sub, issuer: user.issuer }, 'signed in');
    if (config.session.secureCookie && !trust.isHttps(req)) {
      // express-session will not send a Secure cookie on what looks like plain http: the user would loop.
      logger.error(
        { reqId, trustProxy: config.trustProxy },
        'signed in, but the request is not https as far as the app can tell, so the Secure session cookie is not sent: make the proxy send X-Forwarded-Proto: https and allow it with TRUST_PROXY',
      );
    }
    redirect(res, 303, login.returnTo);
  });

  return router;
}
