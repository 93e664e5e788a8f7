import type { SessionData } from 'express-session';

// What a session is: the record express-session keeps (user, token facts) and the tokens kept beside it.

/** The small record a session keeps about its user. Tokens live beside it, server-side only. */
export interface SessionUser {
  sub: string;
  name?: string;
  preferred_username?: string;
  email?: string;
  picture?: string;
  groups: string[];
  issuer: string;
  /** Provider session id, for back-channel logout. */
  sid?: string;
  signedInAt: number;
  /** Display copy of the claims: scalars and string lists only, trimmed. */
  claims: Record<string, string | number | boolean | string[]>;
}

/** A session's tokens. Kept beside the session record, never in it: see SessionWrites.saveTokens. */
export interface StoredTokens {
  /** Epoch ms when these tokens were obtained: a newer set always wins over an older one. */
  obtainedAt: number;
  idToken: string;
  accessToken: string;
  refreshToken?: string;
  /** Access-token expiry, epoch ms. */
  expiresAt?: number;
  scope?: string;
}

/**
 * What the session record itself says about its tokens: enough to decide on a refresh and to show expiry,
 * and no token. Every request reads and hashes the session record, and Casdoor's three 3.7 KB tokens made it
 * 14 KB; the tokens are read only by a refresh or a sign-out.
 */
export interface TokenInfo {
  obtainedAt: number;
  /** Access-token expiry, epoch ms. */
  expiresAt?: number;
  refreshable: boolean;
  /** After a refresh failed for a passing reason, don't try again before this (epoch ms). */
  refreshRetryAt?: number;
  /** When userinfo was last asked outside a sign-in or refresh, answered or not (epoch ms); obtainedAt until then. */
  userinfoAt?: number;
}

export const tokenInfoOf = (t: StoredTokens): TokenInfo => ({
  obtainedAt: t.obtainedAt,
  refreshable: t.refreshToken !== undefined,
  ...(t.expiresAt !== undefined && { expiresAt: t.expiresAt }),
});

/**
 * Seconds a session should live in the store: until its cookie expires, so the store never keeps
 * what the browser has already dropped; a browser-session cookie (no expiry) gets the idle timeout.
 * Zero or less means "already expired".
 */
export function sessionTtlSec(sess: Partial<SessionData> | undefined, fallbackSec: number): number {
  const expires = sess?.cookie?.expires;
  if (!expires) return fallbackSec;
  return Math.ceil((new Date(expires).getTime() - Date.now()) / 1000);
}
