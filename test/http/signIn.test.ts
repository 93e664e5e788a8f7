import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, withStack, signIn, beginSignIn, pathOf, envFor, ownSession, type Stack } from '../fixtures/stack.ts';
import { startProvider } from '../fixtures/provider.ts';
import { startApp } from '../fixtures/app.ts';
import { loginAtProvider, ProviderBrowser } from '../fixtures/providerLogin.ts';
import { JWT } from '../fixtures/leaks.ts';
import { capturingLogger } from '../fixtures/logs.ts';
import { sessionConfig } from '../sessions/sessionConfig.ts';
import { createSessionBackend } from '../../src/sessions/index.ts';
import { observedBackend } from '../fixtures/observedBackend.ts';

describe.each(['certified', 'dex', 'casdoor'] as const)('sign-in against the %s provider', (profile) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(profile);
  });
  afterAll(() => stack?.close());

  it('signs in with PKCE S256, state and nonce, and lands on the page asked for', async () => {
    const agent = stack.browser();
    const res = await signIn(stack, agent, { returnTo: '/profile?tab=claims' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/profile?tab=claims');

    const auth = stack.provider.events.authorization.at(-1)!;
    expect(auth.params.code_challenge_method).toBe('S256');
    expect(auth.params.code_challenge).toMatch(/^[\w-]{43}$/);
    expect(auth.params.state).toMatch(/^[\w-]{43}$/);
    expect(auth.params.nonce).toMatch(/^[\w-]{43}$/);
    expect(auth.params.scope?.split(' ')).toContain('openid');
    const token = stack.provider.events.token.at(-1)!;
    expect(token.params.code_verifier).toMatch(/^[\w-]{43}$/);
    expect(token.params.redirect_uri).toBe(stack.app.config.oidc.redirectUri);

    const profileRes = await agent.get('/profile').set('Accept', 'application/json');
    expect(profileRes.status).toBe(200);
    const { user, session } = profileRes.body;
    const expected = stack.provider.users[0]!;
    expect(user.sub).toBe(stack.provider.app.subjectOf(expected));
    expect(user.groups).toEqual(expected.groups);
    expect(user.issuer).toBe(stack.provider.issuer);
    expect(session.signedInAt).toMatch(/^\d{4}-/);
    // Tokens stay server-side: never in the page, the JSON or a cookie.
    expect(JSON.stringify(profileRes.body)).not.toMatch(JWT);
    expect(JSON.stringify(profileRes.headers)).not.toMatch(JWT);

    const page = await agent.get('/profile');
    expect(page.status).toBe(200);
    expect(page.text).toContain(expected.groups[0]);
    expect(page.text).not.toMatch(JWT);
  });

  it('keeps the session record small: a user record and token expiry, the tokens stored beside it', async () => {
    const agent = stack.browser();
    await signIn(stack, agent);
    const { data, tokens } = await ownSession(stack, agent);
    expect(tokens?.idToken).toMatch(JWT);
    // Every request reads and hashes the record: Casdoor's three 3.7 KB tokens would make it 14 KB.
    const record = JSON.stringify(data);
    expect(record).not.toMatch(JWT);
    expect(record).not.toContain(tokens!.accessToken);
    expect(record.length).toBeLessThan(2500);
    expect(data!.tokenInfo).toMatchObject({ obtainedAt: tokens!.obtainedAt, refreshable: tokens!.refreshToken !== undefined });
  });

  it('verifies the ID token against the JWKS and calls userinfo once, with the access token', async () => {
    const before = stack.provider.events.userinfo.length;
    const res = await signIn(stack, stack.browser());
    expect(res.status).toBe(303);
    expect(stack.provider.events.userinfo.length).toBe(before + 1);
  });

  it('keeps every Set-Cookie small, HttpOnly and SameSite=Lax, even with large tokens', async () => {
    const agent = stack.browser();
    const login = await agent.get('/login');
    const callback = await agent.get(pathOf(await loginAtProvider(login.headers.location!, stack.provider.users[0]!)));
    const cookies = [...(login.headers['set-cookie'] as unknown as string[]), ...(callback.headers['set-cookie'] as unknown as string[])];
    expect(cookies.length).toBeGreaterThanOrEqual(2);
    for (const c of cookies) {
      expect(c.length).toBeLessThan(300);
      expect(c).toMatch(/HttpOnly/i);
      expect(c).toMatch(/SameSite=Lax/i);
    }
    if (profile === 'casdoor') {
      const tokenBody = stack.provider.events.token.at(-1);
      expect(tokenBody?.status).toBe(200);
    }
  });

  it('never logs a token, a code or a secret', async () => {
    await signIn(stack, stack.browser());
    const code = stack.provider.events.token.at(-1)!.params.code!;
    const logs = stack.app.logs.join('\n');
    expect(logs).toContain('signed in');
    expect(logs).not.toMatch(JWT);
    expect(logs).not.toContain(code);
    expect(logs).not.toContain(stack.provider.clientSecret);
  });

  it('handles two tabs signing in at the same time in one browser', async () => {
    // One browser: one cookie jar at the app and one at the provider, both sign-in forms open before either is
    // sent. Tab 1 finishes at the provider first, so tab 2 signs in inside the provider session tab 1 created,
    // and only then does the app redeem both codes.
    const agent = stack.browser();
    const provider = new ProviderBrowser();
    const tabs = [await beginSignIn(agent, '/profile?tab=1'), await beginSignIn(agent, '/profile?tab=2')];
    const forms = await Promise.all(tabs.map((url) => provider.follow(url, () => undefined)));
    const creds = stack.provider.users[0]!;
    const callbacks: string[] = [];
    for (const form of forms) {
      expect(form.location).toBeUndefined();
      callbacks.push(await loginAtProvider(form.url, creds, provider));
    }
    const [r1, r2] = [await agent.get(pathOf(callbacks[0]!)), await agent.get(pathOf(callbacks[1]!))];
    expect(r1.headers.location).toBe('/profile?tab=1');
    expect(r2.headers.location).toBe('/profile?tab=2');
    expect((await agent.get('/profile').set('Accept', 'application/json')).status).toBe(200);
  });
});

