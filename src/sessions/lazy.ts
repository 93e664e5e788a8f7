import { Store, type SessionData } from 'express-session';
import type { SessionStoreKind } from '../config/types.ts';
import type { SessionBackend } from './types.ts';
import { storeUnavailable } from './storeErrors.ts';

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
  // Once the store is open every call goes straight to it; only the first ones wait for the opening.
  const use = <T>(f: (backend: SessionBackend) => Promise<T>): Promise<T> => (opened ? f(opened) : open().then(f));
  const onStore = (cb: Cb | undefined, f: (store: Store) => void): void => {
    if (opened) return f(opened.store);
    open().then(
      (backend) => f(backend.store),
      (err: unknown) => cb?.(err),
    );
  };
  class LazyStore extends Store {
    override get(sid: string, cb: Cb): void {
      onStore(cb, (store) => store.get(sid, cb as never));
    }
    override set(sid: string, sess: SessionData, cb?: Cb): void {
      onStore(cb, (store) => store.set(sid, sess, cb as never));
    }
    override destroy(sid: string, cb?: Cb): void {
      onStore(cb, (store) => store.destroy(sid, cb as never));
    }
  }

  return {
    kind,
    store: new LazyStore(),
    kv: {
      get: (key) => use((b) => b.kv.get(key)),
      set: (key, value, ttlSec) => use((b) => b.kv.set(key, value, ttlSec)),
      add: (key, value, ttlSec) => use((b) => b.kv.add(key, value, ttlSec)),
      delete: (key) => use((b) => b.kv.delete(key)),
      touch: (key, ttlSec) => use((b) => b.kv.touch(key, ttlSec)),
      release: (key, value) => use((b) => b.kv.release(key, value)),
    },
    // Read when a refresh takes its lock, by which time the request has read its session through the open store.
    get opDeadlineMs(): number {
      if (!opened) throw new Error('the session store is not open yet');
      return opened.opDeadlineMs;
    },
    open,
    indexSession: (...args) => use((b) => b.indexSession(...args)),
    findSessions: (query) => use((b) => b.findSessions(query)),
    ping: () => use((b) => b.ping()),
    close: async () => {
      const backend = opened ?? (await opening?.catch(() => undefined));
      await backend?.close();
    },
  };
}
