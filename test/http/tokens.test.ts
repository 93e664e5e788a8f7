import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { SignJWT, type JWTPayload } from 'jose';
import {
  startStack,
  withStack,
  signIn,
  pathOf,
  ownSession,
  deliverLogoutToken,
  type Stack,
  type Agent,
  csrfOf,
} from '../fixtures/stack.ts';
import { logoutAtProvider, ProviderBrowser } from '../fixtures/providerLogin.ts';
import { until } from '../fixtures/until.ts';
import { agedTokenInfo, logoutTokenFrom, resign } from '../fixtures/tokens.ts';
import { refreshGrants } from '../fixtures/provider.ts';
import { getStored, setStored } from '../../src/sessions/writes.ts';
import type { ProviderMiddleware } from '../../devprovider/providerApp.ts';

const json = (agent: Agent, path = '/profile') => agent.get(path).set('Accept', 'application/json');

/** Ages the stored token info until a refresh is due, as time passing would. */
async function expireSoon(stack: Stack, agent: Agent) {
  const { id, data } = await ownSession(stack, agent);
  await setStored(stack.app.sessions.store, id, { ...data!, tokenInfo: agedTokenInfo(data!.tokenInfo) });
}

describe('refresh (certified provider: rotating refresh tokens, revocation, end-session, back-channel logout)', () => {
  let stack: Stack;
  let tokenEndpointDown = false;
  let refusal: { status: number; body: Record<string, unknown> } | undefined;
  let changeRefreshedIdToken: ((c: JWTPayload) => JWTPayload) | undefined;
  const outage: ProviderMiddleware = async (ctx, next) => {
    if (refusal && ctx.path.endsWith('/token')) {
      ctx.status = refusal.status;
      ctx.body = refusal.body;
      return;
    }
    // The token endpoint and everything under it (revocation is /token/revocation here).
    if (tokenEndpointDown && ctx.path.includes('/token')) {
      ctx.status = 503;
      ctx.body = 'maintenance';
      return;
    }
    await next();
  };
  beforeAll(async () => {
    stack = await startStack('certified', {
      env: { OIDC_SCOPES: 'openid profile email groups offline_access', OIDC_REFRESH_MARGIN: '60' },
      provider: {
        ttl: { accessToken: 300 },
        middleware: [outage],
        mutateTokenResponse: async (body) => {
          if (changeRefreshedIdToken && body.refresh_token && typeof body.id_token === 'string' && stack.provider.events.token.length > 0) {
            return { ...body, id_token: await resign(stack.provider, body.id_token, changeRefreshedIdToken) };
          }
          return body;
        },
      },
    });
  });
  afterAll(() => stack?.close());

  async function signedIn(): Promise<{ agent: Agent; sub: string }> {
    const agent = stack.browser();
    changeRefreshedIdToken = undefined;
    const res = await signIn(stack, agent);
    expect(res.status).toBe(303);
    return { agent, sub: stack.provider.app.subjectOf(stack.provider.users[0]!) };
  }

  it('asks for offline_access with prompt=consent, so the unmodified certified provider issues a refresh token', async () => {
    const { agent } = await signedIn();
    expect(stack.provider.events.authorization.at(-1)!.params).toMatchObject({
      prompt: 'consent',
      scope: expect.stringContaining('offline_access'),
    });
    expect((await ownSession(stack, agent)).tokens!.refreshToken).toBeTypeOf('string');
  });

  it('OIDC_OFFLINE_ACCESS_PROMPT=none sends no prompt, and this provider then grants no offline access', async () => {
    await withStack(
      'certified',
      { env: { OIDC_SCOPES: 'openid profile offline_access', OIDC_OFFLINE_ACCESS_PROMPT: 'none' } },
      async (plain) => {
        const agent = plain.browser();
        expect((await signIn(plain, agent)).status).toBe(303);
        expect(plain.provider.events.authorization.at(-1)!.params).not.toHaveProperty('prompt');
        expect((await ownSession(plain, agent)).tokens!.refreshToken).toBeUndefined();
      },
    );
  });

  it('refreshes ahead of expiry and always keeps the newest rotated refresh token', async () => {
    const { agent } = await signedIn();
    const before = await ownSession(stack, agent);
    const grantsBefore = refreshGrants(stack.provider).length;
    expect((await json(agent)).status).toBe(200);
    expect(refreshGrants(stack.provider).length).toBe(grantsBefore); // not near expiry yet: no refresh
    await expireSoon(stack, agent);
    expect((await json(agent)).status).toBe(200);
    await expireSoon(stack, agent);
    expect((await json(agent)).status).toBe(200);
    const grants = refreshGrants(stack.provider).slice(grantsBefore);
    expect(grants.length).toBe(2);
    // Each refresh used the token the previous one returned (rotation: the old one is dead).
    expect(grants[0]!.params.refresh_token).toBe(before.tokens!.refreshToken);
    expect(grants[1]!.params.refresh_token).not.toBe(grants[0]!.params.refresh_token);
    expect(grants.every((g) => g.status === 200)).toBe(true);
    const profile = await json(agent);
    expect(profile.body.session.refreshable).toBe(true);
  });

  it('does not refresh on every request when access tokens live no longer than the margin', async () => {
    await withStack(
      'certified',
      { env: { OIDC_SCOPES: 'openid offline_access', OIDC_REFRESH_MARGIN: '60' }, provider: { ttl: { accessToken: 60 } } },
      async (short) => {
        const agent = short.browser();
        await signIn(short, agent);
        for (let i = 0; i < 5; i++) expect((await json(agent)).status).toBe(200);
        expect(refreshGrants(short.provider)).toEqual([]);
      },
    );
  });

  it('lets exactly one of many parallel requests refresh, and loses no token', async () => {
    const { agent } = await signedIn();
    await expireSoon(stack, agent);
    const grantsBefore = refreshGrants(stack.provider).length;
    const results = await Promise.all(Array.from({ length: 20 }, () => json(agent)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(refreshGrants(stack.provider).length - grantsBefore).toBe(1);
    // The stored refresh token is the newest: the next refresh succeeds.
    await expireSoon(stack, agent);
    expect((await json(agent)).status).toBe(200);
    expect(refreshGrants(stack.provider).at(-1)!.status).toBe(200);
  });

  it('ends the session cleanly when the provider answers invalid_grant', async () => {
    const { agent } = await signedIn();
    await expireSoon(stack, agent);
    const s = await ownSession(stack, agent);
    // Revoke the refresh token at the provider behind the app's back.
    const revoke = await fetch(stack.app.oidc.provider().revocationEndpoint!, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${stack.provider.clientId}:${stack.provider.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: s.tokens!.refreshToken! }),
    });
    expect(revoke.status).toBe(200);
    const page = await agent.get('/profile');
    expect(page.status).toBe(302);
    expect(page.headers.location).toBe('/login?returnTo=%2Fprofile');
    expect((await json(agent)).status).toBe(401);
    expect(await getStored(stack.app.sessions.store, s.id)).toBeUndefined();
  });

  it('keeps people signed in when the provider is down during a refresh, and backs off instead of retrying every request', async () => {
    const { agent } = await signedIn();
    await expireSoon(stack, agent);
    tokenEndpointDown = true;
    try {
      const before = stack.provider.events.token.length;
      const res = await json(agent);
      expect(res.status).toBe(200);
      expect(stack.app.logs.join('\n')).toContain('provider unavailable, keeping the session');
      expect((await json(agent)).status).toBe(200);
      expect((await json(agent)).status).toBe(200);
      expect(stack.provider.events.token.length - before).toBe(1);
      expect((await ownSession(stack, agent)).data!.tokenInfo.refreshRetryAt).toBeGreaterThan(Date.now());
    } finally {
      tokenEndpointDown = false;
    }
    expect((await json(agent)).status).toBe(200);
  });

  it.each([
    [
      'unsupported_grant_type (Casdoor app without the refresh_token grant)',
      400,
      { error: 'unsupported_grant_type', error_description: 'refresh_token not allowed' },
    ],
    ['HTTP 200 {"status":"error"} (Casdoor, deleted user)', 200, { status: 'error', msg: "The user: built-in/alice doesn't exist" }],
  ])('ends the session when the provider refuses the refresh for good: %s', async (_case, status, body) => {
    const { agent } = await signedIn();
    await expireSoon(stack, agent);
    refusal = { status, body };
    try {
      expect((await json(agent)).status).toBe(401);
    } finally {
      refusal = undefined;
    }
    expect((await agent.get('/profile')).status).toBe(302);
  });

  it.each([
    ['sub', (c: JWTPayload) => ({ ...c, sub: 'someone-else' })],
    ['iss', (c: JWTPayload) => ({ ...c, iss: 'https://evil.example' })],
  ])('rejects a refreshed ID token whose %s changed, ending the session', async (_name, change) => {
    const { agent } = await signedIn();
    await expireSoon(stack, agent);
    const { id } = await ownSession(stack, agent);
    changeRefreshedIdToken = change;
    try {
      expect((await json(agent)).status).toBe(401);
    } finally {
      changeRefreshedIdToken = undefined;
    }
    expect(await getStored(stack.app.sessions.store, id)).toBeUndefined();
    expect((await agent.get('/profile')).status).toBe(302);
  });

  it('revokes the refresh token, then the access token, on logout and goes to end-session', async () => {
    const { agent } = await signedIn();
    const { tokens } = await ownSession(stack, agent);
    const before = stack.provider.events.revocation.length;
    const res = await agent
      .post('/logout')
      .type('form')
      .send({ csrf: csrfOf((await agent.get('/logout')).text) });
    expect(res.status).toBe(303);
    const calls = stack.provider.events.revocation.slice(before);
    expect(calls.map((c) => c.params.token_type_hint)).toEqual(['refresh_token', 'access_token']);
    expect(calls.map((c) => c.params.token)).toEqual([tokens!.refreshToken, tokens!.accessToken]);
    expect(calls.every((c) => c.status === 200)).toBe(true);
    expect(new URL(res.headers.location!).searchParams.get('id_token_hint')).toBeNull();
  });

  it('a failed revocation is logged and never blocks the logout', async () => {
    const { agent } = await signedIn();
    const before = stack.provider.events.revocation.length;
    tokenEndpointDown = true; // the outage shim also takes out /token/revocation
    try {
      const res = await agent
        .post('/logout')
        .type('form')
        .send({ csrf: csrfOf((await agent.get('/logout')).text) });
      expect(res.status).toBe(303);
      expect(new URL(res.headers.location!).searchParams.get('id_token_hint')).toBeNull();
    } finally {
      tokenEndpointDown = false;
    }
    const refused = stack.provider.events.revocation.slice(before);
    expect(refused.map((c) => c.status)).toEqual([503, 503]);
    expect(stack.app.logs.join('\n')).toContain('token revocation failed (logout continues)');
    expect((await json(agent)).status).toBe(401);
  });

  it('"sign out everywhere" ends all of the user\'s sessions', async () => {
    const a = await signedIn();
    const b = await signedIn();
    expect((await json(b.agent)).status).toBe(200);
    const res = await a.agent
      .post('/logout')
      .type('form')
      .send({ csrf: csrfOf((await a.agent.get('/logout')).text), everywhere: '1' });
    expect(res.status).toBe(303);
    expect((await json(a.agent)).status).toBe(401);
    expect((await json(b.agent)).status).toBe(401);
  });

  it("without a refresh token the session lives by its own lifetime, not the token's", async () => {
    await withStack('dex', {}, async (dex) => {
      const agent = dex.browser();
      await signIn(dex, agent);
      const s = await ownSession(dex, agent);
      expect(s.tokens!.refreshToken).toBeUndefined();
      expect(s.data!.tokenInfo.refreshable).toBe(false);
      await setStored(dex.app.sessions.store, s.id, { ...s.data!, tokenInfo: { ...s.data!.tokenInfo, expiresAt: Date.now() - 3_600_000 } });
      const tokenCalls = dex.provider.events.token.length;
      expect((await json(agent)).status).toBe(200);
      expect(dex.provider.events.token.length).toBe(tokenCalls);
    });
  });
});

