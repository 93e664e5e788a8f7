import { setTimeout as delay } from 'node:timers/promises';
import { RedisStore } from 'connect-redis';
import type { Store } from 'express-session';
import type { Logger } from '../log/logger.ts';
import { createClient } from 'redis';
import type { SessionConfig } from '../config/types.ts';
import type { KeyValue, SessionBackend } from './types.ts';
import { errorMessage, guarded } from './storeErrors.ts';
import { findOwned } from './ownerQuery.ts';
import { sessionTtlSec } from './record.ts';

export interface RedisBackendOptions {
  /** How long boot waits for the first connection before starting anyway (requests get 503 until Redis answers). */
  bootWaitMs?: number;
  /** Upper bound for one operation, so a Redis that accepts connections but never answers cannot hang a request. */
  commandTimeoutMs?: number;
}

const STORE_METHODS = ['get', 'set', 'touch', 'destroy', 'clear', 'length', 'ids', 'all'] as const;
const MAX_RECONNECT_DELAY_MS = 2000;
/** Upper bound for one operation unless commandTimeoutMs says otherwise. */
const COMMAND_TIMEOUT_MS = 2000;
// node-redis only times out commands not yet written, so the deadline is enforced here. Commands
// abandoned by it wait for their (late) reply in order; the queue cap bounds how many can pile up.
const MAX_QUEUED_COMMANDS = 10_000;
// An idle connection PINGs every 5 s; 15 s without any reply means the server hung: drop and reconnect.
const PING_INTERVAL_MS = 5000;
const SOCKET_TIMEOUT_MS = 15_000;

// Compare-and-delete in one server-side step: no other client's command can run between the GET and the DEL.
const RELEASE_SCRIPT = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

// EXPIRE … NX/GT (the owner index) came with Redis 7.0.
const MIN_VERSION = [7, 0] as const;

/** Why the server that gave this INFO SERVER answer cannot hold the sessions, or undefined when it can. */
export function redisVersionProblem(info: string): string | undefined {
  const needed = `lzc-oidc needs Redis ${MIN_VERSION.join('.')} or newer (EXPIRE NX/GT)`;
  const version = /^redis_version:([^\r\n]*)/m.exec(info)?.[1]?.trim();
  const [major, minor] = (version ?? '').split('.').map(Number);
  if (major === undefined || minor === undefined || !Number.isInteger(major) || !Number.isInteger(minor)) {
    return `Redis server did not report a usable version (redis_version: ${version ?? 'missing'}); ${needed}`;
  }
  const [minMajor, minMinor] = MIN_VERSION;
  return major > minMajor || (major === minMajor && minor >= minMinor) ? undefined : `Redis server is version ${version}; ${needed}`;
}

/** Retry forever, 50 ms doubling up to 2 s, with jitter so many instances don't reconnect in lockstep. */
function reconnectDelay(retries: number): number {
  return Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY_MS) + Math.floor(Math.random() * 100);
}

/** Settles with the operation, or rejects once ms have passed without an answer. */
function withDeadline<T>(op: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([op, expired]).finally(() => clearTimeout(timer));
}

type Run = <T>(op: () => Promise<T>) => Promise<T>;

/**
 * connect-redis hands raw client errors to express-session and waits as long as the client does:
 * run each store method under the deadline, failing as the app's 503 error.
 */
