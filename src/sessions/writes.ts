import type { SessionData, Store } from 'express-session';
import { sessionTtlSec, type StoredTokens, type TokenInfo } from './record.ts';
import type { SessionBackend } from './types.ts';
import type { TokenCipher } from './tokenCipher.ts';
import { storeKeys } from './keys.ts';

/** A session as the store holds it, read or written outside of a request (refresh, logout elsewhere). */
export type StoredSession = SessionData & { cookie: unknown };

export const getStored = (store: Store, id: string) =>
  new Promise<StoredSession | undefined>((resolve, reject) => store.get(id, (e, s) => (e ? reject(e) : resolve(s ?? undefined))));
export const setStored = (store: Store, id: string, data: StoredSession) =>
  new Promise<void>((resolve, reject) => store.set(id, data, (e) => (e ? reject(e) : resolve())));
const destroyStored = (store: Store, id: string) =>
  new Promise<void>((resolve, reject) => store.destroy(id, (e) => (e ? reject(e) : resolve())));

// How often to retry ending sessions the store refused to delete, and how many to remember meanwhile.
const RETRY_END_MS = 2_000;
const MAX_UNFINISHED = 10_000;

/** When the session's tokens or claims were last brought up to date by the provider. */
const freshness = (info: TokenInfo): number => Math.max(info.obtainedAt, info.userinfoAt ?? 0);

export interface SessionWrites {
  /** Writes a session, unless it was ended meanwhile; never replaces newer token info with older. */
  save(id: string, data: StoredSession): Promise<void>;
  /** Stores a session's tokens beside it, unless it was ended meanwhile; never replaces newer tokens with older ones. */
  saveTokens(id: string, tokens: StoredTokens): Promise<void>;
  tokens(id: string): Promise<StoredTokens | undefined>;
  /** True while an end() this process was asked for still waits for the store to take writes: the session reads as gone. */
  isEnding(id: string): boolean;
  /** Ends a session and drops its tokens for good: a concurrent request or refresh finishing later cannot bring it back. */
  end(id: string): Promise<void>;
}

const tokensKey = storeKeys.tokens;

/**
 * Every session write goes through here, so the races between requests of one session, a token
 * refresh and a logout elsewhere (back-channel, "everywhere") resolve the safe way: an ended session
 * stays ended (a tombstone outlives any session), and a stale copy never overwrites a rotated
 * refresh token (the last one the provider will accept). Tokens are stored sealed by `cipher`.
 */
export function sessionWrites(backend: SessionBackend, lifetimeSec: number, cipher: TokenCipher): SessionWrites {
  const { store, kv } = backend;
  const ended = async (id: string): Promise<boolean> => (await kv.get(storeKeys.ended(id))) !== undefined;
  const readTokens = async (id: string): Promise<StoredTokens | undefined> => {
    const stored = await kv.get<unknown>(tokensKey(id));
    if (typeof stored === 'string') {
      // Unopenable (altered, or sealed with a secret no longer configured): as if the record were lost, which a
      // session survives by its own lifetime.
      const plaintext = cipher.open(tokensKey(id), stored);
      return plaintext === undefined ? undefined : (JSON.parse(plaintext) as StoredTokens);
    }
    // Stored in plain JSON before tokens were sealed: still valid, sealed by the next saveTokens (a refresh), and gone
    // with its session otherwise.
    return typeof stored === 'object' && stored !== null ? (stored as StoredTokens) : undefined;
  };
  const endNow = async (id: string): Promise<void> => {
    // Removal comes first, so that a store failing half-way (a full disk) has at least ended the session;
    // the tombstone only guards against concurrent writers, and is written next. A save() or saveTokens()
    // racing with this either writes before the tombstone, and the second removal undoes it, or after it,
    // and then finds the tombstone when it looks again right after its write and undoes it itself.
    const remove = () => Promise.all([destroyStored(store, id), kv.delete(tokensKey(id))]);
    await remove();
    await kv.set(storeKeys.ended(id), 1, lifetimeSec);
    await remove();
  };
  const unfinished = new Set<string>();
  let retry: NodeJS.Timeout | undefined;
  const retryLater = (): void => {
    retry ??= setTimeout(() => {
      retry = undefined;
      void Promise.all(
        [...unfinished].map((id) =>
          endNow(id).then(
            () => unfinished.delete(id),
            () => undefined,
          ),
        ),
      ).then(() => {
        if (unfinished.size) retryLater();
      });
    }, RETRY_END_MS);
    // Never what keeps the process alive.
    retry.unref();
  };
  return {
    async save(id, data) {
      if (await ended(id)) return;
      if (data.tokenInfo) {
        // A refresh or a userinfo re-read wrote newer token facts and the claims that came with them, after this
        // copy was read (a request sliding its idle window, say): keep both, or the old groups would come back.
        const current = await getStored(store, id);
        if (current?.tokenInfo && freshness(current.tokenInfo) > freshness(data.tokenInfo)) {
          data = { ...data, tokenInfo: current.tokenInfo, ...(current.user && { user: current.user }) };
        }
      }
      await setStored(store, id, data);
      // end() may have run between the check above and this write: its tombstone is there now, so undo the write.
      if (await ended(id)) return destroyStored(store, id);
      // The tokens live as long as their session: every write of it (sign-in, a slide of the idle window, a
      // refresh) carries their expiry along, so a session that idles out does not leave its tokens behind.
      await kv.touch(tokensKey(id), sessionTtlSec(data, lifetimeSec));
    },
    async saveTokens(id, tokens) {
      if (await ended(id)) return;
      const current = await readTokens(id);
      if (current && current.obtainedAt > tokens.obtainedAt) return;
      // Until the session's next save, which sets their expiry to its own (callers save it right after).
      await kv.set(tokensKey(id), cipher.seal(tokensKey(id), JSON.stringify(tokens)), lifetimeSec);
      // end() may have run meanwhile (a logout on another instance): it deletes again after marking, so look again.
      if (await ended(id)) await kv.delete(tokensKey(id));
    },
    tokens: readTokens,
    async end(id) {
      try {
        await endNow(id);
        unfinished.delete(id);
      } catch (err) {
        // This browser is signed out anyway (its cookie is cleared), but a copy of the cookie would still open the
        // session: refuse it here at once, and finish the job as soon as the store takes writes again.
        if (unfinished.size < MAX_UNFINISHED) unfinished.add(id);
        retryLater();
        throw err;
      }
    },
    isEnding: (id) => unfinished.has(id),
  };
}

/**
 * Ends the given sessions (found through the sub/sid index), returning how many ended.
 * `belongs` re-checks each one, because index entries can outlive or predate the session they name.
 * `beforeEnd` sees each session's id first (e.g. to revoke its tokens).
 */
export async function endSessions(
  backend: SessionBackend,
  writes: SessionWrites,
  ids: string[],
  belongs: (s: SessionData) => boolean,
  beforeEnd?: (id: string) => Promise<void>,
): Promise<number> {
  let ended = 0;
  for (const id of ids.slice(0, 1000)) {
    const data = await getStored(backend.store, id);
    if (!data || !belongs(data)) continue;
    await beforeEnd?.(id);
    await writes.end(id);
    ended++;
  }
  return ended;
}
