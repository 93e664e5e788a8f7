import type { JWTPayload } from 'jose';
import type { SessionUser } from '../sessions/record.ts';

const MAX_CLAIMS = 40;
const MAX_STRING = 256;
// Registered JWT claims and Casdoor's internal fields are noise in a profile table.
const HIDDEN = new Set([
  'aud',
  'azp',
  'nonce',
  'at_hash',
  'c_hash',
  'jti',
  'nbf',
  'tokenType',
  'passwordSalt',
  'totpSecret',
  'recoveryCodes',
  'password',
]);

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
      out[key] = value.slice(0, 50);
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
