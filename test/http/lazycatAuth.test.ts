// lazycatAuth() mounted in host apps that are not ours: what it adds, what it leaves alone.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express, { type ErrorRequestHandler, type Express } from 'express';
import session from 'express-session';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AppError,
  ConfigError,
  lazycatAuth,
  requireAuth,
  requireGroup,
  type LazycatAuth,
  type LazycatAuthOptions,
} from '../../src/index.ts';
import { composeAuth, internalsOf } from '../../src/http/composeAuth.ts';
import { getStored, setStored } from '../../src/sessions/writes.ts';
import { agedTokenInfo } from '../fixtures/tokens.ts';
import { createSessionBackend } from '../../src/sessions/index.ts';
import { loadConfig } from '../../src/config/load.ts';
import { reservePort } from '../fixtures/app.ts';
import { capturingLogger } from '../fixtures/logs.ts';
import { observedBackend } from '../fixtures/observedBackend.ts';
import { startProvider, type TestProvider } from '../fixtures/provider.ts';
import { beginSignIn, pathOf } from '../fixtures/stack.ts';
import { loginAtProvider } from '../fixtures/providerLogin.ts';

let provider: TestProvider;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  provider = await startProvider('certified');
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await provider.close();
});

/** What a host app on `url` would set to sign in with the test provider, sessions in memory. */
const hostEnv = (url: string) => ({
  NODE_ENV: 'test',
  LAZYCAT_AUTH_OIDC_ISSUER_URI: provider.issuer,
  LAZYCAT_AUTH_OIDC_CLIENT_ID: provider.clientId,
  LAZYCAT_AUTH_OIDC_CLIENT_SECRET: provider.clientSecret,
  OIDC_REDIRECT_URI: `${url}/callback`,
  SESSION_STORE: 'memory',
  SESSION_SECRET: 'host-app-session-secret-host-app-session',
});

interface Host {
  url: string;
  seen: unknown[];
  auth: LazycatAuth;
}

/**
 * A host app of someone else's: lazycatAuth() first (after whatever `before` mounts), its own routes, and its own
 * error handler that records what reached it.
 */
async function host(
  options: LazycatAuthOptions | ((url: string) => LazycatAuthOptions),
  build: (app: Express) => void = () => {},
  before: (app: Express) => void = () => {},
): Promise<Host> {
  const { server, port } = await reservePort();
  const url = `http://127.0.0.1:${port}`;
  const seen: unknown[] = [];
  const auth = lazycatAuth({
    env: hostEnv(url),
    logger: capturingLogger().logger,
    ...(typeof options === 'function' ? options(url) : options),
  });
  const app = express();
  before(app);
  app.use(auth);
  app.get('/public', (_req, res) => res.send('public'));
  app.get('/me', requireAuth(), (req, res) => res.json(req.oidc.user));
  app.get('/admin', requireGroup('ADMIN'), (_req, res) => res.send('admins only'));
  build(app);
  const handler: ErrorRequestHandler = (err, _req, res, _next) => {
    seen.push(err);
    res.status((err as { status?: number }).status ?? 500).json({ host: true, code: (err as { code?: string }).code });
  };
  app.use(handler);
  server.on('request', app);
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await auth.close();
  });
  return { url, seen, auth };
}

async function signIn(h: Pick<Host, 'url'>, username = 'alice', returnTo?: string) {
  const agent = request.agent(h.url);
  const authorize = await beginSignIn(agent, returnTo);
  const callback = await agent.get(
    pathOf(
      await loginAtProvider(
        authorize,
        provider.users.find((u) => u.username === username)!,
      ),
    ),
  );
  return { agent, callback };
}

