import type { DatabaseSync } from 'node:sqlite';
import { Store, type SessionData } from 'express-session';
import { guarded } from './storeErrors.ts';
import { sessionTtlSec } from './record.ts';

// Hand-written on purpose: node:sqlite is built into Node 24, so the default store needs no native addon (the .lpk
// runs on any architecture) and no package whose maintenance we would depend on.
type Callback<T> = ((err: unknown, value?: T) => void) | undefined;

/**
 * Answers an express-session callback from a store operation. Always asynchronous (like
 * express-session's own MemoryStore), and failures arrive as SESSION_STORE_UNAVAILABLE.
 */
function reply<T>(cb: Callback<T>, op: () => T): void {
  guarded(op).then(
    (value) => cb?.(null, value),
    (err: unknown) => cb?.(err),
  );
}

/**
 * The full express-session Store contract over the `sessions` table. Expiry lives in an indexed
 * column, so reads ignore expired rows without parsing them and pruning is a range delete.
 */
export class SqliteSessionStore extends Store {
  readonly #idleTimeoutSec: number;
  readonly #stmt;

  constructor(db: DatabaseSync, idleTimeoutSec: number) {
    super();
    this.#idleTimeoutSec = idleTimeoutSec;
    this.#stmt = {
      get: db.prepare('SELECT data FROM sessions WHERE sid = ? AND expires_at > ?'),
      set: db.prepare(
        'INSERT INTO sessions (sid, data, expires_at) VALUES (?, ?, ?) ' +
          'ON CONFLICT (sid) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at',
      ),
      touch: db.prepare('UPDATE sessions SET expires_at = ? WHERE sid = ?'),
      destroy: db.prepare('DELETE FROM sessions WHERE sid = ?'),
      clear: db.prepare('DELETE FROM sessions'),
      length: db.prepare('SELECT count(*) AS n FROM sessions WHERE expires_at > ?'),
      all: db.prepare('SELECT sid, data FROM sessions WHERE expires_at > ?'),
    };
  }

  #expiresAt(sess: SessionData): number {
    return Date.now() + sessionTtlSec(sess, this.#idleTimeoutSec) * 1000;
  }

  override get(sid: string, cb: Callback<SessionData | null>): void {
    reply(cb, () => {
      const row = this.#stmt.get.get(sid, Date.now());
      return row ? (JSON.parse(String(row.data)) as SessionData) : null;
    });
  }

  override set(sid: string, sess: SessionData, cb?: Callback<void>): void {
    reply(cb, () => {
      const expiresAt = this.#expiresAt(sess);
      // Same rule as connect-redis: a session whose cookie has already expired is not kept.
      if (expiresAt <= Date.now()) this.#stmt.destroy.run(sid);
      else this.#stmt.set.run(sid, JSON.stringify(sess), expiresAt);
    });
  }

  /** Part of the Store contract (the app's own wrapper slides the idle window instead): only the expiry column is written. */
  override touch(sid: string, sess: SessionData, cb?: Callback<void>): void {
    reply(cb, () => {
      this.#stmt.touch.run(this.#expiresAt(sess), sid);
    });
  }

  override destroy(sid: string, cb?: Callback<void>): void {
    reply(cb, () => {
      this.#stmt.destroy.run(sid);
    });
  }

  override clear(cb?: Callback<void>): void {
    reply(cb, () => {
      this.#stmt.clear.run();
    });
  }

  override length(cb: Callback<number>): void {
    reply(cb, () => Number(this.#stmt.length.get(Date.now())?.n ?? 0));
  }

  /** Sessions as an array, each with its `id`: the same shape connect-redis returns. */
  override all(cb: Callback<SessionData[]>): void {
    reply(cb, () =>
      this.#stmt.all.all(Date.now()).map((row) => ({ ...(JSON.parse(String(row.data)) as SessionData), id: String(row.sid) })),
    );
  }
}
