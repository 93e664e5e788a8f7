import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import pino from 'pino';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredTokens } from '../../src/sessions/record.ts';
import { createMemoryBackend } from '../../src/sessions/memory.ts';
import { createRedisBackend } from '../../src/sessions/redis.ts';
import { createSqliteBackend } from '../../src/sessions/sqlite.ts';
import { sessionWrites, setStored, type StoredSession } from '../../src/sessions/writes.ts';
import { tokenCipher } from '../../src/sessions/tokenCipher.ts';
import type { SessionBackend } from '../../src/sessions/types.ts';
import { sessionData } from './store.contract.ts';
import { startRedis, type RedisServer } from '../fixtures/redis.ts';
import { sessionConfig } from './sessionConfig.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'lzc-at-rest-'));
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.close();
  rmSync(root, { recursive: true, force: true });
});

const silent = pino({ level: 'silent' });
const SECRET = 'at-rest-test-secret-at-least-32-characters';
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** Tokens shaped like a real provider's: RS256-signed JWTs for the ID and access tokens, an opaque refresh token. */
async function realisticTokens(obtainedAt: number): Promise<StoredTokens> {
  const jwt = (claims: Record<string, unknown>) =>
    new SignJWT({ ...claims, jti: randomUUID() })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'JWT' })
      .setIssuer('https://id.example.test')
      .setSubject('alice')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
  return {
    obtainedAt,
    idToken: await jwt({ aud: 'lzc-oidc', nonce: randomUUID(), name: 'Alice', email: 'alice@example.test', groups: ['ADMIN'] }),
    accessToken: await jwt({ aud: 'https://api.example.test', scope: 'openid profile email groups offline_access' }),
    refreshToken: randomBytes(32).toString('base64url'),
    expiresAt: obtainedAt + 300_000,
    scope: 'openid profile email groups offline_access',
  };
}

/** Everything a leak could be found by: each whole token, and each part of a JWT on its own. */
const secretsOf = (tokens: StoredTokens[]): string[] =>
  tokens
    .flatMap((t) => [t.idToken, t.accessToken, t.refreshToken ?? ''])
    .flatMap((token) => [token, ...token.split('.')])
    .filter((s) => s.length >= 16);

/**
 * A sign-in and a refresh as the app writes them: the redeemed state's mark, the session and its owner, its tokens,
 * then rotated tokens and the session saved again. Returns every token the store was given.
 */
async function signInAndRefresh(backend: SessionBackend, id: string): Promise<StoredTokens[]> {
  const writes = sessionWrites(backend, 600, tokenCipher([SECRET]));
  await backend.kv.add('done:state-value', { returnTo: '/' }, 600);
  const first = await realisticTokens(Date.now());
  const session = sessionData(600_000, {
    user: { sub: 'alice' },
    tokenInfo: { obtainedAt: first.obtainedAt, refreshable: true },
  }) as StoredSession;
  await writes.saveTokens(id, first);
  await writes.save(id, session);
  await backend.indexSession(id, { sub: 'alice', sid: 'provider-sid' }, 600);
  const refreshed = await realisticTokens(first.obtainedAt + 1);
  await writes.saveTokens(id, refreshed);
  await writes.save(id, { ...session, tokenInfo: { obtainedAt: refreshed.obtainedAt, refreshable: true } });
  expect(await writes.tokens(id)).toEqual(refreshed);
  return [first, refreshed];
}

/** What a reader of the files finds: names of the files holding "eyJ" (any JWT's start) or any of the given tokens. */
function filesRevealing(dir: string, tokens: StoredTokens[]): string[] {
  return readdirSync(dir).filter((name) => {
    const bytes = readFileSync(path.join(dir, name));
    return bytes.includes('eyJ') || secretsOf(tokens).some((s) => bytes.includes(s));
  });
}

