import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.ts';
import { createSessionBackend } from '../../src/sessions/index.ts';
import { getStored, sessionWrites, type StoredSession } from '../../src/sessions/storeOps.ts';
import { sessionConfig } from './config.ts';

const session = (obtainedAt: number, refreshToken: string): StoredSession =>
  ({
    cookie: { originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000).toISOString() },
    tokens: { obtainedAt, idToken: 'i', accessToken: 'a', refreshToken },
  }) as unknown as StoredSession;

describe('sessionWrites', () => {
  it('never lets a stale copy replace newer (rotated) tokens', async () => {
    const backend = await createSessionBackend(sessionConfig({ store: 'memory' }), createLogger('silent'));
    const writes = sessionWrites(backend, 600);
    try {
      await writes.save('s1', session(2000, 'rt-new'));
      await writes.save('s1', session(1000, 'rt-old'));
      expect((await getStored(backend.store, 's1'))?.tokens?.refreshToken).toBe('rt-new');
      await writes.save('s1', session(3000, 'rt-newest'));
      expect((await getStored(backend.store, 's1'))?.tokens?.refreshToken).toBe('rt-newest');
    } finally {
      await backend.close();
    }
  });

  it('keeps an ended session ended, whatever finishes later', async () => {
    const backend = await createSessionBackend(sessionConfig({ store: 'memory' }), createLogger('silent'));
    const writes = sessionWrites(backend, 600);
    try {
      await writes.save('s2', session(1000, 'rt'));
      await writes.end('s2');
      await writes.save('s2', session(2000, 'rt2'));
      expect(await getStored(backend.store, 's2')).toBeUndefined();
    } finally {
      await backend.close();
    }
  });
});
