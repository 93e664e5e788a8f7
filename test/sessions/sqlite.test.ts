import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { SessionData } from 'express-session';
import { createSqliteBackend, SESSION_DB_FILE, type SqliteBackendOptions } from '../../src/sessions/sqlite.ts';
import { runSessionStoreContract, sessionData } from './store.contract.ts';
import { until } from '../fixtures/until.ts';
import { sessionConfig } from './sessionConfig.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'lzc-sessions-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const silent = pino({ level: 'silent' });
const freshDir = () => mkdtempSync(path.join(root, 'data-'));
const open = (dataDir: string, options?: SqliteBackendOptions) => createSqliteBackend(sessionConfig({ dataDir }), silent, options);

runSessionStoreContract('sqlite', async () => open(freshDir()));

describe('sqlite session backend: the read cache stays exact', () => {
  const get = (backend: ReturnType<typeof open>, id: string) =>
    new Promise<SessionData | null | undefined>((resolve, reject) => backend.store.get(id, (e, s) => (e ? reject(e) : resolve(s))));
  const settle = (op: (cb: (err?: unknown) => void) => void) =>
    new Promise<void>((resolve, reject) => op((e) => (e ? reject(e) : resolve())));
  afterEach(() => vi.useRealTimers());

  it('a read after a logout, a rewrite or a touch sees what the database now holds, never the copy from before', async () => {
    const backend = open(freshDir());
    try {
      await settle((cb) => backend.store.set('s', sessionData(60_000, { user: { sub: 'alice' } }), cb));
      expect((await get(backend, 's'))?.user?.sub).toBe('alice');
      await settle((cb) => backend.store.destroy('s', cb));
      expect(await get(backend, 's')).toBeNull();

      await settle((cb) => backend.store.set('s', sessionData(60_000, { user: { sub: 'alice' } }), cb));
      await get(backend, 's');
      await settle((cb) => backend.store.set('s', sessionData(60_000, { user: { sub: 'bob' } }), cb));
      expect((await get(backend, 's'))?.user?.sub).toBe('bob');

      // A touch with a cookie that has already expired moves the row's expiry into the past.
      await settle((cb) => backend.store.touch!('s', sessionData(-1000), cb));
      expect(await get(backend, 's')).toBeNull();
    } finally {
      await backend.close();
    }
  });

  it('a logout through another connection to the same file (another process or instance) reaches this copy too', async () => {
    const dir = freshDir();
    const [a, b] = [open(dir), open(dir)];
    try {
      await settle((cb) => a.store.set('s', sessionData(60_000, { user: { sub: 'alice' } }), cb));
      expect((await get(b, 's'))?.user?.sub).toBe('alice');
      await settle((cb) => a.store.destroy('s', cb));
      expect(await get(b, 's')).toBeNull();
      await settle((cb) => a.store.set('s', sessionData(60_000, { user: { sub: 'bob' } }), cb));
      expect((await get(b, 's'))?.user?.sub).toBe('bob');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a session read just before its expiry is gone right after it, copy or not', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const backend = open(freshDir());
    try {
      await settle((cb) => backend.store.set('s', sessionData(60_000, { user: { sub: 'alice' } }), cb));
      vi.setSystemTime(Date.now() + 59_000);
      expect(await get(backend, 's')).not.toBeNull();
      vi.setSystemTime(Date.now() + 2000);
      expect(await get(backend, 's')).toBeNull();
    } finally {
      await backend.close();
    }
  });

  it('a request changing the session object it was given changes nothing stored', async () => {
    const backend = open(freshDir());
    try {
      await settle((cb) => backend.store.set('s', sessionData(60_000, { user: { sub: 'alice', groups: ['a'] } }), cb));
      const first = await get(backend, 's');
      first!.user.groups.push('ADMIN');
      first!.user.sub = 'mallory';
      expect((await get(backend, 's'))?.user).toEqual({ sub: 'alice', groups: ['a'] });
    } finally {
      await backend.close();
    }
  });
});

/** SQLite's rolling checksum over big-endian 32-bit word pairs (the WAL format's, magic 0x377f0683). */
function walChecksum(data: Buffer, [s0, s1]: [number, number]): [number, number] {
  for (let i = 0; i < data.length; i += 8) {
    s0 = (s0 + data.readUInt32BE(i) + s1) >>> 0;
    s1 = (s1 + data.readUInt32BE(i + 4) + s0) >>> 0;
  }
  return [s0, s1];
}

/**
 * A write-ahead log SQLite accepts (valid header, salts and checksums) whose one commit replaces page 1 with
 * garbage, as a torn or misdirected write could. A log of plain garbage would not do: SQLite ignores a log
 * whose checksums fail, losing its commits but opening fine.
 */
function walCommittingGarbagePage1(pageSize: number): Buffer {
  const header = Buffer.alloc(32);
  header.writeUInt32BE(0x377f0683, 0);
  header.writeUInt32BE(3007000, 4);
  header.writeUInt32BE(pageSize, 8);
  header.writeUInt32BE(0x5eed1, 16);
  header.writeUInt32BE(0x5eed2, 20);
  let sum = walChecksum(header.subarray(0, 24), [0, 0]);
  header.writeUInt32BE(sum[0], 24);
  header.writeUInt32BE(sum[1], 28);
  const frame = Buffer.alloc(24);
  frame.writeUInt32BE(1, 0); // page number
  frame.writeUInt32BE(1, 4); // database size after this frame: non-zero marks a commit
  header.copy(frame, 8, 16, 24);
  const page = Buffer.alloc(pageSize, 'garbage ');
  sum = walChecksum(page, walChecksum(frame.subarray(0, 8), sum));
  frame.writeUInt32BE(sum[0], 16);
  frame.writeUInt32BE(sum[1], 20);
  return Buffer.concat([header, frame, page]);
}

/**
 * Opens the damaged DATA_DIR and checks what a damaged store must lead to: the backend starts and works, empty;
 * the damaged files sit beside it under one `<file>.corrupt-<time>` name (content unchanged where given); one
 * error line says what happened.
 */
async function expectRecovered(dir: string, cause: RegExp, movedAside: Array<{ suffix: string; content?: string }>): Promise<void> {
  const logged: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
  const backend = createSqliteBackend(sessionConfig({ dataDir: dir }), logger);
  try {
    expect(await backend.kv.get('lost')).toBeUndefined();
    await backend.kv.set('fresh', 'works', 60);
    expect(await backend.kv.get('fresh')).toBe('works');
  } finally {
    await backend.close();
  }
  expect(Object.values(modes(dir))).toEqual(['700', ...readdirSync(dir).map(() => '600')]);
  const aside = readdirSync(dir).filter((name) => name.startsWith(`${SESSION_DB_FILE}.corrupt-`));
  const stem = aside.find((name) => /^sessions\.sqlite\.corrupt-[0-9T-]+Z$/.test(name));
  expect(stem).toBeDefined();
  expect(aside.sort()).toEqual(movedAside.map(({ suffix }) => stem + suffix).sort());
  for (const { suffix, content } of movedAside) {
    if (content !== undefined) expect(readFileSync(path.join(dir, stem + suffix), 'latin1')).toBe(content);
  }
  expect(logged).toEqual([expect.objectContaining({ level: 50, movedTo: path.join(dir, stem!) })]);
  expect(logged[0]!.msg).toMatch(cause);
  expect(logged[0]!.msg).toContain(`moved it aside to ${path.join(dir, stem!)} and started an empty one`);
}

/** DATA_DIR's mode and each of its entries', in octal: { '.': '700', 'sessions.sqlite': '600', … }. */
function modes(dir: string): Record<string, string> {
  const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
  return Object.fromEntries([['.', mode(dir)], ...readdirSync(dir).map((name) => [name, mode(path.join(dir, name))])]);
}

describe('sqlite session backend: files at rest', () => {
  it('keeps DATA_DIR 0700 and every file in it 0600, the write-ahead log and shared memory too', async () => {
    const dir = path.join(freshDir(), 'created-by-the-backend');
    const backend = open(dir);
    try {
      // What a sign-in writes: the redeemed state's mark, then the session, its owner and its tokens.
      await backend.kv.add('done:state', { returnTo: '/' }, 600);
      await new Promise<void>((resolve, reject) =>
        backend.store.set('sid', sessionData(600_000, { user: { sub: 'alice' } }), (err) => (err ? reject(err) : resolve())),
      );
      await backend.indexSession('sid', { sub: 'alice' }, 600);
      await backend.kv.set('tokens:sid', { accessToken: 'a' }, 600);
      expect(modes(dir)).toEqual({
        '.': '700',
        [SESSION_DB_FILE]: '600',
        [`${SESSION_DB_FILE}-wal`]: '600',
        [`${SESSION_DB_FILE}-shm`]: '600',
      });
    } finally {
      await backend.close();
    }
  });

  it('tightens what an older version left: DATA_DIR 0755, its files 0644', async () => {
    const dir = freshDir();
    const file = path.join(dir, SESSION_DB_FILE);
    // Still open, as another instance would hold it: the log and shared memory exist beside the file.
    const older = new DatabaseSync(file);
    older.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES ('old')");
    writeFileSync(`${file}.corrupt-2025-01-01T00-00-00-000Z`, 'moved aside by an earlier boot');
    for (const name of readdirSync(dir)) chmodSync(path.join(dir, name), 0o644);
    chmodSync(dir, 0o755);
    const backend = open(dir);
    try {
      expect(modes(dir)).toEqual({
        '.': '700',
        [SESSION_DB_FILE]: '600',
        [`${SESSION_DB_FILE}-wal`]: '600',
        [`${SESSION_DB_FILE}-shm`]: '600',
        [`${SESSION_DB_FILE}.corrupt-2025-01-01T00-00-00-000Z`]: '600',
      });
    } finally {
      older.close();
      await backend.close();
    }
  });
});

describe('sqlite session backend: pruning, durability, boot errors', () => {
  it('prunes expired rows on its timer and keeps live ones', async () => {
    const dir = freshDir();
    const backend = open(dir, { pruneIntervalMs: 20 });
    await backend.kv.set('live', 1, 60);
    // A second connection plants rows that expired long ago, as a store left running would have.
    const db = new DatabaseSync(path.join(dir, SESSION_DB_FILE));
    const past = Date.now() - 60_000;
    db.prepare('INSERT INTO sessions (sid, data, expires_at) VALUES (?, ?, ?)').run('old', '{}', past);
    db.prepare('INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?)').run('old', '1', past);
    db.prepare('INSERT INTO session_owners (session_id, sub, sid, expires_at) VALUES (?, ?, ?, ?)').run('old', 'u', null, past);
    const expiredRows = () =>
      ['sessions', 'kv', 'session_owners'].reduce(
        (n, table) => n + Number(db.prepare(`SELECT count(*) AS n FROM ${table} WHERE expires_at <= ?`).get(Date.now())?.n),
        0,
      );
    try {
      await until(() => expiredRows() === 0, 'the pruning timer to delete expired rows');
      expect(db.prepare('SELECT key FROM kv').all()).toEqual([{ key: 'live' }]);
    } finally {
      db.close();
      await backend.close();
    }
  });

  it('keeps committed sessions when the process is killed with SIGKILL', async () => {
    const dir = freshDir();
    const moduleUrl = pathToFileURL(fileURLToPath(new URL('../../src/sessions/sqlite.ts', import.meta.url))).href;
    const writer = `
      import pino from 'pino';
      import { createSqliteBackend } from ${JSON.stringify(moduleUrl)};
      const backend = createSqliteBackend(JSON.parse(process.env.SESSION_CONFIG), pino({ level: 'silent' }));
      await new Promise((resolve, reject) =>
        backend.store.set('survivor', JSON.parse(process.env.SESSION_DATA), (err) => (err ? reject(err) : resolve())));
      await backend.kv.set('txn', { state: 'kept' }, 600);
      process.stdout.write('written\\n');
      setInterval(() => {}, 1 << 30);
    `;
    const data = sessionData(600_000, { user: 'alice' });
    const child = spawn(process.execPath, ['--input-type=module', '-e', writer], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { ...process.env, SESSION_CONFIG: JSON.stringify(sessionConfig({ dataDir: dir })), SESSION_DATA: JSON.stringify(data) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = once(child, 'exit');
    await until(() => out.includes('written') || child.exitCode !== null, 'the child to write its session', 20_000);
    expect(out).toContain('written');
    child.kill('SIGKILL');
    expect(await exited).toEqual([null, 'SIGKILL']);
    // The commits are still only in the write-ahead log: no clean close checkpointed them.
    expect(statSync(path.join(dir, `${SESSION_DB_FILE}-wal`)).size).toBeGreaterThan(0);

    const backend = open(dir);
    try {
      const restored = await new Promise((resolve, reject) =>
        backend.store.get('survivor', (err, sess) => (err ? reject(err) : resolve(sess))),
      );
      expect(restored).toEqual(data);
      expect(await backend.kv.get('txn')).toEqual({ state: 'kept' });
    } finally {
      await backend.close();
    }
  });

  it('moves a database file full of garbage aside, starts empty and says so once', async () => {
    const dir = freshDir();
    const garbage = 'this is not an SQLite database, just some text long enough to fill a header'.repeat(50);
    writeFileSync(path.join(dir, SESSION_DB_FILE), garbage);
    await expectRecovered(dir, /file is not a database/, [{ suffix: '', content: garbage }]);
  });

  it('moves a database aside whose write-ahead log commits a garbage page', async () => {
    const dir = freshDir();
    const before = open(dir);
    await before.kv.set('lost', 1, 600);
    await before.close();
    const file = path.join(dir, SESSION_DB_FILE);
    const wal = walCommittingGarbagePage1(readFileSync(file).readUInt16BE(16));
    writeFileSync(`${file}-wal`, wal);
    // Closing the damaged database made SQLite fold its log into the file: what is moved aside is that file.
    await expectRecovered(dir, /file is not a database/, [{ suffix: '', content: wal.subarray(56).toString('latin1') }]);
  });

  it('moves a database with a damaged table page aside', async () => {
    const dir = freshDir();
    const before = open(dir);
    for (let i = 0; i < 50; i++) await before.kv.set(`k${i}`, 'x'.repeat(500), 600);
    await before.close();
    const file = path.join(dir, SESSION_DB_FILE);
    const bytes = readFileSync(file);
    // Page 1 (the header and schema) stays intact; every page after it is overwritten.
    bytes.fill('garbage ', bytes.readUInt16BE(16));
    writeFileSync(file, bytes);
    await expectRecovered(dir, /malformed|integrity check failed/, [{ suffix: '' }]);
  });

  it('refuses to boot when the database path is not a readable file, naming it', () => {
    const dir = freshDir();
    const file = path.join(dir, SESSION_DB_FILE);
    mkdirSync(file);
    expect(() => open(dir)).toThrow(`Session database ${file} cannot be used`);
  });

  it('refuses to boot when DATA_DIR cannot be a writable directory, naming it', () => {
    // Tests run as root, which ignores permission bits: a path under a regular file fails for anyone.
    const file = path.join(freshDir(), 'a-file');
    writeFileSync(file, '');
    const dataDir = path.join(file, 'sub');
    expect(() => open(dataDir)).toThrow(`DATA_DIR ${dataDir} is not a writable directory: ENOTDIR`);
  });
});
