// The app behind a Lazycat-like ingress (test/fixtures/ingress.ts): box identity on every request, the app's other
// domains, and every browser of a household reaching the app from one address.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, sessionIdOf, type Stack } from '../fixtures/stack.ts';
import { startApp } from '../fixtures/app.ts';
import { loginAtProvider } from '../fixtures/providerLogin.ts';
import { BoxBrowser, startIngress, type Ingress } from '../fixtures/ingress.ts';
import { getStored } from '../../src/sessions/writes.ts';
import { SESSION_DB_FILE } from '../../src/sessions/sqlite.ts';

const APP = 'app.box.test';
const PREFIX = 'dev-app.box.test';
const SECONDARY = 'notes.example.org';
const JSON_ACCEPT = { accept: 'application/json' };
const NAVIGATE = { accept: 'text/html', 'sec-fetch-mode': 'navigate' };

let stack: Stack;
let ingress: Ingress;
let dataDir: string;
let db: DatabaseSync;
beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'lzc-ingress-'));
  stack = await startStack('dex', {
    // What the box injects (the redirect URI follows from the app domain), with the default TRUST_PROXY and store.
    env: { LAZYCAT_APP_DOMAIN: APP, OIDC_REDIRECT_URI: undefined, TRUST_PROXY: undefined, SESSION_STORE: 'sqlite', DATA_DIR: dataDir },
    provider: { client: { redirectUris: [`https://${APP}/callback`], anyLoopbackPort: false } },
  });
  ingress = await startIngress(stack.app.port);
  db = new DatabaseSync(path.join(dataDir, SESSION_DB_FILE), { readOnly: true });
});
afterAll(async () => {
  db?.close();
  await ingress?.close();
  await stack?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Every record the server keeps (sessions, short-lived records, the owner index), live or not yet pruned. */
const storedRows = () =>
  db.prepare('SELECT (SELECT count(*) FROM sessions) + (SELECT count(*) FROM kv) + (SELECT count(*) FROM session_owners) AS n').get()!.n;

const boxUser = (id: string, role: 'NORMAL' | 'ADMIN' = 'NORMAL') => ingress.login({ id, role });
const providerUser = (username: string) => stack.provider.users.find((u) => u.username === username)!;

/** /login on the canonical host, the provider's form, and the callback: the callback's response. */
async function signIn(browser: BoxBrowser, returnTo: string, username = 'user1') {
  const start = await browser.get(`https://${APP}/login?returnTo=${encodeURIComponent(returnTo)}`);
  expect(start.status).toBe(303);
  return browser.get(await loginAtProvider(start.location!, providerUser(username)));
}

const sessionOf = (browser: BoxBrowser) => sessionIdOf(browser.cookies(APP).get(stack.app.config.session.cookieName) ?? '');
const txCookies = (browser: BoxBrowser) => [...browser.cookies(APP)].filter(([name]) => name.startsWith('__Secure-lzc-oidc.tx.'));

describe('the app session follows the box user', () => {
  it('remembers the box user who signed in, and keeps the session while that user stays', async () => {
    const browser = new BoxBrowser(ingress, boxUser('alice'));
    expect((await signIn(browser, '/profile')).location).toBe('/profile');
    expect((await getStored(stack.app.sessions.store, sessionOf(browser)))?.boxUser).toBe('alice');
    for (let i = 0; i < 3; i++) expect((await browser.get(`https://${APP}/profile`, JSON_ACCEPT)).status).toBe(200);
  });

  it('another box user in the same browser ends it: a page navigation starts a fresh sign-in', async () => {
    const browser = new BoxBrowser(ingress, boxUser('alice'));
    await signIn(browser, '/profile');
    const sid = sessionOf(browser);
    browser.boxLogin = boxUser('bob');
    const page = await browser.get(`https://${APP}/profile`, NAVIGATE);
    expect(page.status).toBe(302);
    expect(page.location).toBe('/login?returnTo=%2Fprofile');
    expect(await getStored(stack.app.sessions.store, sid)).toBeUndefined();
    // The first box user coming back finds it ended too: it is not paused, it is over.
    browser.boxLogin = boxUser('alice');
    expect((await browser.get(`https://${APP}/profile`, JSON_ACCEPT)).status).toBe(401);
    // The new box user signs in and the session is theirs.
    browser.boxLogin = boxUser('bob');
    await signIn(browser, '/profile', 'admin');
    expect((await getStored(stack.app.sessions.store, sessionOf(browser)))?.boxUser).toBe('bob');
  });

  it('another box user in the same browser ends it: an API call gets 401', async () => {
    const browser = new BoxBrowser(ingress, boxUser('alice'));
    await signIn(browser, '/profile', 'admin');
    expect((await browser.get(`https://${APP}/admin`, JSON_ACCEPT)).status).toBe(200);
    browser.boxLogin = boxUser('bob');
    // Claiming the first box user from the client does not help: the ingress replaces the header.
    const api = await browser.get(`https://${APP}/admin`, { ...JSON_ACCEPT, 'x-hc-user-id': 'alice' });
    expect(api.status).toBe(401);
    expect(JSON.parse(api.body).error.code).toBe('AUTH_REQUIRED');
  });

  it("a box ADMIN role is not the provider's ADMIN group", async () => {
    const browser = new BoxBrowser(ingress, boxUser('carol', 'ADMIN'));
    await signIn(browser, '/profile', 'user1');
    const admin = await browser.get(`https://${APP}/admin`, JSON_ACCEPT);
    expect(admin.status).toBe(403);
    expect(JSON.parse(admin.body).error.code).toBe('FORBIDDEN');
  });
});

describe("every one of the app's domains signs in", () => {
  it.each([PREFIX, SECONDARY])('/login on %s first goes to the same path and query on the canonical host', async (host) => {
    const browser = new BoxBrowser(ingress, boxUser('dave'));
    const query = '?returnTo=%2Fprofile%3Ftab%3Dclaims&lang=zh-CN';
    const elsewhere = await browser.get(`https://${host}/login${query}`);
    expect(elsewhere.status).toBe(303);
    // The same path and query, marked so a proxy that rewrites Host cannot make it loop.
    expect(elsewhere.location).toBe(`https://${APP}/login${query}&canonical=1`);
    // Nothing is left on the other host: its cookie would never reach the callback.
    expect(elsewhere.setCookies).toEqual([]);
    const start = await browser.get(elsewhere.location!);
    expect(start.status).toBe(303);
    const done = await browser.get(await loginAtProvider(start.location!, providerUser('user1')));
    expect(done.status).toBe(303);
    expect(done.location).toBe('/profile?tab=claims');
    expect((await browser.get(`https://${APP}/profile`, JSON_ACCEPT)).status).toBe(200);
  });

  it("a proxy that hands the app its own address as Host (the browser is on the app's name): /login signs in, no redirect loop", async () => {
    const start = await request(stack.app.url).get('/login').set('X-Forwarded-Proto', 'https');
    expect(start.status).toBe(303);
    expect(start.headers.location!.startsWith(`${stack.provider.issuer}/auth?`)).toBe(true);
  });
});

describe('one shared address, and no server state for anonymous clients', () => {
  it('120 sign-in starts through the one ingress address, each from its own browser, all succeed and store nothing', async () => {
    const before = storedRows();
    const token = boxUser('erin');
    const authorize = `${stack.provider.issuer}/auth?`;
    let last: BoxBrowser | undefined;
    for (let i = 0; i < 120; i++) {
      last = new BoxBrowser(ingress, token);
      const start = await last.get(`https://${APP}/login?returnTo=%2Fprofile%3Fn%3D${i}`);
      expect(start.status).toBe(303);
      expect(start.location!.startsWith(authorize)).toBe(true);
    }
    // No X-Forwarded-For: the app saw every one of them from 127.0.0.1.
    expect(ingress.forwarded.every((r) => r.headers['x-forwarded-for'] === undefined)).toBe(true);
    expect(storedRows()).toBe(before);
    // They are real: the last one still finishes.
    const start = await last!.get(`https://${APP}/login?returnTo=%2Fprofile`);
    expect((await last!.get(await loginAtProvider(start.location!, providerUser('user1')))).location).toBe('/profile');
  });

  it('one browser starting over and over keeps at most 5 small pending-login cookies, the server none', async () => {
    const before = storedRows();
    const browser = new BoxBrowser(ingress, boxUser('frank'));
    let setCookie = '';
    for (let i = 0; i < 20; i++) {
      const start = await browser.get(`https://${APP}/login?returnTo=%2Fprofile`);
      // The new one comes last, after the oldest one's removal.
      setCookie = start.setCookies.filter((c) => c.startsWith('__Secure-lzc-oidc.tx.')).at(-1)!;
    }
    expect(txCookies(browser)).toHaveLength(5);
    expect(storedRows()).toBe(before);
    expect(setCookie).toMatch(/; Path=\/callback/);
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; Secure/);
    expect(setCookie).toMatch(/; SameSite=Lax/);
    expect(setCookie).not.toMatch(/1970/);
    // What the browser sends back to the callback, per pending sign-in: measured 208 bytes with returnTo=/profile
    // (308 for the whole Set-Cookie line).
    expect(setCookie.split(';')[0]!.length).toBeLessThan(240);
  });

  it('long returnTo values: the pending-login cookies a browser keeps stay within 4 KB together', async () => {
    const browser = new BoxBrowser(ingress, boxUser('gina'));
    const returnTo = `/profile?q=${'a'.repeat(1500)}`;
    const starts = [];
    for (let i = 0; i < 5; i++) starts.push(await browser.get(`https://${APP}/login?returnTo=${encodeURIComponent(returnTo)}`));
    const held = txCookies(browser);
    expect(held.reduce((sum, [name, value]) => sum + name.length + value.length, 0)).toBeLessThan(4096 + 64);
    // The newest is always kept, and finishes.
    const done = await browser.get(await loginAtProvider(starts.at(-1)!.location!, providerUser('user1')));
    expect(done.location).toBe(returnTo);
  });

  it('a forged code on a real pending sign-in is refused and writes nothing', async () => {
    const before = storedRows();
    const browser = new BoxBrowser(ingress, boxUser('hank'));
    const start = await browser.get(`https://${APP}/login`);
    const state = new URL(start.location!).searchParams.get('state')!;
    const res = await browser.get(
      `https://${APP}/callback?code=forged&state=${state}&iss=${encodeURIComponent(stack.provider.issuer)}`,
      JSON_ACCEPT,
    );
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(storedRows()).toBe(before);
  });

  it('a replayed callback signs in once: the signed-in browser goes on, a copy of its cookie elsewhere is refused before the provider', async () => {
    const token = boxUser('ivan');
    const browser = new BoxBrowser(ingress, token);
    const start = await browser.get(`https://${APP}/login?returnTo=%2Fprofile`);
    const [txName, txValue] = txCookies(browser)[0]!;
    const callback = await loginAtProvider(start.location!, providerUser('user1'));
    expect((await browser.get(callback)).location).toBe('/profile');
    const tokenRequests = stack.provider.events.token.length;
    const sessions = db.prepare('SELECT count(*) AS n FROM sessions').get()!.n;

    const again = await browser.get(callback);
    expect(again.status).toBe(303);
    expect(again.location).toBe('/profile');

    const thief = new BoxBrowser(ingress, token);
    const stolen = await thief.get(callback, { ...JSON_ACCEPT, cookie: `HC-Auth-Token=${token}; ${txName}=${txValue}` });
    expect(stolen.status).toBe(400);
    expect(JSON.parse(stolen.body).error.code).toBe('OIDC_TXN_EXPIRED');
    expect(stack.provider.events.token.length).toBe(tokenRequests);
    expect(db.prepare('SELECT count(*) AS n FROM sessions').get()!.n).toBe(sessions);
  });
});

describe('pending sign-ins and SESSION_SECRET rotation', () => {
  it('a sign-in started under the old secret finishes after rotation (newest encrypts, older decrypt), not once the old one is dropped', async () => {
    const [oldSecret, newSecret] = ['o'.repeat(40), 'n'.repeat(40)];
    const env = {
      LAZYCAT_AUTH_OIDC_ISSUER_URI: stack.provider.issuer,
      LAZYCAT_AUTH_OIDC_CLIENT_ID: stack.provider.clientId,
      LAZYCAT_AUTH_OIDC_CLIENT_SECRET: stack.provider.clientSecret,
    };
    const redirect = { OIDC_REDIRECT_URI: stack.app.config.oidc.redirectUri };
    const before = await startApp({ ...env, ...redirect, SESSION_SECRET: oldSecret }, { sessions: stack.app.sessions });
    const rotated = await startApp({ ...env, ...redirect, SESSION_SECRET: `${newSecret},${oldSecret}` }, { sessions: stack.app.sessions });
    const dropped = await startApp({ ...env, ...redirect, SESSION_SECRET: newSecret }, { sessions: stack.app.sessions });
    try {
      const startAt = async () => {
        const login = await request(before.url).get('/login').set('Host', APP).set('X-Forwarded-Proto', 'https');
        const cookie = (login.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
        return { cookie, callback: new URL(await loginAtProvider(login.headers.location!, providerUser('user1'))) };
      };
      const finishAt = (app: typeof before, { cookie, callback }: Awaited<ReturnType<typeof startAt>>) =>
        request(app.url)
          .get(callback.pathname + callback.search)
          .set('Host', APP)
          .set('X-Forwarded-Proto', 'https')
          .set('Cookie', cookie)
          .set('Accept', 'application/json');
      expect((await finishAt(rotated, await startAt())).status).toBe(303);
      const refused = await finishAt(dropped, await startAt());
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('OIDC_STATE_MISMATCH');
    } finally {
      await Promise.all([before.close(), rotated.close(), dropped.close()]);
    }
  });
});