describe('lazycatAuth() in a host app', () => {
  it('signs in, lands on / when no returnTo was asked for, and fills req.oidc', async () => {
    const h = await host({});
    const { agent, callback } = await signIn(h);
    expect(callback.headers.location).toBe('/');
    const me = await agent.get('/me').set('Accept', 'application/json');
    expect(me.body).toEqual({
      sub: 'alice',
      name: 'Alice Admin',
      username: 'alice',
      email: 'alice@example.test',
      picture: provider.url('/avatar/alice.svg'),
      groups: ['ADMIN'],
      issuer: provider.issuer,
    });
  });

  it('answers afterSignIn when set, and refuses an off-site one', async () => {
    expect((await signIn(await host({ afterSignIn: '/dashboard' }))).callback.headers.location).toBe('/dashboard');
    expect((await signIn(await host({ afterSignIn: '//evil.example' }))).callback.headers.location).toBe('/');
  });

  it("refuses an afterSignIn that is the instance's own, renamed, sign-in or sign-out path", async () => {
    const routes = { login: '/auth/login', logout: '/auth/logout' };
    for (const afterSignIn of ['/auth/login', '/auth/logout']) {
      const agent = request.agent((await host({ routes, afterSignIn })).url);
      const start = await agent.get('/auth/login');
      expect(start.status).toBe(303);
      const callback = await agent.get(pathOf(await loginAtProvider(start.headers.location!, provider.users[0]!)));
      expect(callback.headers.location, afterSignIn).toBe('/');
    }
  });

  it("hands errors to the host's error handler as AppErrors with code and status (pages: 'host', the default)", async () => {
    const h = await host({});
    const res = await request(h.url).get('/callback?code=x&state=not-a-state').set('Accept', 'application/json');
    expect(res.body).toEqual({ host: true, code: 'OIDC_STATE_MISMATCH' });
    expect(res.status).toBe(400);
    expect((await request(h.url).get('/me').set('Accept', 'application/json')).body).toEqual({ host: true, code: 'AUTH_REQUIRED' });
    expect(h.seen.every((e) => e instanceof AppError)).toBe(true);
    expect(h.seen.map((e) => (e as AppError).status)).toEqual([400, 401]);
  });

  it("answers with its own zh-CN/en pages and JSON with pages: 'builtin'", async () => {
    const h = await host({ pages: 'builtin' });
    const page = await request(h.url).get('/callback?code=x&state=not-a-state').set('Accept', 'text/html').set('Accept-Language', 'zh-CN');
    expect(page.status).toBe(400);
    expect(page.text).toContain('data-error-code="OIDC_STATE_MISMATCH"');
    expect(page.text).toContain('出错了');
    expect(page.text).not.toMatch(/at .*\.ts:\d+/);
    const api = await request(h.url).get('/me').set('Accept', 'application/json');
    expect(api.status).toBe(401);
    expect(api.body.error).toMatchObject({ code: 'AUTH_REQUIRED', requestId: expect.any(String) });
    const bob = (await signIn(h, 'bob')).agent;
    expect((await bob.get('/admin').set('Accept', 'text/html')).text).toContain('data-error-code="FORBIDDEN"');
    expect(h.seen).toEqual([]);
  });

  it("marks the host's responses for a signed-in user no-store before its handler runs; the host may set its own", async () => {
    const h = await host({}, (app) => {
      app.get('/hello', (req, res) => res.send(`hello ${req.oidc.user?.name ?? 'stranger'}`));
      app.get('/shared', (_req, res) => res.set('Cache-Control', 'private, max-age=60').send('the same for everyone'));
    });
    expect((await request(h.url).get('/hello')).headers['cache-control']).toBeUndefined();
    const { agent } = await signIn(h);
    const hello = await agent.get('/hello');
    expect(hello.text).toBe('hello Alice Admin');
    expect(hello.headers['cache-control']).toBe('no-store');
    expect((await agent.get('/shared')).headers['cache-control']).toBe('private, max-age=60');
  });

  it("reads no user from a host's own session: without lazycatAuth's cookie, nobody is signed in", async () => {
    const h = await host(
      {},
      (app) => app.get('/whoami', (req, res) => res.json({ signedIn: req.oidc.isAuthenticated(), user: req.oidc.user ?? null })),
      (app) => {
        // The host's own express-session, before lazycatAuth, with a `user` of its own making.
        app.use(session({ name: 'host.sid', secret: 'host-secret-host-secret-host-secret', resave: false, saveUninitialized: false }));
        app.get('/host-login', (req, res) => {
          (req.session as unknown as Record<string, unknown>).user = { sub: 'mallory', groups: ['ADMIN'], issuer: 'https://elsewhere' };
          res.send('ok');
        });
      },
    );
    const agent = request.agent(h.url);
    expect((await agent.get('/host-login')).status).toBe(200);
    expect((await agent.get('/whoami')).body).toEqual({ signedIn: false, user: null });
    expect((await agent.get('/me').set('Accept', 'application/json')).status).toBe(401);
    expect((await agent.get('/admin').set('Accept', 'application/json')).status).toBe(401);
  });

  it('serves its routes at the paths the host chose, the callback at the redirect URI path', async () => {
    const h = await host({ routes: { login: '/auth/login', logout: '/auth/logout' } });
    const nav = await request(h.url).get('/me').set('Accept', 'text/html');
    expect(nav.headers.location).toBe('/auth/login?returnTo=%2Fme');
    const agent = request.agent(h.url);
    const start = await agent.get('/auth/login');
    expect(start.status).toBe(303);
    const callback = await agent.get(pathOf(await loginAtProvider(start.headers.location!, provider.users[0]!)));
    expect(callback.status).toBe(303);
    expect((await agent.get('/auth/logout')).text).toContain('action="/auth/logout"');
    expect((await request(h.url).get('/login')).status).toBe(404);
  });

  it('answers its own paths however Express would match a route to them (any case, one trailing slash)', async () => {
    const h = await host({ routes: { login: '/auth/login' } });
    for (const variant of ['/auth/login', '/AUTH/Login', '/auth/login/']) {
      const res = await request(h.url).get(variant);
      expect(res.status).toBe(303);
      expect(res.headers.location).toMatch(new RegExp(`^${provider.issuer}/`));
    }
    expect((await request(h.url).get('/auth/login/x')).status).toBe(404);
  });

  it('lets several instances live in one process, each with its own provider settings and store', async () => {
    const a = await host({});
    const b = await host({});
    const signedInA = (await signIn(a)).agent;
    expect((await signedInA.get('/me').set('Accept', 'application/json')).status).toBe(200);
    const cookie = signedInA.jar.getCookies({ domain: '127.0.0.1', path: '/', secure: false, script: false }).toValueString();
    // Same cookie name, other instance, other store: not signed in there.
    expect((await request(b.url).get('/me').set('Accept', 'application/json').set('Cookie', cookie)).status).toBe(401);
  });
});

