import { randomBytes, timingSafeEqual } from 'node:crypto';
import express, { Router, type Request } from 'express';
import type { AppConfig } from '../../config/types.ts';
import type { OidcClient } from '../../oidc/client.ts';
import type { SessionBackend } from '../../sessions/types.ts';
import type { Logger } from '../../log/logger.ts';
import { startLogin, finishLogin, buildLogoutUrl, revokeTokens } from '../../oidc/flow.ts';
import { tokenInfoOf, type StoredTokens } from '../../oidc/user.ts';
import { endSessions, type SessionWrites } from '../../sessions/storeOps.ts';
import { createPendingLogins } from '../../sessions/pendingLogins.ts';
import { safeReturnTo } from '../../security/returnTo.ts';
import { cookieAttributes, parseCookies } from '../../security/cookies.ts';
import { AppError } from '../../errors/AppError.ts';
import { wantsJson } from '../clientKind.ts';
import { loginRateLimit } from '../middleware/loginRateLimit.ts';

export interface AuthRouteDeps {
  config: AppConfig;
  oidc: OidcClient;
  sessions: SessionBackend;
  writes: SessionWrites;
  logger: Logger;
}

const LOGOUT_STATE_COOKIE = 'lzc-oidc.logout';

const regenerate = (req: Request) => new Promise<void>((resolve, reject) => req.session.regenerate((e) => (e ? reject(e) : resolve())));
const saveSession = (req: Request) => new Promise<void>((resolve, reject) => req.session.save((e) => (e ? reject(e) : resolve())));
const destroySession = (req: Request) => new Promise<void>((resolve, reject) => req.session.destroy((e) => (e ? reject(e) : resolve())));

function sameSecret(a: unknown, b: unknown): boolean {
  if (typeof a !== 'string' || typeof b !== 'string' || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** The raw query string exactly as received, so nothing (such as the RFC 9207 `iss`) is lost or re-encoded. */
function rawQuery(req: Request): string {
  const i = req.originalUrl.indexOf('?');
  return i === -1 ? '' : req.originalUrl.slice(i);
}

/** /login, /callback, /logout: parse the request, hand the protocol to oidc/flow, then write the session and redirect. */
export function authRoutes({ config, oidc, sessions, writes, logger }: AuthRouteDeps): Router {
  const router = Router();
  const pending = createPendingLogins(sessions.kv, config.session.secureCookie);
  const cookieOptions = cookieAttributes(config.session.secureCookie);

  router.get('/login', loginRateLimit(config.loginRateLimit), async (req, res) => {
    const returnTo = safeReturnTo(req.query.returnTo);
    if (req.session.user) return res.redirect(303, returnTo);
    const provider = oidc.provider();
    await oidc.assertReachable();
    const { url, state, checks } = await startLogin(provider, config.oidc);
    await pending.save(req, res, state, { checks, returnTo });
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, url.href);
  });

  router.get('/callback', async (req, res) => {
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
      if (req.session.user) return res.redirect(303, returnTo ?? '/');
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
    await saveSession(req);
    await sessions.indexSession(req.sessionID, { sub: user.sub, sid: user.sid }, config.session.absoluteTimeoutSec);
    await pending.markDone(state, taken.pending.returnTo);
    logger.info({ reqId: req.id, sub: user.sub, issuer: user.issuer }, 'signed in');
    if (config.session.secureCookie && !req.secure) {
      // express-session will not send a Secure cookie on what looks like plain http: the user would loop.
      logger.error(
        { reqId: req.id, trustProxy: config.trustProxy },
        'signed in, but the request is not https as far as the app can tell, so the Secure session cookie is not sent: make the proxy send X-Forwarded-Proto: https and allow it with TRUST_PROXY',
      );
    }
    res.redirect(303, taken.pending.returnTo);
  });

  router.get('/logout', (req, res) => {
    if (!req.session.user) return res.redirect(303, '/');
    res.setHeader('Cache-Control', 'no-store');
    res.render('logout', { csrfToken: req.session.csrf });
  });

  router.post('/logout', express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const user = req.session.user;
    if (user && !sameSecret(body.csrf ?? req.get('x-csrf-token'), req.session.csrf)) {
      throw new AppError('CSRF_INVALID');
    }
    const tokens = user ? await writes.tokens(req.sessionID) : undefined;
    const provider = oidc.isReady() ? oidc.provider() : undefined;
    const revoke = async (t: StoredTokens | undefined): Promise<void> => {
      if (!provider) return;
      for (const err of await revokeTokens(provider, t)) {
        logger.warn({ reqId: req.id, code: err.code, err: err.cause ?? err }, 'token revocation failed (logout continues)');
      }
    };
    let elsewhere = 0;
    if (user) {
      if (body.everywhere === '1') {
        const ids = (await sessions.findSessions({ sub: user.sub })).filter((id) => id !== req.sessionID);
        elsewhere = await endSessions(sessions, writes, ids, (s) => s.user?.sub === user.sub, async (id) => revoke(await writes.tokens(id)));
      }
      await revoke(tokens);
      await destroySession(req);
    }
    res.clearCookie(config.session.cookieName, cookieOptions);
    const state = randomBytes(16).toString('base64url');
    // Only a real sign-out goes on to the provider, with the newest ID token as the hint: for a missing or
    // stale hint Casdoor answers raw JSON instead of redirecting back.
    const endSession =
      provider && user && tokens?.idToken
        ? buildLogoutUrl(provider, { idTokenHint: tokens.idToken, postLogoutRedirectUri: config.oidc.postLogoutRedirectUri, state })
        : undefined;
    if (user) logger.info({ reqId: req.id, sub: user.sub, providerLogout: Boolean(endSession), elsewhere }, 'signed out');
    const next = endSession?.href ?? '/?signed_out=1';
    if (endSession) res.cookie(LOGOUT_STATE_COOKIE, state, { ...cookieOptions, maxAge: 600_000 });
    if (wantsJson(req)) return res.json({ signedOut: true, redirectTo: next });
    res.redirect(303, next);
  });

  // Where the provider sends the browser after RP-initiated logout; `state` proves it is our logout coming back.
  router.get('/logout/done', (req, res) => {
    const expected = parseCookies(req.get('cookie')).get(LOGOUT_STATE_COOKIE);
    res.clearCookie(LOGOUT_STATE_COOKIE, cookieOptions);
    const state = typeof req.query.state === 'string' ? req.query.state.replace(/\/$/, '') : undefined;
    if (!sameSecret(state, expected)) {
      logger.warn({ reqId: req.id }, 'post-logout redirect with a missing or unexpected state');
      return res.redirect(303, '/');
    }
    res.redirect(303, '/?signed_out=1');
  });

  return router;
}
