import session, { Store, type SessionData } from 'express-session';
import type { Request, RequestHandler } from 'express';
import type { SessionConfig } from '../../config/types.ts';
import type { SessionBackend } from '../../sessions/types.ts';
import type { SessionWrites, StoredSession } from '../../sessions/writes.ts';
import { cookieAttributes } from '../../security/cookies.ts';
import type { ProxyTrust } from '../proxyTrust.ts';

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
    if (this.#writes.isEnding(sid)) return cb();
    this.#inner.get(sid, cb as never);
  }
  override set(sid: string, sess: SessionData, cb?: Cb): void {
    this.#writes.save(sid, sess as StoredSession).then(
      () => cb?.(),
      (err: unknown) => cb?.(err),
    );
  }
  override destroy(sid: string, cb?: Cb): void {
    this.#writes.end(sid).then(
      () => cb?.(),
      (err: unknown) => cb?.(err),
    );
  }
}

/**
 * express-session over the configured store: the cookie holds only the signed session id.
 * A request without our cookie skips it entirely (no id generated, no store read, no Set-Cookie), so
 * public routes and static files of the host app cost nothing; `needsSession` names the routes that
 * create one (the callback). Behind a proxy, whether the cookie may be Secure is decided by the
 * library's TRUST_PROXY, never by the host app's setting.
 */
export function sessionMiddleware(
  cfg: SessionConfig,
  backend: SessionBackend,
  writes: SessionWrites,
  trust: ProxyTrust,
  needsSession: (req: Request) => boolean,
): RequestHandler {
  const options = {
    name: cfg.cookieName,
    secret: cfg.secrets,
    store: new GuardedStore(backend.store, writes),
    resave: false,
    saveUninitialized: false,
    rolling: false,
    // Not 'destroy': when the store read fails (Redis down), req.session is unset and express-session
    // would then destroy the session and, when that fails too, kill the response's socket.
    unset: 'keep' as const,
    cookie: { ...cookieAttributes(cfg.secureCookie), maxAge: cfg.idleTimeoutSec * 1000 },
  };
  // express-session trusts X-Forwarded-Proto only with proxy: true; pick per request who may say it.
  const viaProxy = session({ ...options, proxy: true });
  const direct = session({ ...options, proxy: false });
  const marker = `${cfg.cookieName}=`;
  return (req, res, next) => {
    if (!req.headers.cookie?.includes(marker) && !needsSession(req)) return next();
    (trust.isHttps(req) ? viaProxy : direct)(req, res, next);
  };
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
  return (req, _res, next) => {
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
    next();
  };
}