describe('answers that must not hang, loop or 500 (review findings)', () => {
  it('req.oidc.accessToken() rejects, never hangs, when a refresh it needs cannot reach the store', async () => {
    const h = await host({ scopes: 'openid profile email offline_access' }, (app) => {
      app.get('/token', async (req, res) => {
        // The token ages while the handler works: a refresh is due by the time it asks for the token.
        const { sessions } = internalsOf(h.auth);
        const stored = (await getStored(sessions.store, req.sessionID))!;
        req.session.tokenInfo = agedTokenInfo(stored.tokenInfo);
        await setStored(sessions.store, req.sessionID, { ...stored, tokenInfo: req.session.tokenInfo });
        // The store refuses the refresh lock (fault at the store's edge).
        sessions.kv.add = () => Promise.reject(new AppError('SESSION_STORE_UNAVAILABLE'));
        try {
          res.json({ token: Boolean(await req.oidc.accessToken()) });
        } catch (err) {
          res.status(503).json({ refused: (err as AppError).code });
        }
      });
    });
    const { agent } = await signIn(h);
    const res = await agent.get('/token').set('Accept', 'application/json');
    expect(res.body).toEqual({ refused: 'SESSION_STORE_UNAVAILABLE' });
  });

  it('leaves a post-logout redirect URI at the site root to the host page there', async () => {
    const h = await host(
      (url) => ({ postLogoutRedirectUri: `${url}/` }),
      (app) => app.get('/', (_req, res) => res.send('home')),
    );
    const home = await request(h.url).get('/');
    expect({ status: home.status, text: home.text }).toEqual({ status: 200, text: 'home' });
    // A return from the provider (it carries a state) is still checked there.
    expect((await request(h.url).get('/?state=unexpected')).status).toBe(303);
  });

  it('answers a non-ASCII logout state and a variant callback path with a redirect or 400, never 500', async () => {
    const h = await host({ pages: 'builtin' });
    const done = await request(h.url)
      .get(`/logout/done?state=${encodeURIComponent('é'.repeat(22))}`)
      .set('Cookie', `lzc-oidc.logout=${'a'.repeat(22)}`);
    expect(done.status).toBe(303);
    const callback = await request(h.url).get('/callback/?state=abcdefghijklmnopqrstuv&code=x').set('Accept', 'application/json');
    expect(callback.status).toBe(400);
  });

  it('goes to the canonical host once, and does not loop behind a proxy that rewrites every Host', async () => {
    const h = await host({});
    const first = await request(h.url).get('/login?returnTo=%2Fme').set('Host', 'app:3000');
    expect(first.status).toBe(303);
    const again = new URL(first.headers.location!);
    expect(again.origin).toBe(h.url);
    const second = await request(h.url)
      .get(again.pathname + again.search)
      .set('Host', 'app:3000');
    expect(second.status).toBe(303);
    expect(new URL(second.headers.location!).origin).toBe(new URL(provider.issuer).origin);
  });

  it('does not sign anyone out from a cross-site form post, which carries no session cookie under SameSite=Lax', async () => {
    const h = await host({});
    const res = await request(h.url).post('/logout').type('form').send({}).set('Sec-Fetch-Site', 'cross-site');
    expect(res.status).toBe(303);
    expect(res.headers['set-cookie']).toBeUndefined();
  });
});