function guardStore(store: Store, run: Run): void {
  const methods = store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of STORE_METHODS) {
    const original = methods[name]!.bind(store);
    methods[name] = (...args) => {
      // Called without its callback, connect-redis returns the result or throws: the form run() needs.
      const cb = typeof args.at(-1) === 'function' ? (args.pop() as (err: unknown, value?: unknown) => void) : undefined;
      const result = run(() => original(...args));
      if (!cb) return result;
      return result.then((value) => cb(null, value), cb);
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
      commandsQueueMaxLength: MAX_QUEUED_COMMANDS,
      pingInterval: PING_INTERVAL_MS,
      socket: { connectTimeout: 2000, socketTimeout: SOCKET_TIMEOUT_MS, reconnectStrategy: reconnectDelay },
    });
  } catch (err) {
    // The URL may hold a password: say what is wrong, never echo it.
    throw new Error(`REDIS_URL is not usable: ${errorMessage(err)}`, { cause: err });
  }
  const timeoutMs = options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS;
  // Without a listener an 'error' event would crash the process. Every failed reconnect emits one,
  // so an outage is logged once as a warning and its repeats only at debug level.
  let down = false;
  client.on('error', (err: unknown) => {
    logger[down ? 'debug' : 'warn']({ err }, 'session store (Redis) unavailable; reconnecting');
    down = true;
  });
  // Every connection is checked, not only the first: Redis may be down at boot, and a reconnect can reach another
  // server (a failover). Until a server is found usable, every call fails as 503 instead of half-working.
  let versionProblem: string | undefined;
  let versionChecked = Promise.resolve();
  client.on('ready', () => {
    down = false;
    versionChecked = withDeadline(client.info('server'), timeoutMs).then(
      (info) => {
        versionProblem = redisVersionProblem(info);
        if (versionProblem) logger.error(`session store (Redis) unusable: ${versionProblem}`);
        else logger.info('session store (Redis) connected');
      },
      // An old server answers INFO like any other, so a failed INFO (a slow moment, an ACL without it) says nothing
      // about the version: carry on rather than refuse a server that may well be fine.
      (err: unknown) => {
        versionProblem = undefined;
        logger.warn({ err }, 'session store (Redis) connected, but its version could not be checked');
      },
    );
  });

  const connected = client.connect().then(
    () => true,
    // Rejects only when close() interrupts connecting; the causes were already logged as 'error' events.
    () => false,
  );
  const ready = await Promise.race([connected, delay(options.bootWaitMs ?? 5000, false, { ref: false })]);
  if (!ready) logger.warn('session store (Redis) not reachable at boot; serving 503 until it is');
  else {
    await versionChecked;
    if (versionProblem) {
      client.destroy();
      throw new Error(versionProblem);
    }
  }

  const run: Run = (op) =>
    guarded(() => {
      if (versionProblem) throw new Error(versionProblem);
      return withDeadline(op(), timeoutMs);
    });
  const p = config.redisPrefix;
  const ownerKey = (field: string, value: string): string => `${p}owner:${field}:${value}`;
  const store = new RedisStore({
    client,
    prefix: `${p}sess:`,
    ttl: (sess) => sessionTtlSec(sess, config.idleTimeoutSec),
  });
  guardStore(store, run);

  const parse = <T>(raw: string | null): T | undefined => (raw === null ? undefined : (JSON.parse(raw) as T));
  // Redis TTLs are whole seconds, at least one.
  const wholeSeconds = (ttlSec: number): number => Math.max(1, Math.ceil(ttlSec));
  const expiration = (ttlSec: number) => ({ type: 'EX', value: wholeSeconds(ttlSec) }) as const;
  const kvKey = (key: string): string => `${p}kv:${key}`;
  const kv: KeyValue = {
    get: <T>(key: string) => run(async () => parse<T>(await client.get(kvKey(key)))),
    set: (key, value, ttlSec) =>
      run(async () => {
        await client.set(kvKey(key), JSON.stringify(value), { expiration: expiration(ttlSec) });
      }),
    add: (key, value, ttlSec) =>
      run(async () => (await client.set(kvKey(key), JSON.stringify(value), { condition: 'NX', expiration: expiration(ttlSec) })) === 'OK'),
    delete: (key) =>
      run(async () => {
        await client.del(kvKey(key));
      }),
    touch: (key, ttlSec) =>
      run(async () => {
        await client.expire(kvKey(key), wholeSeconds(ttlSec));
      }),
    release: (key, value) =>
      run(async () => (await client.eval(RELEASE_SCRIPT, { keys: [kvKey(key)], arguments: [JSON.stringify(value)] })) === 1),
  };

  return {
    kind: 'redis',
    store,
    kv,
    opDeadlineMs: timeoutMs,
    // A sorted set per owner, scored by expiry: members age out one by one, and the key itself
    // lives as long as its longest member (EXPIRE NX sets it once, GT only ever extends it).
    indexSession: (sessionId, owner, ttlSec) =>
      run(async () => {
        const now = Date.now();
        const seconds = wholeSeconds(ttlSec);
        const multi = client.multi();
        for (const [field, value] of [
          ['sub', owner.sub],
          ['sid', owner.sid],
        ] as const) {
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
      run(() => findOwned(query, (field, value) => client.zRangeByScore(ownerKey(field, value), Date.now() + 1, '+inf'))),
    ping: () =>
      run(async () => {
        await client.ping();
      }),
    // Lets answered commands finish, but never waits on a Redis that stopped answering.
    close: async () => {
      if (!client.isOpen) return;
      if (client.isReady) await withDeadline(client.close(), timeoutMs).catch(() => client.destroy());
      else client.destroy();
      await connected;
    },
  };
}
