import { randomUUID } from 'node:crypto';
import type { SessionData } from 'express-session';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors/AppError.ts';
import type { SessionBackend } from '../../src/sessions/types.ts';
import { until } from '../fixtures/until.ts';

type Cb<T> = (err: unknown, value?: T) => void;

/** express-session's callback API as promises, so tests read top to bottom. */
function call<T>(op: (cb: Cb<T>) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => op((err, value) => (err ? reject(err) : resolve(value))));
}

/** What express-session stores: a serialised cookie (expiry included) plus the app's fields. */
export function sessionData(expiresInMs: number | null, fields: Record<string, unknown> = {}): SessionData {
  const expires = expiresInMs === null ? null : new Date(Date.now() + expiresInMs).toISOString();
  return { cookie: { originalMaxAge: expiresInMs, expires, httpOnly: true, path: '/' }, ...fields } as unknown as SessionData;
}

export const storeUnavailable = expect.objectContaining({ name: 'AppError', code: 'SESSION_STORE_UNAVAILABLE', status: 503 });

/**
 * The behaviour every SessionBackend must share, whatever holds the data. Each test gets a fresh
 * backend from makeBackend (which must isolate it, e.g. by a unique Redis prefix) and closes it.
 */
export function runSessionStoreContract(name: string, makeBackend: () => Promise<SessionBackend>): void {
  describe(`${name} session backend`, () => {
    let backend: SessionBackend;
    const get = (id: string) => call<SessionData | null>((cb) => backend.store.get(id, cb));
    const set = (id: string, data: SessionData) => call<void>((cb) => backend.store.set(id, data, cb));
    const exists = async (id: string) => (await get(id)) != null;

    beforeEach(async () => {
      backend = await makeBackend();
    });
    afterEach(async () => {
      await backend.close();
    });

    it('stores, reads back and destroys a session', async () => {
      const id = randomUUID();
      const data = sessionData(60_000, { user: { sub: 'alice', name: '爱丽丝' } });
      await set(id, data);
      expect(await get(id)).toEqual(data);
      await call<void>((cb) => backend.store.destroy(id, cb));
      expect(await get(id)).toBeNull();
      expect(await get(randomUUID())).toBeNull();
    });

    it('uses the idle timeout for a browser-session cookie without expiry', async () => {
      const id = randomUUID();
      await set(id, sessionData(null, { n: 1 }));
      expect(await get(id)).toMatchObject({ n: 1 });
    });

    it('does not keep a session whose cookie has already expired', async () => {
      const id = randomUUID();
      await set(id, sessionData(60_000));
      await set(id, sessionData(-1000));
      expect(await get(id)).toBeNull();
    });

    it('forgets a session when its cookie expires, unless touch() extended it', async () => {
      const [expiring, touched] = [randomUUID(), randomUUID()];
      await set(expiring, sessionData(1000));
      await set(touched, sessionData(1000, { kept: true }));
      // express-session's typings omit touch's error argument; every real store passes one.
      await call<void>((cb) => backend.store.touch!(touched, sessionData(60_000), cb as () => void));
      await until(async () => !(await exists(expiring)), 'the untouched session to expire');
      expect(await get(touched)).toMatchObject({ kept: true });
    });

    it('lists, counts and clears sessions', async () => {
      await call<void>((cb) => backend.store.clear!(cb));
      const ids = [randomUUID(), randomUUID(), randomUUID()];
      for (const id of ids) await set(id, sessionData(60_000, { id }));
      expect(await call<number>((cb) => backend.store.length!(cb))).toBe(3);
      const all = (await call<SessionData[]>((cb) => backend.store.all!(cb as Cb<unknown>))) ?? [];
      expect(all.map((s) => (s as unknown as { id: string }).id).sort()).toEqual([...ids].sort());
      await call<void>((cb) => backend.store.clear!(cb));
      expect(await call<number>((cb) => backend.store.length!(cb))).toBe(0);
    });

    it('keeps short-lived records: get, set, delete and expiry', async () => {
      const key = `txn:${randomUUID()}`;
      expect(await backend.kv.get(key)).toBeUndefined();
      await backend.kv.set(key, { state: 's', nonce: 'n' }, 60);
      expect(await backend.kv.get(key)).toEqual({ state: 's', nonce: 'n' });
      await backend.kv.delete(key);
      expect(await backend.kv.get(key)).toBeUndefined();

      const short = `txn:${randomUUID()}`;
      await backend.kv.set(short, 'soon gone', 1);
      await until(async () => (await backend.kv.get(short)) === undefined, 'the record to expire');
      // An expired record is gone for add() too: a seen-once marker frees its key when it expires.
      expect(await backend.kv.add(short, 'again', 60)).toBe(true);
    });

    it('gives a live record a new time to live without changing it, and ignores an absent one', async () => {
      const [key, absent] = [`tokens:${randomUUID()}`, `tokens:${randomUUID()}`];
      await backend.kv.set(key, { v: 1 }, 1);
      await backend.kv.touch(key, 60);
      await backend.kv.touch(absent, 60);
      expect(await backend.kv.get(absent)).toBeUndefined();
      const short = `tokens:${randomUUID()}`;
      await backend.kv.set(short, { v: 2 }, 60);
      await backend.kv.touch(short, 1);
      await until(async () => (await backend.kv.get(short)) === undefined, 'the shortened record to expire');
      expect(await backend.kv.get(key)).toEqual({ v: 1 });
    });

    it('adds a record only when absent, to exactly one of many concurrent callers', async () => {
      const key = `jti:${randomUUID()}`;
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => backend.kv.add(key, i, 60)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await backend.kv.get(key)).toBe(results.indexOf(true));
      expect(await backend.kv.add(key, 'again', 60)).toBe(false);
    });

    it('treats an expired record as absent when adding', async () => {
      const key = `jti:${randomUUID()}`;
      expect(await backend.kv.add(key, 'first', 1)).toBe(true);
      await until(async () => (await backend.kv.get(key)) === undefined, 'the record to expire');
      expect(await backend.kv.add(key, 'second', 60)).toBe(true);
      expect(await backend.kv.get(key)).toBe('second');
    });

    it('releases a record only while it holds the given value, to exactly one of many concurrent callers', async () => {
      const key = `lock:${randomUUID()}`;
      expect(await backend.kv.release(key, 'me')).toBe(false);
      await backend.kv.add(key, 'me', 60);
      expect(await backend.kv.release(key, 'someone else')).toBe(false);
      expect(await backend.kv.get(key)).toBe('me');
      const results = await Promise.all(Array.from({ length: 20 }, () => backend.kv.release(key, 'me')));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await backend.kv.get(key)).toBeUndefined();
    });

    it("does not release a lock another holder took after the first one's expired", async () => {
      const key = `lock:${randomUUID()}`;
      expect(await backend.kv.add(key, 'first', 1)).toBe(true);
      await until(async () => backend.kv.add(key, 'second', 60), 'the first lock to expire and the second to take it');
      expect(await backend.kv.release(key, 'first')).toBe(false);
      expect(await backend.kv.get(key)).toBe('second');
    });

    it('finds sessions by user sub and by provider sid', async () => {
      const [alice, bob] = [`alice-${randomUUID()}`, `bob-${randomUUID()}`];
      const [sidX, sidY] = [randomUUID(), randomUUID()];
      await backend.indexSession('s1', { sub: alice, sid: sidX }, 60);
      await backend.indexSession('s2', { sub: alice, sid: sidY }, 60);
      await backend.indexSession('s3', { sub: bob, sid: sidX }, 60);
      await backend.indexSession('s4', { sub: bob }, 60);

      expect((await backend.findSessions({ sub: alice })).sort()).toEqual(['s1', 's2']);
      expect((await backend.findSessions({ sid: sidX })).sort()).toEqual(['s1', 's3']);
      expect(await backend.findSessions({ sub: alice, sid: sidX })).toEqual(['s1']);
      expect((await backend.findSessions({ sub: bob })).sort()).toEqual(['s3', 's4']);
      expect(await backend.findSessions({ sub: `nobody-${randomUUID()}` })).toEqual([]);
      expect(await backend.findSessions({})).toEqual([]);
    });

    it('drops an owner index entry when its ttl runs out', async () => {
      const sub = `carol-${randomUUID()}`;
      await backend.indexSession('short', { sub }, 1);
      await backend.indexSession('long', { sub }, 60);
      await until(async () => !(await backend.findSessions({ sub })).includes('short'), 'the short entry to expire');
      expect(await backend.findSessions({ sub })).toEqual(['long']);
    });

    it('answers ping, and fails every call as SESSION_STORE_UNAVAILABLE once closed', async () => {
      await expect(backend.ping()).resolves.toBeUndefined();
      await backend.close();
      await expect(backend.ping()).rejects.toBeInstanceOf(AppError);
      await expect(backend.ping()).rejects.toEqual(storeUnavailable);
      await expect(backend.kv.get('k')).rejects.toEqual(storeUnavailable);
      await expect(backend.kv.add('k', 1, 60)).rejects.toEqual(storeUnavailable);
      await expect(backend.findSessions({ sub: 'x' })).rejects.toEqual(storeUnavailable);
      await expect(get('s')).rejects.toEqual(storeUnavailable);
      await expect(set('s', sessionData(60_000))).rejects.toEqual(storeUnavailable);
    });
  });
}
