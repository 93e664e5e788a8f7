import { accessSync, chmodSync, closeSync, constants, mkdirSync, openSync, readdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Logger } from '../log/logger.ts';
import type { SessionConfig, SessionStoreKind } from '../config/types.ts';
import type { KeyValue, SessionBackend } from './types.ts';
import { SqliteSessionStore } from './sqliteStore.ts';
import { errorMessage, guarded } from './storeErrors.ts';
import { findOwned } from './ownerQuery.ts';

/** The database file inside DATA_DIR. */
export const SESSION_DB_FILE = 'sessions.sqlite';

export interface SqliteBackendOptions {
  /** How often expired rows are deleted. Reads already ignore them; this only bounds the file size. */
  pruneIntervalMs?: number;
}

const DEFAULT_PRUNE_INTERVAL_MS = 5 * 60_000;
/** How long a statement waits for another connection's write lock (an instance sharing the file) before failing. */
const BUSY_TIMEOUT_MS = 5000;
const EXPIRING_TABLES = ['sessions', 'kv', 'session_owners'] as const;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sessions (sid TEXT PRIMARY KEY, data TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions (expires_at);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kv_expires_at ON kv (expires_at);
CREATE TABLE IF NOT EXISTS session_owners (
  session_id TEXT PRIMARY KEY, sub TEXT NOT NULL, sid TEXT, expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS session_owners_sub ON session_owners (sub);
CREATE INDEX IF NOT EXISTS session_owners_sid ON session_owners (sid);
CREATE INDEX IF NOT EXISTS session_owners_expires_at ON session_owners (expires_at);
`;

/**
 * DATA_DIR must exist and be writable before SQLite runs, so the boot error can say which
 * directory is wrong instead of SQLite's bare "unable to open database file". It holds every
 * session: only the app's own user may list it.
 */
function prepareDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new Error(`DATA_DIR ${dir} is not a writable directory: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * Every session file is readable by the app's own user only: the database, its -wal and -shm, and damaged ones
 * moved aside, including those an older version created 0644. SQLite creates -wal and -shm later with the mode
 * of the database file, so creating that one 0600 before SQLite opens it covers them too.
 */
function makeSessionFilesPrivate(file: string): void {
  const dir = path.dirname(file);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile() && entry.name.startsWith(path.basename(file))) chmodSync(path.join(dir, entry.name), 0o600);
  }
  closeSync(openSync(file, 'a', 0o600));
}

/** Failures that mean the file's content is damaged (not that it can't be reached): SQLITE_CORRUPT, SQLITE_NOTADB. */
const DAMAGED_CODES = new Set([11, 26]);

class DamagedDatabase extends Error {}

const isDamaged = (err: unknown): boolean =>
  // node:sqlite reports SQLite's extended result code; the low byte is the primary one.
  err instanceof DamagedDatabase || DAMAGED_CODES.has(Number((err as { errcode?: unknown }).errcode) & 0xff);

const cannotUse = (location: string, err: unknown): Error =>
  new Error(`Session database ${location} cannot be used: ${errorMessage(err)}`, { cause: err });

/**
 * WAL with synchronous=NORMAL: every committed transaction survives a crash or `kill -9` of this
 * process (only an OS crash or power loss can lose the latest commits), and readers never block
 * the writer. quick_check finds a damaged file at boot rather than on some later request.
 */
export function openDatabase(location: string): DatabaseSync {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(location, { timeout: BUSY_TIMEOUT_MS });
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
    const check = db.prepare('PRAGMA quick_check').get();
    if (check?.quick_check !== 'ok') throw new DamagedDatabase(`integrity check failed: ${String(check?.quick_check)}`);
    db.exec(SCHEMA);
    return db;
  } catch (err) {
    if (db?.isOpen) db.close();
    throw err;
  }
}

function renameIfPresent(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Sessions are disposable, the app being up is not: a damaged database (in the file or in its write-ahead log) is
 * moved aside for whoever wants to look at it, and an empty one takes its place. A bad file then costs everyone one
 * sign-in instead of a restart loop. Anything else (a busy or unreadable file) stays a boot error naming the path.
 */
function openSessionDatabase(file: string, logger: Logger): DatabaseSync {
  try {
    makeSessionFilesPrivate(file);
    return openDatabase(file);
  } catch (err) {
    if (!isDamaged(err)) throw cannotUse(file, err);
    const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      // The log and index go too, with names that keep them paired with their file: left behind, SQLite would
      // replay the damaged log into the new database.
      for (const suffix of ['', '-wal', '-shm']) renameIfPresent(file + suffix, aside + suffix);
      makeSessionFilesPrivate(file);
      const db = openDatabase(file);
      logger.error(
        { movedTo: aside },
        `Session database ${file} is damaged (${errorMessage(err)}): moved it aside to ${aside} and started an empty one; everyone must sign in again`,
      );
      return db;
    } catch (recoverErr) {
      throw cannotUse(file, recoverErr);
    }
  }
}

