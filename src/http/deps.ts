import type { AppConfig } from '../config/types.ts';
import type { OidcClient } from '../oidc/client.ts';
import type { SessionBackend } from '../sessions/types.ts';
import type { SessionWrites } from '../sessions/writes.ts';
import type { Logger } from '../log/logger.ts';
import type { AuthPaths } from './paths.ts';
import type { ProxyTrust } from './proxyTrust.ts';
import type { BoxUserOf } from './middleware/boxIdentity.ts';

/** What one lazycatAuth() instance's routes and middleware share. */
export interface AuthDeps {
  config: AppConfig;
  oidc: OidcClient;
  sessions: SessionBackend;
  writes: SessionWrites;
  logger: Logger;
  paths: AuthPaths;
  trust: ProxyTrust;
  boxUserOf: BoxUserOf;
  /** Where a sign-in without a returnTo lands. */
  afterSignIn: string;
}
