import session, { Store, type SessionData } from 'express-session';
import type { RequestHandler } from 'express';
import type { SessionConfig } from '../../config/types.ts';
import type { SessionBackend } from '../../sessions/types.ts';
import type { SessionWrites, StoredSession } from '../../sessions/storeOps.ts';
import { cookieAttributes } from '../../security/cookies.ts';

type Cb = (err?: unknown, value?: never) => void;

/**
 * The store as express-session sees it. Writes go through SessionWrites (no resurrecting an ended
 * session, no regressing rotated tokens), and there is no `touch`: express-session would otherwise
 * write on every request, while sessionLifetime() slides the idle window itself and re-saves (which
 * renews the store's expiry) when it moves.
 */
class GuardedStore extends Store {
  readonly #inner: Store;
  readonly #writes: SessionWrites;
  constructor(inner: Store, writes: SessionWrites) {
    super();
    this.#inner = inner;
    this.#writes = writes;
  }
  override get(sid: string, cb: Cb): void {
    this.#inner.get(sid, cb as never);
  }
  override set(sid: string, sess: SessionData, cb?: Cb): void {
    this.#writes.save(sid, sess as StoredSession).then(() => cb?.(), (err: unknown) => cb?.(err));
  }
  override destroy(sid: string, cb?: Cb): void {
    this.#writes.end(sid).then(() => cb?.(), (err: unknown) => cb?.(err));
  }
}

/** express-session over the configured store: the cookie holds only the signed session id. */
export function sessionMiddleware(cfg: SessionConfig, backend: SessionBackend, writes: SessionWrites): RequestHandler {
  return session({
    name: cfg.cookieName,
    secret: cfg.secrets,
    store: new GuardedStore(backend.store, writes),
    resave: false,
    saveUninitialized: false,
    rolling: false,
    // Not 'destroy': when the store read fails (Redis down), req.session is unset and express-session
    // would then destroy the session and, when that fails too, kill the response's socket.
    unset: 'keep',
    cookie: { ...cookieAttributes(cfg.secureCookie), maxAge: cfg.idleTimeoutSec * 1000 },
  });
}

/**
 * Enforces the idle timeout and the absolute lifetime server-side (a cookie's expiry is only advice),
 * and slides the idle window. The cookie is re-sent only when the window moved by a tenth of its length,
 * not on every request.
 */
export function sessionLifetime(cfg: SessionConfig, now: () => number = Date.now): RequestHandler {
  const idleMs = cfg.idleTimeoutSec * 1000;
  const absoluteMs = cfg.absoluteTimeoutSec * 1000;
  const slideEveryMs = Math.max(idleMs / 10, 1000);
  return (req, res, next) => {
    const s = req.session;
    if (!s?.user) return next();
    const t = now();
    const createdAt = s.createdAt ?? t;
    const lastSeen = s.lastSeen ?? t;
    if (t - createdAt > absoluteMs || t - lastSeen > idleMs) {
      // regenerate, not destroy: the old session ends, and later handlers still find a (signed-out) req.session.
      s.regenerate((err) => next(err));
      return;
    }
    if (t - lastSeen > slideEveryMs) {
      s.lastSeen = t;
      s.cookie.maxAge = Math.min(idleMs, createdAt + absoluteMs - t);
    }
    res.locals.user = s.user;
    next();
  };
}
