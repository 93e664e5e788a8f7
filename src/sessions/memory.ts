import type { Logger } from '../log/logger.ts';
import type { SessionConfig } from '../config/types.ts';
import type { SessionBackend } from './types.ts';
import { openDatabase, openSqliteBackend } from './sqlite.ts';

/**
 * Sessions in process memory, lost on restart: for tests and throwaway dev runs only.
 * It is the SQLite backend on an in-memory database, so it behaves exactly like the default store
 * (same expiry, atomic add, owner index) instead of being a second implementation to keep in step.
 */
export function createMemoryBackend(config: SessionConfig, logger: Logger): SessionBackend {
  return openSqliteBackend(openDatabase(':memory:'), 'memory', config, logger, {});
}
