import { randomBytes, timingSafeEqual } from 'node:crypto';
import express, { Router, type ErrorRequestHandler } from 'express';
import { buildLogoutUrl, revokeTokens } from '../../oidc/flow.ts';
import type { ProviderHandle } from '../../oidc/client.ts';
import type { StoredTokens } from '../../sessions/record.ts';
import { endSessions } from '../../sessions/writes.ts';
import { sessionStep } from '../middleware/session.ts';
import { cookieAttributes, parseCookies } from '../../security/cookies.ts';
import { AppError, isAppError } from '../../errors/AppError.ts';
import { wantsJson } from '../clientKind.ts';
import { requestIdOf } from '../errorPages.ts';
import { languageOf, renderPage } from '../render.ts';
import type { AuthDeps } from '../deps.ts';
import { redirect } from '../redirect.ts';

const LOGOUT_STATE_COOKIE = 'lzc-oidc.logout';
const SIGNED_OUT = '/?signed_out=1';

// Revocation is a courtesy to the provider: by then the sessions have ended and their tokens are deleted
// here. So it runs a few sessions at a time, and the answer waits for it this long at most.
const REVOKE_CONCURRENCY = 4;
const REVOKE_WAIT_MS = 3000;

/**
 * Revokes each set of tokens (refresh token, then access token), REVOKE_CONCURRENCY sets at a time, until all
 * are done or REVOKE_WAIT_MS has passed. Then no further set is started (calls under way end on their own HTTP
 * timeout, still logging failures); returns how many sets were not done by then.
 */
async function revokeAll(provider: ProviderHandle, all: StoredTokens[], onFailure: (err: AppError) => void): Promise<number> {
  const queue = [...all];
  let unfinished = queue.length;
  const worker = async (): Promise<void> => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      for (const err of await revokeTokens(provider, t)) onFailure(err);
      unfinished--;
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, REVOKE_WAIT_MS);
  });
  await Promise.race([Promise.allSettled(Array.from({ length: REVOKE_CONCURRENCY }, worker)), deadline]);
  clearTimeout(timer);
  queue.length = 0;
  return unfinished;
}

