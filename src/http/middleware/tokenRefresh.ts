import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { OidcConfig } from '../../config/types.ts';
import type { OidcClient } from '../../oidc/client.ts';
import type { SessionBackend } from '../../sessions/types.ts';
import type { Logger } from '../../log/logger.ts';
import { needsRefresh, refreshTokens } from '../../oidc/refresh.ts';
import { claimsDue, rereadClaims } from '../../oidc/claims.ts';
import { getStored, type SessionWrites, type StoredSession } from '../../sessions/writes.ts';
import { tokenInfoOf, type SessionUser, type TokenInfo } from '../../sessions/record.ts';
import { requestIdOf } from '../errorPages.ts';
import { storeKeys } from '../../sessions/keys.ts';
import { sessionStep } from './session.ts';

// Failed for a passing reason (provider down): wait this long before asking again, not on every request.
const RETRY_AFTER_MS = 30_000;
const LOCK_POLL_MS = 50;
// Under the lock, one refresh asks the provider up to four times: the token endpoint, the JWKS, the JWKS again
// for a kid it doesn't know yet, and userinfo for the current claims (each bounded by OIDC_HTTP_TIMEOUT).
const PROVIDER_CALLS = 4;
// ...and the store up to twelve times: read the session and its tokens, saveTokens (five), save (four), release.
const STORE_OPS = 12;

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface TokenRefresh {
  /** Refreshes the tokens (or re-reads the claims) of the request's session when due, then reloads it. */
  ensureFresh: (req: Request) => Promise<void>;
  /** ensureFresh() as the step every request passes. */
  middleware: RequestHandler;
}

/**
 * Keeps a session's tokens and claims current: refreshes the access token ahead of expiry, and re-reads the
 * claims from userinfo at OIDC_USERINFO_REFRESH_INTERVAL (for providers without refresh tokens), once per
 * session however many requests arrive together: in this process by sharing one promise, across instances by
 * a lock in the shared store. The lock holder re-reads the session before asking the provider and writes the
 * result straight to the store, so no request can write stale tokens back (the oauth2-proxy pattern), and
 * every waiting request reloads afterwards.
 */
