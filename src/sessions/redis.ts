import { setTimeout as delay } from 'node:timers/promises';
import { RedisStore } from 'connect-redis';
import type { Store } from 'express-session';
import type { Logger } from 'pino';
import { createClient } from 'redis';
import type { SessionConfig } from '../config/types.ts';
import type { KeyValue, SessionBackend } from './types.ts';
import { findOwned, guarded, sessionTtlSec, storeUnavailable } from './shared.ts';

export interface RedisBackendOptions {
  /** How long boot waits for the first connection before starting anyway (requests get 503 until Redis answers). */
  bootWaitMs?: number;
  /** Upper bound for one command, so a Redis that accepts connections but never answers cannot hang a request. */
  commandTimeoutMs?: number;
}

const STORE_METHODS = ['get', 'set', 'touch', 'destroy', 'clear', 'length', 'ids', 'all'] as const;
const MAX_RECONNECT_DELAY_MS = 2000;

/** Retry forever, 50 ms doubling up to 2 s, with jitter so many instances don't reconnect in lockstep. */
function reconnectDelay(retries: number): number {
  return Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY_MS) + Math.floor(Math.random() * 100);
}

/** connect-redis hands raw client errors to express-session; turn them into the app's 503 error. */
function mapStoreErrors(store: Store): void {
  const methods = store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of STORE_METHODS) {
    const original = methods[name]!.bind(store);
    methods[name] = (...args) => {
      const cb = args.at(-1);
      if (typeof cb !== 'function') return original(...args).catch((err: unknown) => Promise.reject(storeUnavailable(err)));
      args[args.length - 1] = (err: unknown, value: unknown) => cb(err ? storeUnavailable(err) : err, value);
      return original(...args);
    };
  }
}

/**
 * Redis backend for running several instances: sessions through connect-redis, pending sign-ins
 * and the owner index beside them under the same prefix. The offline queue is disabled, so while
 * Redis is down every call rejects at once with SESSION_STORE_UNAVAILABLE instead of piling up;
 * the client keeps reconnecting in the background and the same backend works again when Redis returns.
 */
export async function createRedisBackend(
  config: SessionConfig,
  logger: Logger,
  options: RedisBackendOptions = {},
): Promise<SessionBackend> {
  if (!config.redisUrl) throw new Error('SESSION_STORE=redis needs REDIS_URL');
  let client;
  try {
    client = createClient({
      url: config.redisUrl,
      disableOfflineQueue: true,
      commandOptions: { timeout: options.commandTimeoutMs ?? 2000 },
      socket: { connectTimeout: 2000, reconnectStrategy: reconnectDelay },
    });
  } catch (err) {
    // The URL may hold a password: say what is wrong, never echo it.
    throw new Error(`REDIS_URL is not usable: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  // Without a listener an 'error' event would crash the process; each failed reconnect emits one.
  client.on('error', (err: unknown) => logger.warn({ err }, 'session store (Redis) unavailable; reconnecting'));
  client.on('ready', () => logger.info('session store (Redis) connected'));

  const connected = client.connect().then(
    () => true,
    // Rejects only when close() interrupts connecting; the causes were already logged as 'error' events.
    () => false,
  );
  const ready = await Promise.race([connected, delay(options.bootWaitMs ?? 5000, false, { ref: false })]);
  if (!ready) logger.warn('session store (Redis) not reachable at boot; serving 503 until it is');

  const p = config.redisPrefix;
  const ownerKey = (field: string, value: string): string => `${p}owner:${field}:${value}`;
  const store = new RedisStore({
    client,
    prefix: `${p}sess:`,
    ttl: (sess) => sessionTtlSec(sess, config.idleTimeoutSec),
  });
  mapStoreErrors(store);

  const parse = <T>(raw: string | null): T | undefined => (raw === null ? undefined : (JSON.parse(raw) as T));
  const kv: KeyValue = {
    get: <T>(key: string) => guarded(async () => parse<T>(await client.get(`${p}kv:${key}`))),
    set: (key, value, ttlSec) =>
      guarded(async () => {
        await client.set(`${p}kv:${key}`, JSON.stringify(value), { expiration: { type: 'EX', value: Math.max(1, Math.ceil(ttlSec)) } });
      }),
    take: <T>(key: string) => guarded(async () => parse<T>(await client.getDel(`${p}kv:${key}`))),
    delete: (key) =>
      guarded(async () => {
        await client.del(`${p}kv:${key}`);
      }),
  };

  return {
    kind: 'redis',
    store,
    kv,
    // A sorted set per owner, scored by expiry: members age out one by one, and the key itself
    // lives as long as its longest member (EXPIRE NX sets it once, GT only ever extends it).
    indexSession: (sessionId, owner, ttlSec) =>
      guarded(async () => {
        const now = Date.now();
        const seconds = Math.max(1, Math.ceil(ttlSec));
        const multi = client.multi();
        for (const [field, value] of [['sub', owner.sub], ['sid', owner.sid]] as const) {
          if (value === undefined) continue;
          const key = ownerKey(field, value);
          multi
            .zAdd(key, { score: now + seconds * 1000, value: sessionId })
            .zRemRangeByScore(key, '-inf', now)
            .expire(key, seconds, 'NX')
            .expire(key, seconds, 'GT');
        }
        await multi.exec();
      }),
    findSessions: (query) =>
      guarded(() => findOwned(query, (field, value) => client.zRangeByScore(ownerKey(field, value), Date.now() + 1, '+inf'))),
    ping: () =>
      guarded(async () => {
        await client.ping();
      }),
    close: async () => {
      if (client.isReady) await client.close();
      else client.destroy();
      await connected;
    },
  };
}
