/**
 * Upper bound for one Redis operation unless the options say otherwise (commandTimeoutMs in redis.ts). A module of
 * its own so that code needing only the number (the lazy backend sizing the refresh lock) does not import redis.ts,
 * which loads the Redis client and connect-redis (~650 modules) into apps on the SQLite or memory store.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 2000;
