import type { ErrorRequestHandler, Router } from 'express';
import type { AppConfig } from '../config/types.ts';
import type { Env } from '../config/load.ts';
import type { AuthSettings } from '../config/options.ts';
import type { Logger } from '../log/logger.ts';
import type { AuthPaths } from './paths.ts';
import { composeAuth } from './composeAuth.ts';

export interface LazycatAuthOptions extends AuthSettings {
  /** Where to read the documented variables from. Default: `process.env`. Settings above win over it. */
  env?: Env;
  /** A configuration already loaded with loadConfig() (the settings and `env` are then not read). */
  config?: AppConfig;
  /** Route paths. The callback is always the redirect URI's path. */
  routes?: Partial<Omit<AuthPaths, 'callback'>>;
  /**
   * `'host'` (default): errors reach the host app's error handler as AppErrors with `code` and `status`.
   * `'builtin'`: the library answers them itself with its zh-CN/en pages, or JSON for API clients.
   */
  pages?: 'builtin' | 'host';
  /** Where a sign-in without a `returnTo` lands. Default `/`. */
  afterSignIn?: string;
  /** Default: a JSON logger at LOG_LEVEL that never writes a token or secret. */
  logger?: Logger;
}

/** Public facts about the discovered provider, for a host's CSP or status page. */
export interface ProviderInfo {
  issuer: string;
  endSessionEndpoint: string | undefined;
}

/** The Router that app.use() mounts, plus its lifecycle. */
export interface LazycatAuth extends Router {
  /** Opens the session store and starts discovery now rather than on the first request. Rejects when the store cannot be opened. */
  start(): Promise<void>;
  /** Resolves once the provider's discovery document has been read (retried with backoff until then). */
  providerReady(): Promise<void>;
  /** For a readiness probe: is the provider discovered, does the store answer? */
  readiness(): Promise<{ provider: boolean; store: boolean }>;
  /** The discovered provider, once known. */
  provider(): ProviderInfo | undefined;
  /** The built-in error pages as an error handler, for the host's own routes (mount it last). */
  errorPages(): ErrorRequestHandler;
  /** Stops discovery retries and closes the session store. */
  close(): Promise<void>;
}

/**
 * Sign-in for an Express app: `app.use(lazycatAuth())`. Synchronous and without side effects: the
 * store opens and discovery starts on the first request (or on start()); until the provider answers,
 * /login gets the "provider unavailable" answer.
 */
export function lazycatAuth(options: LazycatAuthOptions = {}): LazycatAuth {
  return composeAuth(options);
}