/**
 * The default backend: sessions, pending sign-ins and the owner index in one SQLite file under
 * DATA_DIR, so they survive restarts with zero setup. Throws a plain Error naming the path when
 * DATA_DIR or the file is unusable: that is a boot error, not a 503. A damaged file is replaced.
 */
export function createSqliteBackend(config: SessionConfig, logger: Logger, options: SqliteBackendOptions = {}): SessionBackend {
  const dir = path.resolve(config.dataDir);
  prepareDataDir(dir);
  return openSqliteBackend(openSessionDatabase(path.join(dir, SESSION_DB_FILE), logger), 'sqlite', config, logger, options);
}

/** Builds a backend on an open database (a file, or ':memory:' for the memory kind). */
export function openSqliteBackend(
  db: DatabaseSync,
  kind: SessionStoreKind,
  config: SessionConfig,
  logger: Logger,
  options: SqliteBackendOptions,
): SessionBackend {
  const stmt = {
    kvGet: db.prepare('SELECT value FROM kv WHERE key = ? AND expires_at > ?'),
    kvSet: db.prepare(
      'INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) ' +
        'ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at',
    ),
    // An expired row still waiting for pruning counts as absent.
    kvAdd: db.prepare(
      'INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) ' +
        'ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at WHERE kv.expires_at <= ?',
    ),
    kvDelete: db.prepare('DELETE FROM kv WHERE key = ?'),
    kvTouch: db.prepare('UPDATE kv SET expires_at = ? WHERE key = ? AND expires_at > ?'),
    kvRelease: db.prepare('DELETE FROM kv WHERE key = ? AND value = ? AND expires_at > ?'),
    index: db.prepare(
      'INSERT INTO session_owners (session_id, sub, sid, expires_at) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (session_id) DO UPDATE SET sub = excluded.sub, sid = excluded.sid, expires_at = excluded.expires_at',
    ),
    bySub: db.prepare('SELECT session_id FROM session_owners WHERE sub = ? AND expires_at > ?'),
    bySid: db.prepare('SELECT session_id FROM session_owners WHERE sid = ? AND expires_at > ?'),
    ping: db.prepare('SELECT 1'),
    prune: EXPIRING_TABLES.map((table) => db.prepare(`DELETE FROM ${table} WHERE expires_at <= ?`)),
  };
  const parse = <T>(row: Record<string, unknown> | undefined): T | undefined => (row ? (JSON.parse(String(row.value)) as T) : undefined);

  const kv: KeyValue = {
    get: <T>(key: string) => guarded(() => parse<T>(stmt.kvGet.get(key, Date.now()))),
    set: (key, value, ttlSec) =>
      guarded(() => {
        stmt.kvSet.run(key, JSON.stringify(value), Date.now() + ttlSec * 1000);
      }),
    add: (key, value, ttlSec) =>
      guarded(() => {
        const now = Date.now();
        return stmt.kvAdd.run(key, JSON.stringify(value), now + ttlSec * 1000, now).changes === 1;
      }),
    delete: (key) =>
      guarded(() => {
        stmt.kvDelete.run(key);
      }),
    touch: (key, ttlSec) =>
      guarded(() => {
        const now = Date.now();
        stmt.kvTouch.run(now + ttlSec * 1000, key, now);
      }),
    release: (key, value) => guarded(() => stmt.kvRelease.run(key, JSON.stringify(value), Date.now()).changes === 1),
  };

  const prune = (): void => {
    const now = Date.now();
    for (const s of stmt.prune) s.run(now);
  };
  const timer = setInterval(() => {
    try {
      prune();
    } catch (err) {
      logger.warn({ err }, 'pruning expired sessions failed; will retry');
    }
  }, options.pruneIntervalMs ?? DEFAULT_PRUNE_INTERVAL_MS);
  // Pruning must never keep the process alive on its own.
  timer.unref();

  const store = new SqliteSessionStore(db, config.idleTimeoutSec);
  return {
    kind,
    store,
    kv,
    opDeadlineMs: BUSY_TIMEOUT_MS,
    indexSession: (sessionId, owner, ttlSec) =>
      guarded(() => {
        stmt.index.run(sessionId, owner.sub, owner.sid ?? null, Date.now() + ttlSec * 1000);
      }),
    findSessions: (query) =>
      guarded(() =>
        findOwned(query, (field, value) =>
          (field === 'sub' ? stmt.bySub : stmt.bySid).all(value, Date.now()).map((row) => String(row.session_id)),
        ),
      ),
    ping: () =>
      guarded(() => {
        stmt.ping.get();
      }),
    close: async () => {
      clearInterval(timer);
      store.forget();
      if (db.isOpen) db.close();
    },
  };
}
