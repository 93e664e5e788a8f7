// Property-based inputs for the sign-in routes: /login and /callback query strings and returnTo, anonymous
// and signed in. Whatever arrives, the app answers with a page or a redirect that stays home (or goes to the
// provider's authorize endpoint from /login), never a 5xx, a stack trace or a token.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { openPendingLogin, pendingLoginSealer } from '../../../src/sessions/pendingLogins.ts';
import { expectSafe, hostileQuery, hostileString, onTheWire, send, sendSafe, useFuzzTarget, wireMode } from './fuzzTarget.ts';

const b64url = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Logout tokens that look the part: JWT-shaped, plausible headers and claims, a signature that cannot verify. */
const logoutTokenLike = fc
  .tuple(
    fc.oneof(
      fc.constantFrom({ alg: 'none' }, { alg: 'RS256' }, { alg: 'RS256', kid: 'unknown' }, { alg: 'HS256', typ: 'logout+jwt' }),
      fc.object({ maxDepth: 1 }),
    ),
    fc.record(
      {
        iss: fc.oneof(fc.constant('ISSUER'), hostileString(20)),
        aud: fc.oneof(fc.constant('CLIENT'), hostileString(20)),
        sub: hostileString(20),
        sid: hostileString(20),
        jti: hostileString(20),
        iat: fc.integer(),
        exp: fc.integer(),
        events: fc.oneof(fc.constant({ 'http://schemas.openid.net/event/backchannel-logout': {} }), fc.object({ maxDepth: 1 })),
        nonce: hostileString(10),
      },
      { requiredKeys: [] },
    ),
    hostileString(40),
  )
  .map(([header, claims, signature]) => ({ header, claims, signature }));

const OIDC_PARAMS = ['state', 'code', 'iss', 'error', 'error_description', 'error_uri', 'session_state', 'returnTo', 'scope', 'id_token'];

describe('fuzz: sign-in and sign-out routes', () => {
  const target = useFuzzTarget();

  it('/login with any query: a redirect to the provider (or home when signed in), nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(hostileQuery(OIDC_PARAMS), fc.boolean(), async (query, signedIn) => {
        const t = target();
        const headers: Record<string, string> = signedIn ? { cookie: t.sessionCookie } : {};
        const res = await sendSafe(t, 'GET', `/login?${query}`, headers, { foreign: signedIn ? [] : [t.authorizeEndpoint] });
        expect(res.status).toBe(303);
      }),
      { numRuns: 300 },
    );
  });

  it('returnTo: wherever it points, the redirect after sign-in stays on the app', async () => {
    await fc.assert(
      fc.asyncProperty(hostileString(60), wireMode, async (returnTo, mode) => {
        const t = target();
        const path = `/login?returnTo=${onTheWire(returnTo, mode)}`;
        // Signed in: /login redirects straight to returnTo, the same redirect the callback ends with.
        const direct = await sendSafe(t, 'GET', path, { cookie: t.sessionCookie });
        expect(direct.status).toBe(303);
        // Anonymous: what the pending sign-in stores is what the callback will redirect to.
        const start = await sendSafe(t, 'GET', path, {}, { foreign: [t.authorizeEndpoint] });
        const state = new URL(start.headers.location!).searchParams.get('state')!;
        const sealed = (start.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).find((c) => c.startsWith('lzc-oidc.tx.'))!;
        const pending = openPendingLogin(
          pendingLoginSealer(t.stack.app.config.session.secrets),
          state,
          sealed.slice(sealed.indexOf('=') + 1),
        );
        expect(new URL(pending!.returnTo, t.origin).origin).toBe(t.origin);
      }),
      { numRuns: 300 },
    );
  });

  it('/callback with any query, with or without a session: an error page or a redirect home', async () => {
    await fc.assert(
      fc.asyncProperty(hostileQuery(OIDC_PARAMS), fc.boolean(), async (query, signedIn) => {
        const t = target();
        const res = await sendSafe(t, 'GET', `/callback?${query}`, signedIn ? { cookie: t.sessionCookie } : {});
        expect(res.status === 303 || (res.status >= 400 && res.status < 500)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('/callback for a real pending sign-in with forged code, iss, error and extra parameters: rejected, no session', async () => {
    await fc.assert(
      fc.asyncProperty(hostileQuery(['code', 'iss', 'error', 'error_description', 'state']), async (extra) => {
        const t = target();
        const start = await send(t, 'GET', '/login');
        const state = new URL(start.headers.location!).searchParams.get('state')!;
        // The browser-binding cookie of this sign-in, so the callback gets past the state check to the protocol.
        const binding = (start.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).join('; ');
        const res = await sendSafe(t, 'GET', `/callback?state=${state}&${extra}`, { cookie: binding });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect((res.headers['set-cookie'] ?? []).filter((c) => c.startsWith(t.stack.app.config.session.cookieName))).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('POST /backchannel-logout with forged logout tokens and junk forms: a 400, no session ended', async () => {
    await fc.assert(
      fc.asyncProperty(logoutTokenLike, hostileQuery(['logout_token', 'sid', 'sub']), fc.boolean(), async (forged, extra, asJwt) => {
        const t = target();
        const { issuer, clientId } = t.stack.provider;
        // The placeholders become the real issuer and client, so the forgeries get as far as the signature.
        const claims = JSON.parse(
          JSON.stringify(forged.claims).replaceAll('"ISSUER"', JSON.stringify(issuer)).replaceAll('"CLIENT"', JSON.stringify(clientId)),
        );
        const token = `${b64url(forged.header)}.${b64url(claims)}.${b64url(forged.signature)}`;
        const body = asJwt ? `logout_token=${encodeURIComponent(token)}&${extra}` : extra;
        const res = await send(t, 'POST', '/backchannel-logout', { 'content-type': 'application/x-www-form-urlencoded' }, body);
        expectSafe(t, body + token, res);
        expect(res.status).toBe(400);
        expect((await send(t, 'GET', '/profile', { cookie: t.sessionCookie, accept: 'application/json' })).status).toBe(200);
      }),
      { numRuns: 250 },
    );
  });
});
