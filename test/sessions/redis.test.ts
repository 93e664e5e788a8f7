import { randomUUID } from 'node:crypto';
import type { SessionData } from 'express-session';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionConfig } from '../../src/config/types.ts';
import { createRedisBackend } from '../../src/sessions/redis.ts';
import type { SessionBackend } from '../../src/sessions/types.ts';
import { runSessionStoreContract, sessionData, storeUnavailable } from '../contract/sessionStore.contract.ts';
import { startRedis, type RedisServer } from '../fixtures/redis.ts';
import { until } from '../fixtures/until.ts';
import { sessionConfig } from './config.ts';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const silent = pino({ level: 'silent' });
// A prefix per backend keeps tests sharing one server from seeing (or clearing) each other's keys.
const redisConfig = (): SessionConfig => sessionConfig({ store: 'redis', redisUrl: redis.url, redisPrefix: `test-${randomUUID()}:` });

runSessionStoreContract('redis', () => createRedisBackend(redisConfig(), silent));

function getSession(backend: SessionBackend, id: string): Promise<SessionData | null | undefined> {
  return new Promise((resolve, reject) => backend.store.get(id, (err, sess) => (err ? reject(err) : resolve(sess))));
}
function setSession(backend: SessionBackend, id: string, data: SessionData): Promise<void> {
  return new Promise((resolve, reject) => backend.store.set(id, data, (err) => (err ? reject(err) : resolve())));
}
const answers = (backend: SessionBackend) => () => backend.ping().then(() => true, () => false);

describe('redis session backend: outages', () => {
  it('fails fast as SESSION_STORE_UNAVAILABLE while Redis is down and recovers by itself', async () => {
    const logged: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(line) });
    const backend = await createRedisBackend(redisConfig(), logger);
    try {
      await setSession(backend, 'before', sessionData(60_000));
      await redis.stop();

      await expect(backend.ping()).rejects.toEqual(storeUnavailable);
      await expect(backend.kv.set('k', 1, 60)).rejects.toEqual(storeUnavailable);
      await expect(backend.kv.take('k')).rejects.toEqual(storeUnavailable);
      await expect(backend.indexSession('s', { sub: 'u' }, 60)).rejects.toEqual(storeUnavailable);
      await expect(getSession(backend, 'before')).rejects.toEqual(storeUnavailable);
      await expect(setSession(backend, 'during', sessionData(60_000))).rejects.toEqual(storeUnavailable);
      // Reconnect failures went to the log, not to an unhandled 'error' event.
      await until(() => logged.some((line) => line.includes('reconnecting')), 'the outage to be logged');

      await redis.restart();
      await until(answers(backend), 'the same backend to reconnect');
      await setSession(backend, 'after', sessionData(60_000, { back: true }));
      expect(await getSession(backend, 'after')).toMatchObject({ back: true });
      await backend.kv.set('k', 'v', 60);
      expect(await backend.kv.take('k')).toBe('v');
    } finally {
      await backend.close();
    }
  });

  it('bounds each command when Redis accepts connections but stops answering', async () => {
    const backend = await createRedisBackend(redisConfig(), silent, { commandTimeoutMs: 300 });
    try {
      await backend.kv.set('k', 'before', 60);
      redis.pause();
      try {
        await expect(backend.kv.get('k')).rejects.toEqual(storeUnavailable);
        await expect(getSession(backend, 's')).rejects.toEqual(storeUnavailable);
      } finally {
        redis.resume();
      }
      // Replies to the abandoned commands arrive late; they must not be handed to later ones.
      await until(answers(backend), 'Redis to answer again');
      await backend.kv.set('other', 'after', 60);
      expect(await backend.kv.get('other')).toBe('after');
      expect(await backend.kv.get('k')).toBe('before');
    } finally {
      await backend.close();
    }
  });

  it('boots while Redis is down, answering 503 until it comes up', async () => {
    await redis.stop();
    const backend = await createRedisBackend(redisConfig(), silent, { bootWaitMs: 100 });
    try {
      await expect(backend.ping()).rejects.toEqual(storeUnavailable);
      await redis.restart();
      await until(answers(backend), 'the first connection');
      await backend.kv.set('k', 1, 60);
      expect(await backend.kv.get('k')).toBe(1);
    } finally {
      await backend.close();
    }
  });

  it('refuses to boot without a usable REDIS_URL', async () => {
    await expect(createRedisBackend(sessionConfig({ store: 'redis', redisUrl: undefined }), silent)).rejects.toThrow(
      'SESSION_STORE=redis needs REDIS_URL',
    );
    await expect(createRedisBackend(sessionConfig({ store: 'redis', redisUrl: 'http://user:hunter2@example' }), silent)).rejects.toThrow(
      /^REDIS_URL is not usable: (?!.*hunter2)/,
    );
  });
});
