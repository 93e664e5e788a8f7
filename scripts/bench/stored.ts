// The "stored sessions" part of `npm run bench`: fills a store with copies of a real signed-in session
// through the library's own backend code, and reports what the stores then take.
import { statSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { createClient } from 'redis';
import { loadConfig, type Env } from '../../src/config/load.ts';
import { parseCookies } from '../../src/security/cookies.ts';
import { createSessionBackend } from '../../src/sessions/index.ts';
import { SESSION_DB_FILE } from '../../src/sessions/sqlite.ts';
import { getStored, sessionWrites, setStored } from '../../src/sessions/writes.ts';
import { tokenCipher } from '../../src/sessions/tokenCipher.ts';
import { sessionIdOf } from '../../test/fixtures/stack.ts';
import { mb } from './harness.ts';

const fileSize = (file: string): number => statSync(file, { throwIfNoEntry: false })?.size ?? 0;

/** The SQLite file and its write-ahead log in DATA_DIR. */
export const sqliteSize = (dataDir: string): string =>
  `DB file ${mb(fileSize(path.join(dataDir, SESSION_DB_FILE)))} + WAL ${mb(fileSize(path.join(dataDir, `${SESSION_DB_FILE}-wal`)))}`;

/** Bytes of memory a Redis server reports in use (INFO memory used_memory). */
export async function redisUsedMemory(url: string): Promise<number> {
  const client = createClient({ url });
  await client.connect();
  try {
    return Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1] ?? NaN);
  } finally {
    client.destroy();
  }
}

/**
 * Fills the store with copies of a real signed-in session (same user, tokens and size) through the library's
 * own backend code, as many sign-ins would: express-session's store.set, the tokens beside it and the owner index.
 */
export async function storeSessions(env: Env, cookieHeader: string, count: number): Promise<number> {
  const config = loadConfig({ ...env, PORT: '0' });
  const template = sessionIdOf(parseCookies(cookieHeader).get(config.session.cookieName) ?? '');
  const backend = await createSessionBackend(config.session, pino({ level: 'silent' }));
  const started = Date.now();
  try {
    const writes = sessionWrites(backend, config.session.absoluteTimeoutSec, tokenCipher(config.session.secrets));
    const session = await getStored(backend.store, template);
    const tokens = await writes.tokens(template);
    if (!session?.user || !tokens) throw new Error('the template session is not in the store');
    // Bounded concurrency: the Redis backend caps its command queue (MAX_QUEUED_COMMANDS), and one indexSession is a multi-command MULTI.
    const batch = 50;
    for (let i = 0; i < count; i += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, count - i) }, async (_, j) => {
          const id = `bench-${i + j}`;
          await setStored(backend.store, id, session);
          await writes.saveTokens(id, tokens);
          await backend.indexSession(id, { sub: session.user.sub, sid: session.user.sid }, config.session.absoluteTimeoutSec);
        }),
      );
    }
  } finally {
    await backend.close();
  }
  return (Date.now() - started) / 1000;
}