describe('cost and side effects', () => {
  it('building it reads no environment of its own accord, touches no disk and opens no socket: the store opens on first use', async () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'lzc-lazy-')), 'not-yet');
    const env = {
      NODE_ENV: 'test',
      LAZYCAT_AUTH_OIDC_ISSUER_URI: 'http://127.0.0.1:9/never',
      LAZYCAT_AUTH_OIDC_CLIENT_ID: 'x',
      OIDC_REDIRECT_URI: 'http://127.0.0.1:1/callback',
      SESSION_STORE: 'sqlite',
      DATA_DIR: dataDir,
    };
    const auth = lazycatAuth({ env, logger: capturingLogger().logger });
    expect(existsSync(dataDir)).toBe(false);
    await auth.start();
    expect(existsSync(dataDir)).toBe(true);
    await auth.close();
  });

  it('fails with one ConfigError listing every problem, and says how to name the provider', () => {
    expect(() => lazycatAuth({ env: { NODE_ENV: 'production' } })).toThrow(ConfigError);
    try {
      lazycatAuth({ env: { NODE_ENV: 'production', SESSION_STORE: 'floppy' } });
    } catch (err) {
      expect((err as ConfigError).problems.length).toBeGreaterThanOrEqual(3);
    }
    expect(() => lazycatAuth({ env: { NODE_ENV: 'development' } })).toThrow(/No OpenID provider configured/);
  });

  it('a request that never touches sign-in gets no store read and no Set-Cookie; a signed-in one reads once and writes nothing', async () => {
    const { server, port } = await reservePort();
    const url = `http://127.0.0.1:${port}`;
    const { logger } = capturingLogger();
    const config = loadConfig(hostEnv(url));
    const real = await createSessionBackend(config.session, logger);
    let reads = 0;
    let writes = 0;
    // Counted at the store's edge: every session read goes through store.get, every write through store.set.
    const counted = observedBackend(real, ({ part, method }) => {
      if (part !== 'store') return;
      if (method === 'get') reads++;
      if (method === 'set') writes++;
    });
    const auth = composeAuth({ config, logger }, { sessions: counted });
    const app = express();
    app.use(auth);
    app.get('/public', (_req, res) => res.send('public'));
    app.use(express.static(path.resolve('public')));
    app.get('/me', requireAuth(), (req, res) => res.json(req.oidc.user));
    server.on('request', app);
    closers.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await real.close();
    });

    for (const p of ['/public', '/app.css']) {
      const res = await request(url).get(p).set('Cookie', 'other=1');
      expect(res.status).toBe(200);
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expect(reads).toBe(0);
    const { agent, callback } = await signIn({ url });
    expect(callback.status).toBe(303);
    reads = 0;
    writes = 0;
    expect((await agent.get('/public')).headers['set-cookie']).toBeUndefined();
    expect((await agent.get('/me').set('Accept', 'application/json')).body.sub).toBe('alice');
    expect([reads, writes]).toEqual([2, 0]);
  });

  it('needs lazycatAuth() before the guards, and says so', async () => {
    const app = express();
    app.get('/me', requireAuth(), (_req, res) => res.send('no'));
    app.use(((err, _req, res, _next) => res.status(500).send(String((err as Error).message))) as ErrorRequestHandler);
    const res = await request(app).get('/me');
    expect(res.text).toContain('need app.use(lazycatAuth()) before them');
  });
});
