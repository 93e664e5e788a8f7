/**
 * lzc-oidc: OpenID Connect sign-in for Express apps on a Lazycat box (and anywhere else).
 *
 *   app.use(lazycatAuth());
 *   app.get('/me', requireAuth(), (req, res) => res.json(req.oidc.user));
 *   app.get('/admin', requireGroup('ADMIN'), (req, res) => res.send('admins only'));
 *
 * This file is the whole public API: nothing else in the package is meant to be imported.
 */
export { lazycatAuth, type LazycatAuth, type LazycatAuthOptions, type ProviderInfo } from './http/lazycatAuth.ts';
export { requireAuth, requireGroup } from './http/middleware/requireAuth.ts';
export { wantsJson } from './http/clientKind.ts';
export type { OidcContext, OidcUser, OidcSessionInfo } from './http/oidcContext.ts';
export type { AuthSettings } from './config/options.ts';
export { loadConfig, ConfigError, type Env } from './config/load.ts';
export type { AppConfig } from './config/types.ts';
export { AppError } from './errors/AppError.ts';
export { ERROR_CODES, type ErrorCode } from './errors/codes.ts';
export { createLogger, closeLogger, logDestination, logFormat, type LogFormat, type Logger } from './log/logger.ts';