describe('issuer spelling', () => {
  it('a trailing slash on a path issuer (Lazycat /sys/oauth/) does not break discovery', async () => {
    const provider = await startProvider('dex');
    const app = await startApp({ ...envFor(provider), LAZYCAT_AUTH_OIDC_ISSUER_URI: `${provider.issuer}/` });
    try {
      expect(app.oidc.isReady()).toBe(true);
      expect(app.oidc.provider().config.serverMetadata().issuer).toBe(provider.issuer);
    } finally {
      await app.close();
      await provider.close();
    }
  });
});

describe('scopes', () => {
  it('requests only scopes the provider advertises (Dex rejects unknown ones)', async () => {
    await withStack('dex', { env: { OIDC_SCOPES: 'openid profile email groups phone address' } }, async (stack) => {
      expect(stack.app.oidc.provider().scopes).toEqual(['openid', 'profile', 'email', 'groups']);
      const res = await signIn(stack, stack.browser());
      expect(res.status).toBe(303);
    });
  });
});

describe('what a sign-in writes to the store', () => {
  // Every kv write, every session saved and every session ended, counted at the store's edge over a real store.
  const written: string[] = [];
  let stack: Stack;
  beforeAll(async () => {
    const { logger } = capturingLogger();
    const real = await createSessionBackend(sessionConfig({ store: 'memory' }), logger);
    const recorded = observedBackend(real, ({ part, method, args }) => {
      if (part === 'store' && method === 'set') written.push(`save ${String(args[0])}`);
      if (part === 'kv' && (method === 'set' || method === 'add')) written.push(`${method} ${String(args[0])}`);
    });
    stack = await startStack('certified', { sessions: recorded });
  });
  afterAll(async () => {
    await stack?.close();
    await stack?.app.sessions.close();
  });

  it("a browser's first sign-in ends no session: its new session was never stored, so it leaves no ended: mark", async () => {
    written.length = 0;
    const agent = stack.browser();
    expect((await signIn(stack, agent)).status).toBe(303);
    const { id } = await ownSession(stack, agent);
    expect(written.filter((w) => w.includes('ended:'))).toEqual([]);
    // What a sign-in does write: its single-use mark, the session's tokens and the session, once.
    expect(written.map((w) => w.replace(/[: ].*/, ''))).toEqual(['add', 'set', 'save']);
    expect(written).toEqual([expect.stringMatching(/^add done:/), `set tokens:${id}`, `save ${id}`]);
  });

  it('a session read from the store is still ended by the sign-in that replaces it', async () => {
    const first = stack.browser();
    expect((await signIn(stack, first)).status).toBe(303);
    const { id: oldId } = await ownSession(stack, first);
    // The same browser signs in again through a callback of its own (/login would send a signed-in browser on).
    const other = stack.browser();
    const authorizeUrl = await beginSignIn(other);
    const txCookies = other.jar.getCookies({ domain: '127.0.0.1', path: '/callback', secure: false, script: false });
    for (const c of txCookies) first.jar.setCookie(`${c.name}=${c.value}; Path=/callback`, '127.0.0.1', '/callback');
    written.length = 0;
    const res = await first.get(pathOf(await loginAtProvider(authorizeUrl, stack.provider.users[0]!)));
    expect(res.status).toBe(303);
    const { id: newId, data } = await ownSession(stack, first);
    expect(newId).not.toBe(oldId);
    expect(data?.user).toBeDefined();
    expect(written).toContain(`set ended:${oldId}`);
    expect(await stack.app.sessions.kv.get(`ended:${oldId}`)).toBe(1);
  });
});
