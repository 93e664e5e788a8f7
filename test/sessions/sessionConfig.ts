import type { SessionConfig } from '../../src/config/types.ts';

/** A complete SessionConfig for backend tests; each test overrides only what it is about. */
export function sessionConfig(overrides: Partial<SessionConfig> = {}): SessionConfig {
  return {
    secrets: ['test-secret-at-least-32-characters-long'],
    secretGenerated: false,
    store: 'sqlite',
    dataDir: './data',
    redisUrl: undefined,
    redisPrefix: 'lzc-oidc:',
    idleTimeoutSec: 3600,
    absoluteTimeoutSec: 86_400,
    cookieName: 'lzc.sid',
    secureCookie: false,
    ...overrides,
  };
}
