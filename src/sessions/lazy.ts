import { Store, type SessionData } from 'express-session';
import type { SessionStoreKind } from '../config/types.ts';
import type { SessionBackend } from './types.ts';
import { REDIS_COMMAND_TIMEOUT_MS } from './redisDeadline.ts';
import { storeUnavailable } from './storeErrors.ts';
import { BUSY_TIMEOUT_MS } from './sqlite.ts';

type Cb = (err?: unknown, value?: never) => void;

export interface LazyBackend extends SessionBackend {
  /** Opens the store now (once); a failed open is retried by the next call. */
  open(): Promise<SessionBackend>;
}

/**
 * A backend that opens its store on first use. Building the middleware must not touch the disk or the
 * network (a host app may build it in a test, or before it has decided to listen), so the SQLite file or
 * the Redis connection is opened by the first request, or earlier by an explicit start().
 */
export function lazyBackend(kind: SessionStoreKind, create: () => Promise<SessionBackend>): LazyBackend {
  let opening: Promise<SessionBackend> | undefined;
  let opened: SessionBackend | undefined;
  const open = (): Promise<SessionBackend> => {
    if (opened) return Promise.resolve(opened);
    opening ??= create().then(
      (backend) => (opened = backend),
      (err: unknown) => {
        opening = undefined;
        throw storeUnavailable(err);
      },
    );
    return opening;
  };
  class LazyStore extends Store {
    override get(sid: string, cb: Cb): void {
      // Every signed-in request reads its session: once the store is open, skip the promise round.
      if (opened) return opened.store.get(sid, cb as never);
      open().then((b) => b.store.get(sid, cb as never), cb);
    }
    override set(sid: string, sess: SessionData, cb?: Cb): void {
      open().then(
        (b) => b.store.set(sid, sess, cb as never),
        (err: unknown) => cb?.(err),
      );
    }
    override destroy(sid: string, cb?: Cb): void {
      open().then(
        (b) => b.store.destroy(sid, cb as never),
        (err: unknown) => cb?.(err),
      );
    }
    override touch(sid: string, sess: SessionData, cb?: Cb): void {
      open().then(
        (b) => (b.store.touch ? b.store.touch(sid, sess, cb as never) : cb?.()),
        (err: unknown) => cb?.(err),
      );
    }
  }

  return {
    kind,
    store: new LazyStore(),
    kv: {
      get: async (key) => (await open()).kv.get(key),
      set: async (key, value, ttlSec) => (await open()).kv.set(key, value, ttlSec),
      add: async (key, value, ttlSec) => (await open()).kv.add(key, value, ttlSec),
      take: async (key) => (await open()).kv.take(key),
      delete: async (key) => (await open()).kv.delete(key),
      touch: async (key, ttlSec) => (await open()).kv.touch(key, ttlSec),
      release: async (key, value) => (await open()).kv.release(key, value),
    },
    // Known before opening, so the refresh lock can be sized when the middleware is built: what createSessionBackend opens.
    opDeadlineMs: kind === 'redis' ? REDIS_COMMAND_TIMEOUT_MS : BUSY_TIMEOUT_MS,
    open,
    indexSession: (...args) => open().then((b) => b.indexSession(...args)),
    findSessions: (query) => open().then((b) => b.findSessions(query)),
    ping: () => open().then((b) => b.ping()),
    close: async () => {
      const backend = opened ?? (await opening?.catch(() => undefined));
      await backend?.close();
    },
  };
}
