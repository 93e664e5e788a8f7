const MAX_LENGTH = 2048;
// oauth2-proxy's rule: a slash or backslash, then only whitespace or one or two dots, then another.
const SLASH_TRICK = /[/\\](\s*|\.{1,2})[/\\]/;
// Control characters, all whitespace (incl. Unicode spaces), backslashes and slash look-alikes have no place in a raw local path.
// eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
const FORBIDDEN = /[\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200f\u2028-\u202f\u205f\u3000\ufeff\\\u2044\u2215\u29f8\uff0f\uff3c]/;
const PROBE_ORIGIN = 'http://probe.invalid';
// Paths that would loop back into the sign-in machinery.
const DEFAULT_AUTH_PATHS = ['/login', '/callback', '/logout'];

function looksSafe(value: string): boolean {
  return value.startsWith('/') && !value.startsWith('//') && !SLASH_TRICK.test(value) && !FORBIDDEN.test(value);
}

/** Decoded forms may legitimately hold spaces in a query; only their path must not hide a host. */
function decodedPathSafe(value: string): boolean {
  const path = value.split(/[?#]/, 1)[0] ?? '';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
  return path.startsWith('/') && !path.startsWith('//') && !SLASH_TRICK.test(path) && !/[\u0000-\u001f\\]/.test(path);
}

/**
 * True when `value` is a same-origin relative path that cannot turn into an off-site redirect:
 * rejects `//host`, `/\host`, schemes, whitespace and control characters, and the same tricks
 * hidden behind (repeated) percent-encoding. Never throws.
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Unvalidated_Redirects_and_Forwards_Cheat_Sheet.html
 */
export function isSafeReturnTo(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH) return false;
  if (!looksSafe(value)) return false;
  let current = value;
  for (let i = 0; i < 4; i++) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(current);
    } catch {
      return false;
    }
    if (decoded === current) break;
    if (!decodedPathSafe(decoded)) return false;
    current = decoded;
  }
  try {
    return new URL(value, PROBE_ORIGIN).origin === PROBE_ORIGIN;
  } catch {
    return false;
  }
}

const under = (value: string, route: string): boolean =>
  value.startsWith(route) && (value.length === route.length || /^[/?#]/.test(value.slice(route.length)));

/** The returnTo to use: the requested one when safe and not one of the sign-in routes (or below them), else `fallback`. */
export function safeReturnTo(value: unknown, fallback = '/', authPaths: readonly string[] = DEFAULT_AUTH_PATHS): string {
  return isSafeReturnTo(value) && !authPaths.some((route) => under(value, route)) ? value : fallback;
}