export function tokenRefresh(deps: {
  oidc: OidcClient;
  oidcConfig: OidcConfig;
  sessions: SessionBackend;
  writes: SessionWrites;
  logger: Logger;
}): TokenRefresh {
  const { oidc, oidcConfig, sessions, writes, logger } = deps;
  const { store, kv } = sessions;
  const instance = randomUUID();
  const inflight = new Map<string, Promise<void>>();
  const margin = oidcConfig.refreshMarginSec;
  // The lock must outlive the slowest refresh that still succeeds, or a second instance refreshes with the same
  // refresh token meanwhile (and rotation then ends the session). Each provider call and each store operation
  // can take up to its own deadline before failing, so the worst case is the sum of all of them. Asked of the
  // open store when a lock is taken: the store knows its own deadline.
  const lockTtlSec = (): number => Math.ceil(PROVIDER_CALLS * oidcConfig.httpTimeoutSec + (STORE_OPS * sessions.opDeadlineMs) / 1000);
  const due = (info: TokenInfo | undefined): 'refresh' | 'claims' | undefined =>
    needsRefresh(info, margin) ? 'refresh' : claimsDue(info, oidcConfig, oidc.provider()) ? 'claims' : undefined;

  async function refresh(id: string, reqId: string, current: StoredSession & { user: SessionUser; tokenInfo: TokenInfo }): Promise<void> {
    const tokens = await writes.tokens(id);
    if (!tokens?.refreshToken) {
      // The tokens' record is gone (e.g. lost with a store flush): the session lives on by its own lifetime.
      await writes.save(id, { ...current, tokenInfo: { ...current.tokenInfo, refreshable: false } });
      return;
    }
    const outcome = await refreshTokens(oidc.provider(), oidcConfig, { ...tokens, refreshToken: tokens.refreshToken }, current.user);
    if (outcome.kind === 'refreshed') {
      await writes.saveTokens(id, outcome.tokens);
      await writes.save(id, { ...current, user: outcome.user, tokenInfo: tokenInfoOf(outcome.tokens) });
      logger.info({ reqId, sub: current.user.sub }, 'tokens refreshed');
      if (outcome.claimsError) {
        const { code, cause } = outcome.claimsError;
        logger.warn(
          { reqId, sub: current.user.sub, code, err: cause ?? outcome.claimsError },
          'tokens refreshed, claims kept: provider unavailable',
        );
      }
    } else if (outcome.kind === 'ended') {
      await writes.end(id);
      logger.warn(
        { reqId, sub: current.user.sub, code: outcome.error.code, err: outcome.error.cause ?? outcome.error },
        'refresh refused: session ended',
      );
    } else {
      await writes.save(id, { ...current, tokenInfo: { ...current.tokenInfo, refreshRetryAt: Date.now() + RETRY_AFTER_MS } });
      logger.warn(
        { reqId, code: outcome.error.code, err: outcome.error.cause ?? outcome.error },
        'refresh failed: provider unavailable, keeping the session',
      );
    }
  }

  async function reread(id: string, reqId: string, current: StoredSession & { user: SessionUser; tokenInfo: TokenInfo }): Promise<void> {
    const tokens = await writes.tokens(id);
    // Asked or not, the next re-read is an interval away: an outage is not retried on every request.
    const tokenInfo = { ...current.tokenInfo, userinfoAt: Date.now() };
    const outcome = tokens ? await rereadClaims(oidc.provider(), tokens, current.user) : undefined;
    if (outcome?.kind === 'ended') {
      await writes.end(id);
      logger.warn(
        { reqId, sub: current.user.sub, code: outcome.error.code, err: outcome.error.cause ?? outcome.error },
        'userinfo refused the access token: session ended',
      );
      return;
    }
    await writes.save(id, { ...current, ...(outcome?.kind === 'updated' && { user: outcome.user }), tokenInfo });
    if (outcome?.kind === 'unavailable') {
      logger.warn(
        { reqId, code: outcome.error.code, err: outcome.error.cause ?? outcome.error },
        'userinfo re-read failed: provider unavailable, claims kept',
      );
    }
  }

  async function updateUnderLock(id: string, reqId: string): Promise<void> {
    const lock = storeKeys.refreshLock(id);
    const owner = `${instance}:${randomUUID()}`;
    const ttlSec = lockTtlSec();
    if (!(await kv.add(lock, owner, ttlSec))) {
      // Another instance is at it: wait for it to finish (bounded), then the caller reloads.
      const deadline = Date.now() + ttlSec * 1000;
      while ((await kv.get(lock)) !== undefined && Date.now() < deadline) await wait(LOCK_POLL_MS);
      return;
    }
    try {
      const current = await getStored(store, id);
      if (!current?.user || !current.tokenInfo) return;
      const session = { ...current, user: current.user, tokenInfo: current.tokenInfo };
      const what = due(current.tokenInfo);
      if (what === 'refresh') await refresh(id, reqId, session);
      else if (what === 'claims') await reread(id, reqId, session);
    } finally {
      // Only our own lock: if it expired and another instance took it, that one is not ours to release.
      await kv.release(lock, owner);
    }
  }

  const reload = (req: Request) =>
    sessionStep(req, 'reload').catch((err: unknown) => {
      // The session was ended meanwhile: carry on as a signed-out request.
      if (String((err as Error).message).includes('failed to load session')) return sessionStep(req, 'regenerate');
      throw err;
    });

  const isDue = (req: Request): boolean => Boolean(req.session?.user) && oidc.isReady() && due(req.session.tokenInfo) !== undefined;

  const ensureFresh = async (req: Request): Promise<void> => {
    if (!isDue(req)) return;
    const id = req.sessionID;
    let flight = inflight.get(id);
    if (!flight) {
      flight = updateUnderLock(id, requestIdOf(req)).finally(() => inflight.delete(id));
      inflight.set(id, flight);
    }
    await flight;
    await reload(req);
  };

  return {
    ensureFresh,
    // Synchronous unless a refresh is due: nearly every request passes straight through, without a promise.
    middleware: (req, _res, next) => {
      if (!isDue(req)) return next();
      return ensureFresh(req).then(() => next(), next);
    },
  };
}