describe('back-channel logout', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('certified', { backchannel: true });
  });
  afterAll(() => stack?.close());

  const EVENT = { 'http://schemas.openid.net/event/backchannel-logout': {} };
  const logoutToken = (claims: JWTPayload, header: Record<string, unknown> = {}) => logoutTokenFrom(stack.provider, claims, header);
  const post = (token: string) => deliverLogoutToken(stack, token);

  it('ends the sessions named by sub (and by sid), answering 200', async () => {
    const agent = stack.browser();
    await signIn(stack, agent);
    const sub = stack.provider.app.subjectOf(stack.provider.users[0]!);
    expect((await json(agent)).status).toBe(200);
    const res = await post(await logoutToken({ sub }));
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect((await json(agent)).status).toBe(401);
  });

  it("ends one provider session by sid, leaving the user's other sessions alone", async () => {
    const first = stack.browser();
    const second = stack.browser();
    await signIn(stack, first);
    await signIn(stack, second);
    const sid = (await ownSession(stack, first)).data!.user.sid;
    expect(sid).toMatch(/./);
    expect((await post(await logoutToken({ sid }))).status).toBe(200);
    expect((await json(first)).status).toBe(401);
    expect((await json(second)).status).toBe(200);
  });

  it('is what the provider really sends when the user signs out there', async () => {
    const agent = stack.browser();
    const providerBrowser = new ProviderBrowser();
    await signIn(stack, agent, { providerBrowser });
    expect((await json(agent)).status).toBe(200);
    // The user signs out at the provider directly (another app's logout): the provider POSTs a logout_token to us.
    await logoutAtProvider(stack.provider.app.url(`${stack.provider.app.basePath}/session/end`), providerBrowser);
    await until(async () => (await json(agent)).status === 401, 'the back-channel logout to end the session');
  });

  const SUB = 'some-user';
  it.each<[string, () => Promise<string>]>([
    [
      'alg none',
      async () =>
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: stack.provider.issuer, aud: stack.provider.clientId, sub: SUB, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60, jti: 'x1', events: EVENT })).toString('base64url')}.`,
    ],
    [
      'HS256 with the client secret',
      async () =>
        new SignJWT({
          iss: stack.provider.issuer,
          aud: stack.provider.clientId,
          sub: SUB,
          iat: Math.floor(Date.now() / 1000),
          exp: Math.floor(Date.now() / 1000) + 60,
          jti: 'x2',
          events: EVENT,
        })
          .setProtectedHeader({ alg: 'HS256' })
          .sign(new TextEncoder().encode(stack.provider.clientSecret)),
    ],
    ['wrong iss', () => logoutToken({ sub: SUB, iss: 'https://evil.example' })],
    ['wrong aud', () => logoutToken({ sub: SUB, aud: 'another-client' })],
    ['missing events', () => logoutToken({ sub: SUB, events: undefined })],
    ['wrong events', () => logoutToken({ sub: SUB, events: { 'http://schemas.openid.net/event/other': {} } })],
    ['a nonce present', () => logoutToken({ sub: SUB, nonce: 'n' })],
    ['neither sub nor sid', () => logoutToken({})],
    ['bad signature', async () => (await logoutToken({ sub: SUB })).replace(/.{4}$/, 'AAAA')],
    ['not a JWT', async () => 'garbage'],
  ])('rejects a logout_token with %s (400, error body, no session ended)', async (_case, make) => {
    const agent = stack.browser();
    await signIn(stack, agent);
    const res = await post(await make());
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(typeof res.body.error_description).toBe('string');
    expect((await json(agent)).status).toBe(200);
  });

  it('rejects a replayed jti', async () => {
    const token = await logoutToken({ sub: 'nobody-signed-in' });
    expect((await post(token)).status).toBe(200);
    const again = await post(token);
    expect(again.status).toBe(400);
    expect(again.body.error_description).toMatch(/jti/);
  });

  it('needs a logout_token at all', async () => {
    expect((await request(stack.app.url).post('/backchannel-logout').type('form').send({})).status).toBe(400);
  });
});

describe('group checks (requireGroup)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('dex');
  });
  afterAll(() => stack?.close());

  it('opens /admin to the ADMIN group only', async () => {
    const admin = stack.browser();
    await signIn(stack, admin, { username: 'admin', password: 'admin-password' });
    expect((await admin.get('/admin')).status).toBe(200);
    expect((await json(admin, '/admin')).body).toMatchObject({ admin: true });

    const user = stack.browser();
    await signIn(stack, user, { username: 'user1', password: 'user1-password' });
    const page = await user.get('/admin');
    expect(page.status).toBe(403);
    expect(page.text).toContain('data-error-code="FORBIDDEN"');
    const api = await json(user, '/admin');
    expect(api.status).toBe(403);
    expect(api.body.error.code).toBe('FORBIDDEN');
    expect((await user.get('/')).text).not.toContain('href="/admin"');

    const anonymous = stack.browser();
    expect((await anonymous.get('/admin')).headers.location).toBe('/login?returnTo=%2Fadmin');
    expect((await json(anonymous, '/admin')).status).toBe(401);
  });
});

describe('Casdoor logout', () => {
  it('uses the newest ID token as the hint, so Casdoor redirects back instead of answering JSON', async () => {
    await withStack('casdoor', { env: { OIDC_SCOPES: 'openid profile email offline_access' } }, async (stack) => {
      const agent = stack.browser();
      await signIn(stack, agent);
      await expireSoon(stack, agent);
      expect((await json(agent)).status).toBe(200); // refreshes: Casdoor deletes the old token row
      expect(refreshGrants(stack.provider).length).toBe(1);
      const res = await agent
        .post('/logout')
        .type('form')
        .send({ csrf: csrfOf((await agent.get('/logout')).text) });
      expect(stack.provider.events.revocation).toEqual([]);
      const endSession = new URL(res.headers.location!);
      expect(endSession.pathname).toBe('/api/logout');
      const back = await logoutAtProvider(endSession.href);
      expect(back.status).toBe(302);
      const done = await agent.get(pathOf(back.location!));
      expect(done.headers.location).toBe('/?signed_out=1');
    });
  });
});
