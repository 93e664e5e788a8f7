import type { SessionData, Store } from 'express-session';
import type { SessionBackend } from './types.ts';

/** A session as the store holds it, read or written outside of a request (refresh, logout elsewhere). */
export type StoredSession = SessionData & { cookie: unknown };

export const getStored = (store: Store, id: string) =>
  new Promise<StoredSession | undefined>((resolve, reject) =>
    store.get(id, (e, s) => (e ? reject(e) : resolve((s as StoredSession | null | undefined) ?? undefined))),
  );
export const setStored = (store: Store, id: string, data: StoredSession) =>
  new Promise<void>((resolve, reject) => store.set(id, data as never, (e) => (e ? reject(e) : resolve())));
const destroyStored = (store: Store, id: string) =>
  new Promise<void>((resolve, reject) => store.destroy(id, (e) => (e ? reject(e) : resolve())));

export interface SessionWrites {
  /** Writes a session, unless it was ended meanwhile; never replaces newer tokens with older ones. */
  save(id: string, data: StoredSession): Promise<void>;
  /** Ends a session for good: a concurrent request or refresh finishing later cannot bring it back. */
  end(id: string): Promise<void>;
}

/**
 * Every session write goes through here, so the races between requests of one session, a token
 * refresh and a logout elsewhere (back-channel, "everywhere") resolve the safe way: an ended session
 * stays ended (a tombstone outlives any session), and a stale copy never overwrites a rotated
 * refresh token (the last one the provider will accept).
 */
export function sessionWrites(backend: SessionBackend, tombstoneTtlSec: number): SessionWrites {
  const { store, kv } = backend;
  return {
    async save(id, data) {
      if (await kv.get(`ended:${id}`)) return;
      if (data.tokens) {
        const current = (await getStored(store, id))?.tokens;
        if (current && current.obtainedAt > data.tokens.obtainedAt) data = { ...data, tokens: current };
      }
      await setStored(store, id, data);
    },
    async end(id) {
      await kv.set(`ended:${id}`, 1, tombstoneTtlSec);
      await destroyStored(store, id);
    },
  };
}

/**
 * Ends the given sessions (found through the sub/sid index), returning how many ended.
 * `belongs` re-checks each one, because index entries can outlive or predate the session they name.
 * `beforeEnd` sees each session first (e.g. to revoke its tokens).
 */
export async function endSessions(
  backend: SessionBackend,
  writes: SessionWrites,
  ids: string[],
  belongs: (s: SessionData) => boolean,
  beforeEnd?: (s: SessionData) => Promise<void>,
): Promise<number> {
  let ended = 0;
  for (const id of ids.slice(0, 1000)) {
    const data = await getStored(backend.store, id);
    if (!data || !belongs(data)) continue;
    await beforeEnd?.(data);
    await writes.end(id);
    ended++;
  }
  return ended;
}
