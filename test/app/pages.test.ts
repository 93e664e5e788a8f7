import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, withStack, signIn, beginSignIn, pathOf, type Stack, csrfOf } from '../fixtures/stack.ts';
import { loginAtProvider, logoutAtProvider } from '../fixtures/providerLogin.ts';
import request from 'supertest';
import { freePort, startApp } from '../fixtures/app.ts';
import { startProvider, type TestProvider } from '../fixtures/provider.ts';
import { until } from '../fixtures/until.ts';

describe('pages, API answers and logout', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('certified');
  });
  afterAll(() => stack?.close());

  it('home: a sign-in button when signed out, a greeting when signed in', async () => {
    const agent = stack.browser();
    const out = await agent.get('/');
    expect(out.status).toBe(200);
    expect(out.text).toContain('id="sign-in"');
    await signIn(stack, agent);
    const signedIn = await agent.get('/');
    expect(signedIn.text).toContain(stack.provider.users[0]!.name!);
    expect(signedIn.text).toContain('href="/profile"');
  });

  it('nothing shown to a signed-in user may be cached, so Back after sign-out asks again instead of showing it', async () => {
    const agent = stack.browser();
    const name = stack.provider.users[0]!.name!;
    await signIn(stack, agent);
    const home = await agent.get('/');
    expect(home.text).toContain(name);
    expect(home.headers['cache-control']).toBe('no-store');
    const confirm = await agent.get('/logout');
    expect(confirm.headers['cache-control']).toBe('no-store');
    expect(
      (
        await agent
          .post('/logout')
          .type('form')
          .send({ csrf: csrfOf(confirm.text) })
      ).status,
    ).toBe(303);
    // What the Back button gets, as the page was not kept: the signed-out home.
    const back = await agent.get('/');
    expect(back.text).not.toContain(name);
    expect(back.text).toContain('id="sign-in"');
  });

  it("profile: times in the reader's language, the ISO instant in <time datetime> and in the JSON", async () => {
    const agent = stack.browser();
    await signIn(stack, agent);
    const json = await agent.get('/profile').set('Accept', 'application/json');
    const session = json.body.session as Record<string, string | undefined>;
    const zh = await agent.get('/profile').set('Accept-Language', 'zh-CN');
    const en = await agent.get('/profile').set('Accept-Language', 'en');
    for (const key of ['signedInAt', 'expiresAt', 'tokenExpiresAt']) {
      expect(session[key]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
      expect(zh.text).toContain(`<time datetime="${session[key]}"`);
    }
    // The session ends after the idle timeout (24 h by default) without a request.
    expect(zh.text).toMatch(/<time datetime="[^"]+" title="[^"]+">\d+小时后<\/time>/);
    expect(en.text).toMatch(/<time datetime="[^"]+" title="[^"]+">in \d+ hours<\/time>/);
    expect(en.text).not.toMatch(/>\d{4}-\d\d-\d\dT/);
  });

  it('profile: browsers are sent to sign in, API clients get 401 JSON', async () => {
    const page = await request(stack.app.url).get('/profile?x=1');
    expect(page.status).toBe(302);
    expect(page.headers.location).toBe('/login?returnTo=%2Fprofile%3Fx%3D1');
    for (const headers of [{ Accept: 'application/json' }, { 'X-Requested-With': 'XMLHttpRequest' }, { 'Sec-Fetch-Mode': 'cors' }]) {
      const api = await request(stack.app.url).get('/profile').set(headers);
      expect(api.status).toBe(401);
      expect(api.body.error.code).toBe('AUTH_REQUIRED');
      expect(api.body.error.requestId).toBe(api.headers['x-request-id']);
    }
  });

  it('sets a strict CSP with no inline script and the usual hardening headers', async () => {
    const res = await request(stack.app.url).get('/');
    const csp = res.headers['content-security-policy']!;
    expect(csp).toContain("script-src 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toMatch(new RegExp(`form-action 'self' ${new URL(stack.provider.issuer).origin}`));
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.text).not.toMatch(/<script/i);
    expect(res.text).toContain('/static/app.css');
    expect((await request(stack.app.url).get('/static/app.css')).status).toBe(200);
  });

  it('tags only the static files for revalidation: signed-in pages are never stored, so an ETag on them is hashing for nothing', async () => {
    const agent = stack.browser();
    await signIn(stack, agent);
    for (const accept of ['text/html', 'application/json']) {
      const page = await agent.get('/profile').set('Accept', accept);
      expect(page.status).toBe(200);
      expect(page.headers['cache-control']).toBe('no-store');
      expect(page.headers.etag).toBeUndefined();
    }
    for (const file of ['/static/app.css', '/lzc-oidc.css']) {
      const css = await request(stack.app.url).get(file);
      expect(css.status).toBe(200);
      expect(css.headers.etag).toBeTruthy();
      expect((await request(stack.app.url).get(file).set('If-None-Match', css.headers.etag!)).status).toBe(304);
    }
  });

  it('answers in zh-CN or en by Accept-Language, pages and errors alike', async () => {
    const zh = await request(stack.app.url).get('/').set('Accept-Language', 'zh-CN,zh;q=0.9');
    expect(zh.text).toContain('登录');
    expect(zh.text).toContain('lang="zh-CN"');
    const en = await request(stack.app.url).get('/').set('Accept-Language', 'en-US');
    expect(en.text).toContain('Sign in');
    const notFound = await request(stack.app.url).get('/nope').set('Accept-Language', 'zh');
    expect(notFound.status).toBe(404);
    expect(notFound.text).toContain('页面不存在');
    const json = await request(stack.app.url).get('/nope').set('Accept', 'application/json');
    expect(json.body.error.code).toBe('NOT_FOUND');
  });

  it('logout needs the CSRF token, then ends the session and goes to the provider end-session endpoint', async () => {
    const agent = stack.browser();
    await signIn(stack, agent);
    const forged = await agent.post('/logout').type('form').send({ csrf: 'forged' });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain('CSRF_INVALID');
    expect((await agent.get('/profile').set('Accept', 'application/json')).status).toBe(200);

    const confirm = await agent.get('/logout');
    expect(confirm.status).toBe(200);
    const res = await agent
      .post('/logout')
      .type('form')
      .send({ csrf: csrfOf(confirm.text) });
    expect(res.status).toBe(303);
    const endSession = new URL(res.headers.location!);
    expect(endSession.origin + endSession.pathname).toBe(stack.app.oidc.provider().endSessionEndpoint);
    // This provider revokes tokens at its revocation endpoint, so the ID token stays on the server.
    expect(endSession.searchParams.get('id_token_hint')).toBeNull();
    expect(endSession.searchParams.get('client_id')).toBe(stack.app.config.oidc.clientId);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(stack.app.config.oidc.postLogoutRedirectUri);
    const state = endSession.searchParams.get('state')!;
    expect(state).toMatch(/^[\w-]{22}$/);
    expect((await agent.get('/profile').set('Accept', 'application/json')).status).toBe(401);

    // The provider sends the browser back with our state: a "signed out" notice; a foreign state gets none.
    const back = await logoutAtProvider(endSession.href);
    expect(back.location).toBe(`${stack.app.config.oidc.postLogoutRedirectUri}?state=${state}`);
    const done = await agent.get(pathOf(back.location!));
    expect(done.headers.location).toBe('/?signed_out=1');
    const replayed = await agent.get(pathOf(back.location!));
    expect(replayed.headers.location).toBe('/');
  });

  it('answers an oversized form with 413 and a stable code', async () => {
    const res = await request(stack.app.url)
      .post('/logout')
      .type('form')
      .set('Accept', 'application/json')
      .send({ csrf: 'x'.repeat(10_000) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('sends the ID token to end-session only when told to, or when the provider has no other way to end tokens (Casdoor)', async () => {
    const idTokenHintOf = async (s: Stack): Promise<string | null> => {
      const agent = s.browser();
      await signIn(s, agent);
      const res = await agent
        .post('/logout')
        .type('form')
        .send({ csrf: csrfOf((await agent.get('/logout')).text) });
      return new URL(res.headers.location!).searchParams.get('id_token_hint');
    };
    await withStack('certified', { env: { OIDC_LOGOUT_HINT: 'id_token' } }, async (s) => expect(await idTokenHintOf(s)).toMatch(/^eyJ/));
    await withStack('casdoor', {}, async (s) => {
      expect(s.app.oidc.provider().revocationEndpoint).toBeUndefined();
      expect(await idTokenHintOf(s)).toMatch(/^eyJ/);
    });
  });

  it('GET /logout when signed out goes home; POST /logout when signed out is harmless', async () => {
    expect((await request(stack.app.url).get('/logout')).headers.location).toBe('/');
    // No session (a stale tab, a double submit): home with the notice, never the provider's end-session page
    // (Casdoor answers raw JSON to a logout without an id_token_hint).
    const post = await request(stack.app.url).post('/logout').type('form').send({});
    expect(post.status).toBe(303);
    expect(post.headers.location).toBe('/?signed_out=1');
  });

  it('/healthz and /readyz', async () => {
    expect((await request(stack.app.url).get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await request(stack.app.url).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ provider: true, store: true });
  });
});

describe('behind a TLS-terminating proxy (X-Forwarded-Proto: https)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('dex', {
      env: { OIDC_REDIRECT_URI: 'https://app.box.example/callback' },
      provider: { client: { redirectUris: ['https://app.box.example/callback'], anyLoopbackPort: false } },
    });
  });
  afterAll(() => stack?.close());

  it('marks every cookie Secure with the __Host- prefix and signs in with the public redirect URI', async () => {
    const viaProxy = (path: string, cookie?: string) => {
      const r = request(stack.app.url).get(path).set('X-Forwarded-Proto', 'https').set('X-Forwarded-Host', 'app.box.example');
      return cookie ? r.set('Cookie', cookie) : r;
    };
    const login = await viaProxy('/login?returnTo=/profile');
    expect(login.status).toBe(303);
    const txCookie = (login.headers['set-cookie'] as unknown as string[])[0]!;
    // Scoped to the callback, so it cannot carry __Host- (which needs Path=/): __Secure- still demands Secure.
    expect(txCookie).toMatch(/^__Secure-lzc-oidc\.tx\./);
    expect(txCookie).toMatch(/; Path=\/callback/);
    expect(txCookie).toMatch(/; Secure/);
    const authorize = new URL(login.headers.location!);
    expect(authorize.searchParams.get('redirect_uri')).toBe('https://app.box.example/callback');
    const callback = await loginAtProvider(authorize.href, stack.provider.users[0]!);
    expect(callback.startsWith('https://app.box.example/callback?')).toBe(true);
    const done = await viaProxy(pathOf(callback), txCookie.split(';')[0]);
    expect(done.status).toBe(303);
    const session = (done.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('__Host-lzc-oidc.sid='))!;
    expect(session).toMatch(/; Secure/);
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Lax/);
    expect(session).toMatch(/; Path=\//);
    expect(session).not.toMatch(/Domain=/i);
    const hsts = (await viaProxy('/')).headers['strict-transport-security'];
    expect(hsts).toMatch(/max-age=\d+/);
  });

  it('without the proxy header the app does not pretend to be https', async () => {
    const login = await request(stack.app.url).get('/login').set('Host', 'app.box.example');
    expect(login.status).toBe(303);
    // express-session refuses to set a Secure cookie on a plain-http request; the pending-login cookie is still Secure.
    expect((login.headers['set-cookie'] as unknown as string[])[0]).toMatch(/; Secure/);
  });
});

