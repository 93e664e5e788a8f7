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
export const destroyStored = (store: Store, id: string) =>
  new Promise<void>((resolve, reject) => store.destroy(id, (e) => (e ? reject(e) : resolve())));

/**
 * Ends the given sessions (found through the sub/sid index) in the store, returning how many ended.
 * `belongs` re-checks each one, because index entries can outlive or predate the session they name.
 * `beforeEnd` sees each session first (e.g. to revoke its tokens).
 */
export async function endSessions(
  backend: SessionBackend,
  ids: string[],
  belongs: (s: SessionData) => boolean,
  beforeEnd?: (s: SessionData) => Promise<void>,
): Promise<number> {
  let ended = 0;
  for (const id of ids.slice(0, 1000)) {
    const data = await getStored(backend.store, id);
    if (!data || !belongs(data)) continue;
    await beforeEnd?.(data);
    await destroyStored(backend.store, id);
    ended++;
  }
  return ended;
}
