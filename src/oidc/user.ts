import type { JWTPayload } from 'jose';

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

const MAX_CLAIMS = 40;
const MAX_STRING = 256;
// Registered JWT claims and Casdoor's internal fields are noise in a profile table.
const HIDDEN = new Set(['aud', 'azp', 'nonce', 'at_hash', 'c_hash', 'jti', 'nbf', 'tokenType', 'passwordSalt', 'totpSecret', 'recoveryCodes', 'password']);

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v.slice(0, MAX_STRING) : undefined);

function displayClaims(all: Record<string, unknown>): SessionUser['claims'] {
  const out: SessionUser['claims'] = {};
  for (const [key, value] of Object.entries(all)) {
    if (Object.keys(out).length >= MAX_CLAIMS) break;
    if (HIDDEN.has(key)) continue;
    if (typeof value === 'string') {
      if (value) out[key] = value.slice(0, MAX_STRING);
    } else if (typeof value === 'number' || typeof value === 'boolean') {
      out[key] = value;
    } else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
      out[key] = (value).slice(0, 50);
    }
  }
  return out;
}

/** Groups arrive as strings (Dex, oidc-provider) or, from some providers, as objects with a name. */
function groupsOf(value: unknown): string[] {
  if (!Array.isArray(value)) return typeof value === 'string' ? [value] : [];
  return value
    .map((g) => (typeof g === 'string' ? g : typeof g === 'object' && g && 'name' in g ? String((g as { name: unknown }).name) : ''))
    .filter(Boolean)
    .slice(0, 100);
}

/**
 * Merges verified ID-token claims with userinfo (userinfo never overrides iss/sub/aud) into the session record.
 * Casdoor's JWT format uses `name` for the username, `displayName` for the display name and `avatar` for the picture.
 */
export function toSessionUser(idClaims: JWTPayload, userinfo: Record<string, unknown> | undefined, signedInAt: number): SessionUser {
  const { iss: _iss, sub: _sub, aud: _aud, ...extra } = userinfo ?? {};
  const all: Record<string, unknown> = { ...idClaims, ...extra };
  const casdoorStyle = typeof all.displayName === 'string';
  const user: SessionUser = {
    sub: String(idClaims.sub),
    groups: groupsOf(all.groups),
    issuer: String(idClaims.iss),
    signedInAt,
    claims: displayClaims(all),
  };
  const name = str(all.displayName) ?? str(all.name);
  const username = str(all.preferred_username) ?? (casdoorStyle ? str(all.name) : undefined);
  const email = str(all.email);
  const picture = str(all.picture) ?? str(all.avatar);
  const sid = str(idClaims.sid);
  if (name) user.name = name;
  if (username) user.preferred_username = username;
  if (email) user.email = email;
  if (picture && /^https?:\/\//.test(picture)) user.picture = picture;
  if (sid) user.sid = sid;
  return user;
}
