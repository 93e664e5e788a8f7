import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.ts';
import { createSessionBackend } from '../../src/sessions/index.ts';
import { getStored, sessionWrites, type StoredSession } from '../../src/sessions/writes.ts';
import { tokenCipher } from '../../src/sessions/tokenCipher.ts';
import type { StoredTokens } from '../../src/sessions/record.ts';
import { sessionConfig } from './sessionConfig.ts';
import { until } from '../fixtures/until.ts';

const session = (obtainedAt: number, expiresAt: number, cookieMs = 3_600_000): StoredSession =>
  ({
    cookie: { originalMaxAge: cookieMs, expires: new Date(Date.now() + cookieMs).toISOString() },
    tokenInfo: { obtainedAt, expiresAt, refreshable: true },
  }) as unknown as StoredSession;
const tokens = (obtainedAt: number, refreshToken: string): StoredTokens => ({ obtainedAt, idToken: 'i', accessToken: 'a', refreshToken });

async function withWrites(
  fn: (writes: ReturnType<typeof sessionWrites>, backend: Awaited<ReturnType<typeof createSessionBackend>>) => Promise<void>,
) {
  const backend = await createSessionBackend(sessionConfig({ store: 'memory' }), createLogger('silent'));
  try {
    await fn(sessionWrites(backend, 600, tokenCipher(['writes-test-secret-at-least-32-characters'])), backend);
  } finally {
    await backend.close();
  }
}

describe('sessionWrites', () => {
  it('never lets a stale copy replace newer (rotated) tokens, or newer token info', () =>
    withWrites(async (writes, backend) => {
      await writes.saveTokens('s1', tokens(2000, 'rt-new'));
      await writes.saveTokens('s1', tokens(1000, 'rt-old'));
      expect((await writes.tokens('s1'))?.refreshToken).toBe('rt-new');
      await writes.saveTokens('s1', tokens(3000, 'rt-newest'));
      expect((await writes.tokens('s1'))?.refreshToken).toBe('rt-newest');

      await writes.save('s1', session(3000, 9000));
      await writes.save('s1', session(1000, 5000));
      expect((await getStored(backend.store, 's1'))?.tokenInfo?.expiresAt).toBe(9000);
    }));

  it('never lets a stale copy bring back claims that a refresh or a userinfo re-read replaced', () =>
    withWrites(async (writes, backend) => {
      const withUser = (s: StoredSession, groups: string[], userinfoAt?: number): StoredSession =>
        ({
          ...s,
          user: { sub: 'u', groups },
          tokenInfo: { ...s.tokenInfo, ...(userinfoAt !== undefined && { userinfoAt }) },
        }) as StoredSession;
      const stale = withUser(session(1000, 5000), ['ADMIN']);
      await writes.save('s2', stale);
      await writes.save('s2', withUser(session(2000, 6000), []));
      await writes.save('s2', stale);
      expect((await getStored(backend.store, 's2'))?.user?.groups).toEqual([]);
      // No new tokens, only a userinfo re-read that dropped the group (Dex).
      await writes.save('s4', stale);
      await writes.save('s4', withUser(session(1000, 5000), [], 1500));
      await writes.save('s4', stale);
      expect((await getStored(backend.store, 's4'))?.user?.groups).toEqual([]);
    }));

  it('lets the tokens expire with their session, not later', () =>
    withWrites(async (writes, backend) => {
      await writes.saveTokens('s3', tokens(1000, 'rt'));
      await writes.save('s3', session(1000, 5000, 1000));
      expect((await writes.tokens('s3'))?.refreshToken).toBe('rt');
      await until(async () => (await getStored(backend.store, 's3')) === undefined, 'the session to idle out');
      await until(async () => (await writes.tokens('s3')) === undefined, 'its tokens to go with it');
    }));

  it('does not bring tokens back when the session ends while they are being saved', () =>
    withWrites(async (writes, backend) => {
      const get = backend.kv.get.bind(backend.kv);
      let ended = false;
      // A logout elsewhere lands between saveTokens' checks and its write.
      backend.kv.get = async <T>(key: string): Promise<T | undefined> => {
        const value = await get<T>(key);
        if (key === 'tokens:s4' && !ended) {
          ended = true;
          await writes.end('s4');
        }
        return value;
      };
      await writes.saveTokens('s4', tokens(1000, 'rt'));
      expect(ended).toBe(true);
      expect(await writes.tokens('s4')).toBeUndefined();
    }));

  it('does not bring a session back when it ends while it is being saved', () =>
    withWrites(async (writes, backend) => {
      const get = backend.kv.get.bind(backend.kv);
      let ended = false;
      // A logout elsewhere lands between save's look for a tombstone and its write.
      backend.kv.get = async <T>(key: string): Promise<T | undefined> => {
        const value = await get<T>(key);
        if (key === 'ended:s5' && !ended) {
          ended = true;
          await writes.end('s5');
        }
        return value;
      };
      await writes.save('s5', session(1000, 5000));
      expect(ended).toBe(true);
      expect(await getStored(backend.store, 's5')).toBeUndefined();
    }));

  it('keeps an ended session ended and its tokens gone, whatever finishes later', () =>
    withWrites(async (writes, backend) => {
      await writes.save('s2', session(1000, 5000));
      await writes.saveTokens('s2', tokens(1000, 'rt'));
      await writes.end('s2');
      expect(await writes.tokens('s2')).toBeUndefined();
      await writes.save('s2', session(2000, 6000));
      await writes.saveTokens('s2', tokens(2000, 'rt2'));
      expect(await getStored(backend.store, 's2')).toBeUndefined();
      expect(await writes.tokens('s2')).toBeUndefined();
    }));
});
