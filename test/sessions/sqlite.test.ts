import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteBackend, SESSION_DB_FILE, type SqliteBackendOptions } from '../../src/sessions/sqlite.ts';
import { runSessionStoreContract, sessionData } from '../contract/sessionStore.contract.ts';
import { until } from '../fixtures/until.ts';
import { sessionConfig } from './config.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'lzc-sessions-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const silent = pino({ level: 'silent' });
const freshDir = () => mkdtempSync(path.join(root, 'data-'));
const open = (dataDir: string, options?: SqliteBackendOptions) => createSqliteBackend(sessionConfig({ dataDir }), silent, options);

runSessionStoreContract('sqlite', async () => open(freshDir()));

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
      expect(await backend.kv.take('txn')).toEqual({ state: 'kept' });
    } finally {
      await backend.close();
    }
  });

  it('refuses to boot on a corrupt database file, naming it', () => {
    const dir = freshDir();
    const file = path.join(dir, SESSION_DB_FILE);
    writeFileSync(file, 'this is not an SQLite database, just some text long enough to fill a header'.repeat(50));
    expect(() => open(dir)).toThrow(`Session database ${file} cannot be used: file is not a database`);
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
