import type { Logger } from '../log/logger.ts';
import type { SessionConfig } from '../config/types.ts';
import type { SessionBackend } from './types.ts';
import { createMemoryBackend } from './memory.ts';
import { createSqliteBackend } from './sqlite.ts';

/**
 * The one place that picks a session store from SESSION_STORE. Throws a plain Error (a boot
 * error the server prints) when the store cannot be used: an unwritable DATA_DIR or database
 * file, a missing or malformed REDIS_URL, a Redis server older than 7.0.
 */
export async function createSessionBackend(config: SessionConfig, logger: Logger): Promise<SessionBackend> {
  switch (config.store) {
    case 'sqlite':
      return createSqliteBackend(config, logger);
    case 'redis': {
      // Loaded only when chosen: the Redis client and connect-redis cost several MB of memory and start-up
      // time that an app on the default SQLite store never uses.
      const { createRedisBackend } = await import('./redis.ts');
      return createRedisBackend(config, logger);
    }
    case 'memory':
      logger.warn('SESSION_STORE=memory: sessions and pending sign-ins are lost on restart and not shared between instances');
      return createMemoryBackend(config, logger);
  }
}
