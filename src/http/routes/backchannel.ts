import express, { Router } from 'express';
import { verifyLogoutToken } from '../../oidc/logoutToken.ts';
import { AppError } from '../../errors/AppError.ts';
import { endSessions } from '../../sessions/writes.ts';
import { requestIdOf } from '../errorPages.ts';
import { storeKeys } from '../../sessions/keys.ts';
import type { AuthDeps } from '../deps.ts';

const MIN_JTI_TTL_SEC = 600;

/**
 * OpenID Connect Back-Channel Logout: the provider POSTs a signed logout_token and we end the matching
 * sessions in whichever store is configured (so a session held by another instance ends too).
 * Mounted before the session middleware: this request carries no cookie and must not create a session.
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#BCRequest
 */
export function backchannelRoutes({ config, oidc, sessions, writes, logger, paths }: AuthDeps): Router {
  const oidcConfig = config.oidc;
  const router = Router();
  router.post(paths.backchannel, express.urlencoded({ extended: false, limit: '16kb' }), async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const token = (req.body as Record<string, unknown> | undefined)?.logout_token;
    const fail = (description: string) => {
      logger.warn({ reqId: requestIdOf(req), reason: description }, 'back-channel logout rejected');
      res.status(400).json({ error: 'invalid_request', error_description: description });
    };
    if (typeof token !== 'string' || !token) return fail('logout_token is required');
    let claims;
    try {
      claims = await verifyLogoutToken(oidc.provider(), token, oidcConfig.clientId, oidcConfig.clockToleranceSec);
    } catch (err) {
      if (err instanceof AppError && err.code === 'BAD_REQUEST') return fail(err.message);
      throw err;
    }
    const jtiKey = storeKeys.logoutTokenUsed(claims.jti);
    if ((await sessions.kv.get(jtiKey)) !== undefined) return fail('logout_token was already used (jti replay)');
    // With a sid, end just that provider session; with only a sub, every session of the user.
    const ids = await sessions.findSessions(claims.sid ? { sid: claims.sid } : { sub: claims.sub! });
    const ended = await endSessions(sessions, writes, ids, claims.sub ? (s) => s.user?.sub === claims.sub : () => true);
    // The jti is recorded only now that the sessions have ended: if ending failed (5xx), the provider's retry of
    // this same token must not be refused as a replay. Two deliveries racing here both end the sessions, which is
    // harmless. The logout is done, so failing to record the jti only loses replay protection: log it, answer 200.
    const ttl = Math.max(MIN_JTI_TTL_SEC, claims.exp - Math.floor(Date.now() / 1000) + oidcConfig.clockToleranceSec);
    await sessions.kv
      .add(jtiKey, 1, ttl)
      .catch((err: unknown) => logger.warn({ reqId: requestIdOf(req), err }, 'recording the logout_token jti failed'));
    logger.info({ reqId: requestIdOf(req), sub: claims.sub, sid: claims.sid, ended }, 'back-channel logout');
    res.status(200).end();
  });
  return router;
}