describe('Dex / Lazycat: no end_session_endpoint', () => {
  it('signs out locally and shows the notice', async () => {
    await withStack('dex', {}, async (stack) => {
      const agent = stack.browser();
      await signIn(stack, agent);
      const csrf = csrfOf((await agent.get('/logout')).text);
      const res = await agent.post('/logout').type('form').send({ csrf });
      expect(res.headers.location).toBe('/?signed_out=1');
      const home = await agent.get('/?signed_out=1');
      expect(home.text).toContain('You have been signed out');
      expect((await agent.get('/profile').set('Accept', 'application/json')).status).toBe(401);
    });
  });
});

describe('provider down at boot', () => {
  it('starts anyway: /readyz 503 and a friendly 503 on /login, then recovers when the provider appears', async () => {
    const issuer = `http://127.0.0.1:${await freePort()}`;
    const app = await startApp(
      {
        LAZYCAT_AUTH_OIDC_ISSUER_URI: issuer,
        LAZYCAT_AUTH_OIDC_CLIENT_ID: 'late-client',
        LAZYCAT_AUTH_OIDC_CLIENT_SECRET: 'late-secret',
        OIDC_DISCOVERY_RETRY_MAX: '1',
      },
      { waitReady: false },
    );
    let provider;
    try {
      const ready = await request(app.url).get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.checks.provider).toBe(false);
      const login = await request(app.url).get('/login').set('Accept-Language', 'en');
      expect(login.status).toBe(503);
      expect(login.headers['retry-after']).toBe('5');
      expect(login.text).toContain('OIDC_PROVIDER_UNAVAILABLE');
      expect(login.text).toContain('unavailable');
      expect((await request(app.url).get('/healthz')).status).toBe(200);

      provider = await startProvider('certified', {
        options: { issuer },
        client: { clientId: 'late-client', clientSecret: 'late-secret' },
      });
      await until(async () => (await request(app.url).get('/readyz')).status === 200, 'discovery retry to succeed');
      const agent = request.agent(app.url);
      const authorize = await beginSignIn(agent);
      const done = await agent.get(pathOf(await loginAtProvider(authorize, provider.users[0]!)));
      expect(done.status).toBe(303);
      expect(app.logs.join('\n')).toContain('discovery failed; retrying');
    } finally {
      await app.close();
      await provider?.close();
    }
  });
});

describe('provider goes down after boot', () => {
  it('signed-in pages keep working, /login shows the unavailable page, and sign-in recovers by itself', async () => {
    const stack = await startStack('certified');
    let revived: TestProvider | undefined;
    try {
      const agent = stack.browser();
      await signIn(stack, agent);
      await stack.provider.close();
      await until(
        async () => (await request(stack.app.url).get('/login')).status === 503,
        'the app to notice the provider is gone',
        20_000,
      );
      const login = await request(stack.app.url).get('/login');
      expect(login.text).toContain('OIDC_PROVIDER_UNAVAILABLE');
      expect((await agent.get('/profile').set('Accept', 'application/json')).status).toBe(200);

      revived = await startProvider('certified', {
        options: { issuer: stack.provider.issuer },
        client: { clientId: stack.provider.clientId, clientSecret: stack.provider.clientSecret },
      });
      await until(async () => (await request(stack.app.url).get('/login')).status === 303, 'sign-in to come back', 20_000);
      const again = stack.browser();
      const authorize = await beginSignIn(again);
      expect((await again.get(pathOf(await loginAtProvider(authorize, revived.users[0]!)))).status).toBe(303);
    } finally {
      await stack.app.close();
      await revived?.close();
    }
  });
});
