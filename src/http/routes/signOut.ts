import { randomBytes, timingSafeEqual } from 'node:crypto';
import express, { Router, type Request } from 'express';
import { buildLogoutUrl, revokeTokens } from '../../oidc/flow.ts';
import type { StoredTokens } from '../../oidc/user.ts';
import { endSessions } from '../../sessions/storeOps.ts';
import { cookieAttributes, parseCookies } from '../../security/cookies.ts';
import { AppError } from '../../errors/AppError.ts';
import { wantsJson } from '../clientKind.ts';
import { requestIdOf } from '../errorPages.ts';
import { languageOf, renderPage } from '../render.ts';
import type { AuthDeps } from '../deps.ts';

const LOGOUT_STATE_COOKIE = 'lzc-oidc.logout';
const SIGNED_OUT = '/?signed_out=1';

const destroySession = (req: Request) => new Promise<void>((resolve, reject) => req.session.destroy((e) => (e ? reject(e) : resolve())));

function sameSecret(a: unknown, b: unknown): boolean {
  if (typeof a !== 'string' || typeof b !== 'string' || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** Sign-out: a confirmation page, the CSRF-checked POST that ends the session(s), and the provider's way back. */
export function signOutRoutes({ config, oidc, sessions, writes, logger, paths }: AuthDeps): Router {
  const router = Router();
  const cookieOptions = cookieAttributes(config.session.secureCookie);

  router.get(paths.logout, (req, res) => {
    if (!req.session?.user) return res.redirect(303, '/');
    res.setHeader('Cache-Control', 'no-store');
    const lang = languageOf(req);
    renderPage(req, res, 'logout', { csrfToken: req.session.csrf }, { paths, logger, lang, fallback: lang.t('logout.confirm') });
  });

  router.post(paths.logout, express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const user = req.session?.user;
    if (user && !sameSecret(body.csrf ?? req.get('x-csrf-token'), req.session.csrf)) {
      throw new AppError('CSRF_INVALID');
    }
    const reqId = requestIdOf(req);
    const tokens = user ? await writes.tokens(req.sessionID) : undefined;
    const provider = oidc.isReady() ? oidc.provider() : undefined;
    const revoke = async (t: StoredTokens | undefined): Promise<void> => {
      if (!provider) return;
      for (const err of await revokeTokens(provider, t)) {
        logger.warn({ reqId, code: err.code, err: err.cause ?? err }, 'token revocation failed (logout continues)');
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
    // Only a real sign-out goes on to the provider. The ID token goes along (through the browser) only where
    // it is the one way to end the tokens there; then the newest one, as Casdoor answers raw JSON to a stale hint.
    const hint = config.oidc.logoutHint;
    const sendIdToken = hint === 'id_token' || (hint === 'auto' && !provider?.revocationEndpoint);
    const endSession =
      provider && user && (!sendIdToken || tokens?.idToken)
        ? buildLogoutUrl(provider, { idTokenHint: sendIdToken ? tokens?.idToken : undefined, postLogoutRedirectUri: config.oidc.postLogoutRedirectUri, state })
        : undefined;
    if (user) logger.info({ reqId, sub: user.sub, providerLogout: Boolean(endSession), elsewhere }, 'signed out');
    const next = endSession?.href ?? SIGNED_OUT;
    if (endSession) res.cookie(LOGOUT_STATE_COOKIE, state, { ...cookieOptions, maxAge: 600_000 });
    if (wantsJson(req)) return res.json({ signedOut: true, redirectTo: next });
    res.redirect(303, next);
  });

  // Where the provider sends the browser after RP-initiated logout; `state` proves it is our logout coming back.
  router.get(paths.logoutDone, (req, res) => {
    const expected = parseCookies(req.get('cookie')).get(LOGOUT_STATE_COOKIE);
    res.clearCookie(LOGOUT_STATE_COOKIE, cookieOptions);
    const state = typeof req.query.state === 'string' ? req.query.state.replace(/\/$/, '') : undefined;
    if (!sameSecret(state, expected)) {
      logger.warn({ reqId: requestIdOf(req) }, 'post-logout redirect with a missing or unexpected state');
      return res.redirect(303, '/');
    }
    res.redirect(303, SIGNED_OUT);
  });

  return router;
}