describe('tokens at rest', () => {
  it('leaves no JWT or token readable in any SQLite file: database, write-ahead log, shared memory', async () => {
    const dir = path.join(root, randomUUID());
    const backend = createSqliteBackend(sessionConfig({ dataDir: dir }), silent);
    let tokens: StoredTokens[];
    try {
      tokens = await signInAndRefresh(backend, 'sqlite-session');
      // Not yet checkpointed: the commits are in the write-ahead log.
      expect(readdirSync(dir).sort()).toEqual(['sessions.sqlite', 'sessions.sqlite-shm', 'sessions.sqlite-wal']);
      expect(readFileSync(path.join(dir, 'sessions.sqlite-wal')).length).toBeGreaterThan(0);
      expect(filesRevealing(dir, tokens)).toEqual([]);
    } finally {
      await backend.close();
    }
    // Closed: checkpointed into the database file.
    expect(readdirSync(dir)).toEqual(['sessions.sqlite']);
    expect(filesRevealing(dir, tokens)).toEqual([]);
  });

  it('leaves no JWT or token readable in any Redis value', async () => {
    const prefix = `at-rest-${randomUUID()}:`;
    const backend = await createRedisBackend(sessionConfig({ store: 'redis', redisUrl: redis.url, redisPrefix: prefix }), silent);
    const client = await createClient({ url: redis.url }).connect();
    try {
      const tokens = await signInAndRefresh(backend, 'redis-session');
      const keys = await client.keys(`${prefix}*`);
      expect(keys.some((key) => key.endsWith('tokens:redis-session'))).toBe(true);
      const values: string[] = [];
      for (const key of keys) {
        const type = await client.type(key);
        values.push(...(type === 'zset' ? await client.zRange(key, 0, -1) : [String(await client.get(key))]));
      }
      for (const value of values) {
        expect(value).not.toContain('eyJ');
        for (const secret of secretsOf(tokens)) expect(value).not.toContain(secret);
      }
    } finally {
      client.destroy();
      await backend.close();
    }
  });

  const backends: Array<[string, () => Promise<SessionBackend>]> = [
    ['memory', async () => createMemoryBackend(sessionConfig({ store: 'memory' }), silent)],
    ['sqlite', async () => createSqliteBackend(sessionConfig({ dataDir: path.join(root, randomUUID()) }), silent)],
    [
      'redis',
      () => createRedisBackend(sessionConfig({ store: 'redis', redisUrl: redis.url, redisPrefix: `at-rest-${randomUUID()}:` }), silent),
    ],
  ];

  describe.each(backends)('%s store', (_name, makeBackend) => {
    const withBackend = async (fn: (backend: SessionBackend) => Promise<void>) => {
      const backend = await makeBackend();
      try {
        await fn(backend);
      } finally {
        await backend.close();
      }
    };

    it('stores tokens sealed, and reads them back', () =>
      withBackend(async (backend) => {
        const tokens = await realisticTokens(Date.now());
        await sessionWrites(backend, 600, tokenCipher([SECRET])).saveTokens('s', tokens);
        const raw = await backend.kv.get('tokens:s');
        expect(raw).toMatch(/^v1\.[0-9a-f]+\.[0-9a-f]+\.[0-9a-f]+$/);
        expect(await sessionWrites(backend, 600, tokenCipher([SECRET])).tokens('s')).toEqual(tokens);
      }));

    it('reads tokens stored in plain JSON before they were sealed, and seals them at the next save', () =>
      withBackend(async (backend) => {
        const writes = sessionWrites(backend, 600, tokenCipher([SECRET]));
        const legacy = await realisticTokens(Date.now());
        // Exactly what the previous version wrote.
        await backend.kv.set('tokens:legacy', legacy, 600);
        await setStored(backend.store, 'legacy', sessionData(600_000, { user: { sub: 'alice' } }));
        expect(await writes.tokens('legacy')).toEqual(legacy);
        const older = await realisticTokens(legacy.obtainedAt - 1);
        await writes.saveTokens('legacy', older);
        expect(await writes.tokens('legacy')).toEqual(legacy);
        const refreshed = await realisticTokens(legacy.obtainedAt + 1);
        await writes.saveTokens('legacy', refreshed);
        expect(await backend.kv.get('tokens:legacy')).toMatch(/^v1\./);
        expect(await writes.tokens('legacy')).toEqual(refreshed);
      }));

    it('rotates SESSION_SECRET: tokens sealed with the old secret still read, new ones are sealed with the newest', () =>
      withBackend(async (backend) => {
        const OLD = 'old-secret-old-secret-old-secret-0001';
        const NEW = 'new-secret-new-secret-new-secret-0002';
        const before = await realisticTokens(Date.now());
        await sessionWrites(backend, 600, tokenCipher([OLD])).saveTokens('r', before);
        const rotated = sessionWrites(backend, 600, tokenCipher([NEW, OLD]));
        expect(await rotated.tokens('r')).toEqual(before);
        const after = await realisticTokens(before.obtainedAt + 1);
        await rotated.saveTokens('r', after);
        expect(await sessionWrites(backend, 600, tokenCipher([NEW])).tokens('r')).toEqual(after);
        expect(await sessionWrites(backend, 600, tokenCipher([OLD])).tokens('r')).toBeUndefined();
      }));

    it('treats tokens it cannot open (another secret, altered) as gone, and can store new ones', () =>
      withBackend(async (backend) => {
        const writes = sessionWrites(backend, 600, tokenCipher([SECRET]));
        await sessionWrites(backend, 600, tokenCipher(['some-other-secret-some-other-secret-00'])).saveTokens(
          'x',
          await realisticTokens(Date.now()),
        );
        expect(await writes.tokens('x')).toBeUndefined();
        await backend.kv.set('tokens:y', 'v1.00.zz.00', 600);
        expect(await writes.tokens('y')).toBeUndefined();
        const fresh = await realisticTokens(Date.now());
        await writes.saveTokens('x', fresh);
        expect(await writes.tokens('x')).toEqual(fresh);
      }));
  });
});