// A synchroniser token kept in the session, hand-written on purpose: the only form is sign-out, and the CSRF
// packages for Express are either unmaintained (csurf) or bring double-submit cookies we do not need.
function sameSecret(a: unknown, b: unknown): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  // Compared as bytes: strings of equal length can differ in byte length (non-ASCII), which timingSafeEqual refuses.
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Sign-out: a confirmation page, the CSRF-checked POST that ends the session(s), and the provider's way back. */
export function signOutRoutes({ config, oidc, sessions, writes, logger, paths }: AuthDeps): Router {
  const router = Router();
  const cookieOptions = cookieAttributes(config.session.secureCookie);

  router.get(paths.logout, (req, res) => {
    // Signed in, so already marked no-store (composeAuth).
    if (!req.session?.user) return redirect(res, 303, '/');
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
    // This browser is signed out whatever the store manages below. Only when its cookie came with the request:
    // under SameSite=Lax a cross-site form post carries none, and must not sign anyone out.
    if (req.session) res.clearCookie(config.session.cookieName, cookieOptions);
    // A token that cannot be read is not revoked; the session still ends.
    const tokensOf = (id: string) =>
      writes.tokens(id).catch((err: unknown) => {
        logger.warn({ reqId, err }, 'reading tokens for revocation failed (logout continues)');
        return undefined;
      });
    const tokens = user ? await tokensOf(req.sessionID) : undefined;
    const provider = oidc.isReady() ? oidc.provider() : undefined;
    let elsewhere = 0;
    if (user) {
      // Every local session ends before the provider is asked anything, so a slow provider cannot keep one alive.
      const revocable: StoredTokens[] = tokens ? [tokens] : [];
      let failure: unknown;
      if (body.everywhere === '1') {
        try {
          const ids = (await sessions.findSessions({ sub: user.sub })).filter((id) => id !== req.sessionID);
          elsewhere = await endSessions(
            sessions,
            writes,
            ids,
            (s) => s.user?.sub === user.sub,
            async (id) => {
              const t = await tokensOf(id);
              if (t) revocable.push(t);
            },
          );
        } catch (err) {
          failure = err;
        }
      }
      await sessionStep(req, 'destroy').catch((err: unknown) => {
        failure ??= err;
      });
      if (provider) {
        const unfinished = await revokeAll(provider, revocable, (err) =>
          logger.warn({ reqId, code: err.code, err: err.cause ?? err }, 'token revocation failed (logout continues)'),
        );
        if (unfinished > 0) logger.warn({ reqId, unfinished }, 'token revocation ran out of time (logout continues)');
      }
      if (failure !== undefined) {
        logger.warn({ reqId, sub: user.sub, elsewhere }, 'signed out in this browser; the store could not confirm the session ended');
        throw new AppError('SIGN_OUT_UNCONFIRMED', { cause: failure });
      }
    }
    const state = randomBytes(16).toString('base64url');
    // Only a real sign-out goes on to the provider. The ID token goes along (through the browser) only where
    // it is the one way to end the tokens there; then the newest one, as Casdoor answers raw JSON to a stale hint.
    const hint = config.oidc.logoutHint;
    const sendIdToken = hint === 'id_token' || (hint === 'auto' && !provider?.revocationEndpoint);
    const endSession =
      provider && user && (!sendIdToken || tokens?.idToken)
        ? buildLogoutUrl(provider, {
            idTokenHint: sendIdToken ? tokens?.idToken : undefined,
            postLogoutRedirectUri: config.oidc.postLogoutRedirectUri,
            state,
          })
        : undefined;
    if (user) logger.info({ reqId, sub: user.sub, providerLogout: Boolean(endSession), elsewhere }, 'signed out');
    const next = endSession?.href ?? SIGNED_OUT;
    if (endSession) res.cookie(LOGOUT_STATE_COOKIE, state, { ...cookieOptions, maxAge: 600_000 });
    if (wantsJson(req)) return res.json({ signedOut: true, redirectTo: next });
    redirect(res, 303, next);
  });

  // Where the provider sends the browser after RP-initiated logout; `state` proves it is our logout coming back.
  router.get(paths.logoutDone, (req, res, next) => {
    // Without a state this is no return from the provider: the path may be the host's own page (a post-logout URI
    // at the site root, say), which must stay reachable rather than redirect to itself.
    if (typeof req.query.state !== 'string') return next();
    const expected = parseCookies(req.get('cookie')).get(LOGOUT_STATE_COOKIE);
    res.clearCookie(LOGOUT_STATE_COOKIE, cookieOptions);
    const state = req.query.state.replace(/\/$/, '');
    if (!sameSecret(state, expected)) {
      logger.warn({ reqId: requestIdOf(req) }, 'post-logout redirect with a missing or unexpected state');
      return redirect(res, 303, '/');
    }
    redirect(res, 303, SIGNED_OUT);
  });

  return router;
}

/**
 * POST /logout when the store failed before the route ran (the session could not be loaded, or its token
 * refresh could not be written): the cookie is still cleared, so this browser is signed out, and the answer
 * says the server could not confirm it. Nothing in the store is touched: without a loaded session there is no
 * CSRF token to check, and a forged request can then do no more than drop a cookie. Mount it after the
 * session middleware and before signOutRoutes().
 */
export function signOutDespiteStore({ config, paths }: AuthDeps): ErrorRequestHandler {
  const cookieOptions = cookieAttributes(config.session.secureCookie);
  // A plain error handler, not router.post(): Express skips route handlers while an error is pending.
  return (err, req, res, next) => {
    const storeFailed = isAppError(err) && err.code === 'SESSION_STORE_UNAVAILABLE';
    if (!storeFailed || req.method !== 'POST' || req.path !== paths.logout) return next(err);
    // A session that did load must not be saved, nor its cookie sent again, by express-session on the way out.
    Reflect.deleteProperty(req, 'session');
    res.clearCookie(config.session.cookieName, cookieOptions);
    next(new AppError('SIGN_OUT_UNCONFIRMED', { cause: err }));
  };
}
