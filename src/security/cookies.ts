import { parse } from 'cookie';

/** The attributes of every cookie the app sets: HttpOnly, SameSite=Lax, whole site, Secure behind https. */
export function cookieAttributes(secure: boolean) {
  return { httpOnly: true, secure, sameSite: 'lax' as const, path: '/' };
}

/** A Cookie header as name → value (the first of equal names wins, as browsers send the most specific first). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const [name, value] of Object.entries(parse(header))) if (value !== undefined) out.set(name, value);
  return out;
}
