import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { KeyValue } from './types.ts';
import type { PendingLogin } from '../oidc/flow.ts';
import { cookieAttributes, parseCookies } from '../security/cookies.ts';

export const PENDING_TTL_SEC = 600;
export const MAX_PENDING_PER_BROWSER = 5;
const STATE_FORMAT = /^[\w-]{16,128}$/;

const sha256 = (v: string): string => createHash('sha256').update(v).digest('base64url');

/**
 * Pending sign-ins live in the shared store under their `state`, so a callback may land on any
 * instance, and each is bound to the browser that started it by its own small cookie. One cookie
 * per sign-in (not one slot per browser) lets two tabs sign in at once without overwriting each other.
 */
export function createPendingLogins(kv: KeyValue, secure: boolean) {
  const prefix = `${secure ? '__Host-' : ''}lzc-oidc.tx.`;
  const cookieOptions = cookieAttributes(secure);

  return {
    isWellFormedState: (state: unknown): state is string => typeof state === 'string' && STATE_FORMAT.test(state),

    async save(req: Request, res: Response, state: string, login: Omit<PendingLogin, 'bindingHash' | 'createdAt'>): Promise<void> {
      // Cap per browser: drop the oldest pending sign-ins (the cookie value starts with its creation time).
      // Only well-formed ones, and a bounded number: forged cookies must not buy unbounded store work.
      const existing = [...parseCookies(req.get('cookie'))]
        .filter(([name, value]) => name.startsWith(prefix) && STATE_FORMAT.test(name.slice(prefix.length)) && /^[0-9a-z]+\./.test(value))
        .slice(0, 2 * MAX_PENDING_PER_BROWSER)
        .sort(([, a], [, b]) => parseInt(a, 36) - parseInt(b, 36));
      for (const [name] of existing.slice(0, Math.max(0, existing.length - (MAX_PENDING_PER_BROWSER - 1)))) {
        res.clearCookie(name, cookieOptions);
        await kv.delete(`txn:${name.slice(prefix.length)}`);
      }
      const binding = `${Date.now().toString(36)}.${randomBytes(18).toString('base64url')}`;
      const pending: PendingLogin = { ...login, createdAt: Date.now(), bindingHash: sha256(binding) };
      await kv.set(`txn:${state}`, pending, PENDING_TTL_SEC);
      res.cookie(prefix + state, binding, { ...cookieOptions, maxAge: PENDING_TTL_SEC * 1000 });
    },

    /**
     * Takes the pending sign-in for `state` (once: a replay finds nothing) and clears its cookie.
     * `bound` is false when this browser did not start it.
     */
    async take(req: Request, res: Response, state: string): Promise<{ pending: PendingLogin; bound: boolean } | undefined> {
      const binding = parseCookies(req.get('cookie')).get(prefix + state);
      res.clearCookie(prefix + state, cookieOptions);
      const pending = await kv.take<PendingLogin>(`txn:${state}`);
      if (!pending) return undefined;
      const expected = Buffer.from(pending.bindingHash);
      const actual = Buffer.from(binding ? sha256(binding) : '');
      const fresh = Date.now() - pending.createdAt <= PENDING_TTL_SEC * 1000;
      return { pending, bound: fresh && actual.length === expected.length && timingSafeEqual(actual, expected) };
    },

    /** Remembers where a finished sign-in went, so a replayed callback from the same browser just goes there. */
    markDone: (state: string, returnTo: string) => kv.set(`done:${state}`, { returnTo }, PENDING_TTL_SEC),
    doneReturnTo: async (state: string) => (await kv.get<{ returnTo: string }>(`done:${state}`))?.returnTo,
  };
}

export type PendingLogins = ReturnType<typeof createPendingLogins>;
