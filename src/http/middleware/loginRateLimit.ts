import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { RequestHandler } from 'express';
import { AppError } from '../../errors/AppError.ts';
import type { ProxyTrust } from '../proxyTrust.ts';

/**
 * Caps how many sign-ins one client IP may start per minute. Every /login writes a pending-login
 * record to the shared store before the browser has proven anything, so without a cap an anonymous
 * client could fill the store. Per instance, in memory: it bounds the damage, it is not a quota.
 * The client IP honours the library's TRUST_PROXY, not the host app's `trust proxy`.
 */
export function loginRateLimit(perMinute: number, trust: ProxyTrust): RequestHandler {
  if (perMinute <= 0) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => ipKeyGenerator(trust.clientIp(req)),
    // Its checks of the host's `trust proxy` do not apply: the key above does not use req.ip.
    validate: false,
    handler: (_req, res, next) => {
      res.setHeader('Retry-After', '60');
      next(new AppError('RATE_LIMITED'));
    },
  });
}
