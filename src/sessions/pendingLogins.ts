import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { KeyValue } from './types.ts';
import type { PendingLogin } from '../oidc/flow.ts';
import { cookieAttributes, parseCookies } from '../security/cookies.ts';
import { storeKeys } from './keys.ts';
import { sealer, type Sealer } from '../security/sealer.ts';

const PENDING_TTL_SEC = 600;
const MAX_PENDING_PER_BROWSER = 5;
/** Bytes of pending-login cookie values a browser keeps at once: their sum is the callback's Cookie header. */
const PENDING_COOKIE_BUDGET = 4096;
const STATE_FORMAT = /^[\w-]{16,128}$/;
const ID_FORMAT = /^[\w-]{8}$/;
/** The sealer for pending-login cookies: its own key per SESSION_SECRET, never the session-signing key itself. */
export const pendingLoginSealer = (secrets: readonly string[]): Sealer => sealer(secrets, 'lzc-oidc pending sign-in cookie v1', 'compact');

/**
 * Encrypts a pending sign-in for the browser to keep. The state is the additional authenticated data, so the
 * cookie opens only for the callback that carries that state.
 */
export function sealPendingLogin(seal: Sealer, state: string, login: PendingLogin): string {
  // Space-separated, not JSON: neither the verifier nor the nonce can hold a space (RFC 7636 §4.1, base64url), and
  // every byte saved here is carried by each of a browser's pending-login cookies.
  return seal.seal(
    state,
    [login.checks.pkceCodeVerifier, login.checks.expectedNonce, login.createdAt.toString(36), login.returnTo].join(' '),
  );
}

/** The pending sign-in sealed for `state`, or undefined (another state, a forgery, a retired secret). */
export function openPendingLogin(seal: Sealer, state: string, value: string): PendingLogin | undefined {
  const plain = seal.open(state, value);
  if (plain === undefined) return undefined;
  const [pkceCodeVerifier = '', expectedNonce = '', createdAt = '', ...returnTo] = plain.split(' ');
  return { checks: { pkceCodeVerifier, expectedNonce }, createdAt: parseInt(createdAt, 36), returnTo: returnTo.join(' ') };
}

/**
 * Pending sign-ins live in the browser that started them, one encrypted cookie per attempt (as mod_auth_openidc
 * does), so starting a sign-in writes nothing server-side: an anonymous client cannot grow the store, any instance
 * can finish it, and two tabs sign in at once without overwriting each other. The cookies are scoped to the
 * callback path, so other requests do not carry them; /login cannot see them there, so it keeps their names in
 * a small list cookie of its own to drop the oldest past the cap. Single use is recorded server-side, and only
 * after the provider accepted the code: by then the browser is someone who signed in.
 */
export function createPendingLogins(kv: KeyValue, opts: { secure: boolean; secrets: readonly string[]; callbackPath: string }) {
  const seal = pendingLoginSealer(opts.secrets);
  const prefix = opts.secure ? '__Secure-' : '';
  const txPrefix = `${prefix}lzc-oidc.tx.`;
  const listName = `${prefix}lzc-oidc.txlist`;
  const txOptions = { ...cookieAttributes(opts.secure), path: opts.callbackPath };

  /** The list cookie: `id.size` pairs, oldest first, of the pending-login cookies this browser was given. */
  const readList = (req: Request): Array<{ id: string; size: number }> => {
    const parts = (parseCookies(req.get('cookie')).get(listName) ?? '').split('.');
    const list: Array<{ id: string; size: number }> = [];
    for (let i = 0; i + 1 < parts.length && list.length < MAX_PENDING_PER_BROWSER; i += 2) {
      const size = Number(parts[i + 1]);
      if (ID_FORMAT.test(parts[i]!) && Number.isInteger(size) && size > 0) list.push({ id: parts[i]!, size });
    }
    return list;
  };

  return {
    isWellFormedState: (state: unknown): state is string => typeof state === 'string' && STATE_FORMAT.test(state),

    /** Hands the browser its pending sign-in; `loginPath` is where the browser sees /login (the list cookie's path). */
    save(req: Request, res: Response, loginPath: string, state: string, login: Omit<PendingLogin, 'createdAt'>): void {
      const value = sealPendingLogin(seal, state, { ...login, createdAt: Date.now() });
      const list = [...readList(req), { id: randomBytes(6).toString('base64url'), size: value.length }];
      let total = list.reduce((sum, e) => sum + e.size, 0);
      while (list.length > MAX_PENDING_PER_BROWSER || (list.length > 1 && total > PENDING_COOKIE_BUDGET)) {
        const oldest = list.shift()!;
        total -= oldest.size;
        res.clearCookie(txPrefix + oldest.id, txOptions);
      }
      const maxAge = PENDING_TTL_SEC * 1000;
      res.cookie(txPrefix + list.at(-1)!.id, value, { ...txOptions, maxAge });
      res.cookie(listName, list.map((e) => `${e.id}.${e.size}`).join('.'), { ...cookieAttributes(opts.secure), path: loginPath, maxAge });
    },

    /**
     * The pending sign-in this browser holds for `state`, its cookie cleared. Without one, `othersHere` says whether
     * the browser holds pending sign-ins for other states (so this one is not its own) or none at all (most often:
     * its cookie expired). `fresh` is false past its lifetime: a cookie's expiry is only advice.
     */
    take(req: Request, res: Response, state: string): { login: PendingLogin | undefined; fresh: boolean; othersHere: boolean } {
      const candidates = [...parseCookies(req.get('cookie'))]
        .filter(([name]) => name.startsWith(txPrefix) && ID_FORMAT.test(name.slice(txPrefix.length)))
        .slice(0, 2 * MAX_PENDING_PER_BROWSER);
      for (const [name, value] of candidates) {
        const login = openPendingLogin(seal, state, value);
        if (!login) continue;
        res.clearCookie(name, txOptions);
        return { login, fresh: Date.now() - login.createdAt <= PENDING_TTL_SEC * 1000, othersHere: candidates.length > 1 };
      }
      return { login: undefined, fresh: false, othersHere: candidates.length > 0 };
    },

    /**
     * Marks `state` used, once (atomically, across instances): false when it already was. It outlives the pending
     * sign-in, so a replay is recognised for as long as the cookie could be replayed.
     */
    markDone: (state: string, returnTo: string) => kv.add(storeKeys.signInDone(state), { returnTo }, PENDING_TTL_SEC),
    /** Where a finished sign-in went, so a replayed callback from the signed-in browser just goes there. */
    doneReturnTo: async (state: string) => (await kv.get<{ returnTo: string }>(storeKeys.signInDone(state)))?.returnTo,
  };
}

export type PendingLogins = ReturnType<typeof createPendingLogins>;
