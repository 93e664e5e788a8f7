import session, { Store, type SessionData } from 'express-session';
import type { RequestHandler } from 'express';
import type { SessionConfig } from '../config/types.ts';
import type { SessionBackend } from '../sessions/types.ts';

type Cb = (err?: unknown, value?: never) => void;

/**
 * The backend's store minus `touch`: express-session would otherwise write to the store on every
 * request. sessionLifetime() slides the idle window itself and re-saves (which renews the store's
 * expiry) when it moves, so the per-request write buys nothing.
 */
class WithoutTouch extends Store {
  readonly #inner: Store;
  constructor(inner: Store) {
    super();
    this.#inner = inner;
  }
  override get(sid: string, cb: Cb): void {
    this.#inner.get(sid, cb as never);
  }
  override set(sid: string, sess: SessionData, cb?: Cb): void {
    this.#inner.set(sid, sess, cb as never);
  }
  override destroy(sid: string, cb?: Cb): void {
    this.#inner.destroy(sid, cb as never);
  }
}

/** express-session over the configured store: the cookie holds only the signed session id. */
export function sessionMiddleware(cfg: SessionConfig, backend: SessionBackend): RequestHandler {
  return session({
    name: cfg.cookieName,
    secret: cfg.secrets,
    store: new WithoutTouch(backend.store),
    resave: false,
    saveUninitialized: false,
    rolling: false,
    unset: 'destroy',
    cookie: { httpOnly: true, secure: cfg.secureCookie, sameSite: 'lax', path: '/', maxAge: cfg.idleTimeoutSec * 1000 },
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
      s.destroy((err) => next(err));
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
