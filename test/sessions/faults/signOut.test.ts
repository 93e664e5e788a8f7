// Sign-out under faults, in the real stores: the browser is always signed out, the server says when it could not
// confirm it, and the local sessions end before the provider is asked to revoke anything.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderMiddleware } from '../../../devprovider/providerApp.ts';
import { getStored, sessionWrites, setStored } from '../../../src/sessions/writes.ts';
import { tokenCipher } from '../../../src/sessions/tokenCipher.ts';
import { SESSION_DB_FILE } from '../../../src/sessions/sqlite.ts';
import { startRedis, type RedisServer } from '../../fixtures/redis.ts';
import { csrfOf, ownSession, signIn, startStack, type Agent, type Stack } from '../../fixtures/stack.ts';
import { canMount, smallDisk, sqliteRefuses, type SmallDisk } from '../../fixtures/storeFaults.ts';
import { until } from '../../fixtures/until.ts';
import { STACK_TRACE } from '../../fixtures/leaks.ts';

/** The session cookie as this browser holds it, to replay it later as a thief would. */
function cookieOf(stack: Stack, agent: Agent): string {
  const name = stack.app.config.session.cookieName;
  const cookie = agent.jar.getCookie(name, { domain: '127.0.0.1', path: '/', secure: false, script: false });
  if (!cookie) throw new Error('no session cookie');
  return `${name}=${cookie.value}`;
}

/** Whether the response tells the browser to drop the session cookie (and sets it to nothing else). */
function clearsSessionCookie(stack: Stack, res: request.Response): boolean {
  const name = stack.app.config.session.cookieName;
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []).filter((c) => c.startsWith(`${name}=`));
  return cookies.length > 0 && cookies.every((c) => c.startsWith(`${name}=;`) && c.includes('Expires=Thu, 01 Jan 1970'));
}

/** The error an API client gets: a stable code and a message. */
const apiError = (res: request.Response) => (res.body as { error: { code: string; message: unknown } }).error;

async function signedInWithCsrf(stack: Stack): Promise<{ agent: Agent; csrf: string }> {
  const agent = stack.browser();
  expect((await signIn(stack, agent)).status).toBe(303);
  return { agent, csrf: csrfOf((await agent.get('/logout')).text) };
}

describe.runIf(canMount)('sign-out with SQLite on a full disk', () => {
  let disk: SmallDisk;
  let stack: Stack;
  beforeAll(async () => {
    disk = smallDisk();
    stack = await startStack('certified', {
      env: { SESSION_STORE: 'sqlite', DATA_DIR: disk.dir, OIDC_SCOPES: 'openid profile email groups offline_access' },
    });
  });
  afterAll(async () => {
    await stack?.close();
    disk?.close();
  });

  it('clears the cookie also when the store fails before the route runs: a refresh that cannot be written, on a request that slid the idle window', async () => {
    const { agent, csrf } = await signedInWithCsrf(stack);
    const { id, data } = await ownSession(stack, agent);
    const idleMs = stack.app.config.session.idleTimeoutSec * 1000;
    // As if the user came back after a while: the idle window slides (the session changes) and the access token needs a refresh.
    await setStored(stack.app.sessions.store, id, {
      ...data!,
      lastSeen: Date.now() - idleMs / 2,
      tokenInfo: { ...data!.tokenInfo, expiresAt: Date.now() + 5_000 },
    });
    disk.fill();
    try {
      const res = await agent.post('/logout').type('form').send({ csrf }).set('Accept', 'application/json');
      expect(res.status).toBe(503);
      expect(apiError(res).code).toBe('SIGN_OUT_UNCONFIRMED');
      expect(clearsSessionCookie(stack, res)).toBe(true);
      expect((await agent.get('/profile')).status).toBe(302);
    } finally {
      disk.free();
    }
  });

  it('clears the cookie and says the server could not confirm it; the browser is signed out and the app keeps going', async () => {
    const { agent, csrf } = await signedInWithCsrf(stack);
    disk.fill();
    try {
      const res = await agent.post('/logout').type('form').send({ csrf });
      expect(res.status).toBe(503);
      expect(res.text).toContain('data-error-code="SIGN_OUT_UNCONFIRMED"');
      expect(res.text).not.toMatch(STACK_TRACE);
      expect(clearsSessionCookie(stack, res)).toBe(true);
      // The disk is still full: this browser no longer sends the cookie, so nothing signed in is shown.
      expect((await agent.get('/profile')).status).toBe(302);
    } finally {
      disk.free();
    }
    const again = stack.browser();
    expect((await signIn(stack, again)).status).toBe(303);
    expect((await again.get('/profile')).status).toBe(200);
  });

  it('refuses a copy of the cookie at once, and deletes the session as soon as the disk takes writes again', async () => {
    const { agent, csrf } = await signedInWithCsrf(stack);
    const stolen = cookieOf(stack, agent);
    const { id } = await ownSession(stack, agent);
    disk.fill();
    try {
      expect((await agent.post('/logout').type('form').send({ csrf })).status).toBe(503);
      // The row is still on the full disk, yet the copied cookie opens nothing.
      expect(await getStored(stack.app.sessions.store, id)).toBeDefined();
      expect((await request(stack.app.url).get('/profile').set('Cookie', stolen).set('Accept', 'application/json')).status).toBe(401);
    } finally {
      disk.free();
    }
    await until(
      async () => (await getStored(stack.app.sessions.store, id)) === undefined,
      'the session to be deleted once the disk has room',
    );
    expect((await request(stack.app.url).get('/profile').set('Cookie', stolen).set('Accept', 'application/json')).status).toBe(401);
  });
});

describe('sign-out when SQLite refuses the tombstone', () => {
  let dataDir: string;
  let stack: Stack;
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'lzc-oidc-faults-'));
    stack = await startStack('certified', { env: { SESSION_STORE: 'sqlite', DATA_DIR: dataDir } });
  });
  afterAll(async () => {
    await stack?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('has deleted the session (and its tokens) before it tries to write the tombstone', async () => {
    const { agent, csrf } = await signedInWithCsrf(stack);
    const stolen = cookieOf(stack, agent);
    const { id, tokens } = await ownSession(stack, agent);
    expect(tokens).toBeDefined();
    const fault = sqliteRefuses(path.join(dataDir, SESSION_DB_FILE), `BEFORE INSERT ON kv WHEN NEW.key LIKE 'ended:%'`);
    let res;
    try {
      res = await agent.post('/logout').type('form').send({ csrf }).set('Accept', 'application/json');
    } finally {
      await fault.heal();
    }
    expect(res.status).toBe(503);
    expect(apiError(res).code).toBe('SIGN_OUT_UNCONFIRMED');
    expect(clearsSessionCookie(stack, res)).toBe(true);
    expect(await getStored(stack.app.sessions.store, id)).toBeUndefined();
    const writes = sessionWrites(
      stack.app.sessions,
      stack.app.config.session.absoluteTimeoutSec,
      tokenCipher(stack.app.config.session.secrets),
    );
    expect(await writes.tokens(id)).toBeUndefined();
    // Even the old cookie, replayed, opens nothing.
    expect((await request(stack.app.url).get('/profile').set('Cookie', stolen).set('Accept', 'application/json')).status).toBe(401);
  });
});

describe('sign-out while Redis is down', () => {
  let redis: RedisServer;
  let stack: Stack;
  beforeAll(async () => {
    // Persistent, so the session outlives the restart: what keeps a browser signed in unless its cookie goes.
    redis = await startRedis({ persistent: true });
    stack = await startStack('certified', { env: { SESSION_STORE: 'redis', REDIS_URL: redis.url } });
  });
  afterAll(async () => {
    await stack?.close();
    await redis?.close();
  });

  it('still clears the cookie, with a stable code, for a browser and an API client; both stay signed out once Redis is back', async () => {
    const browser = await signedInWithCsrf(stack);
    const api = await signedInWithCsrf(stack);
    await redis.stop();
    try {
      // The sign-out page cannot be shown (it needs the session), so the error page offers sign-out, as a form without a CSRF token.
      const page = await browser.agent.get('/profile');
      expect(page.status).toBe(503);
      expect(page.text).toContain('data-error-code="SESSION_STORE_UNAVAILABLE"');
      expect(page.text).toMatch(/<form method="post" action="\/logout"[^>]*>\s*<button type="submit" id="sign-out-anyway">/);
      const submitted = await browser.agent.post('/logout').type('form').send({});
      expect(submitted.status).toBe(503);
      expect(submitted.text).toContain('data-error-code="SIGN_OUT_UNCONFIRMED"');
      expect(submitted.text).not.toMatch(STACK_TRACE);
      expect(clearsSessionCookie(stack, submitted)).toBe(true);

      const res = await api.agent.post('/logout').type('form').send({ csrf: api.csrf }).set('Accept', 'application/json');
      expect(res.status).toBe(503);
      expect(apiError(res).code).toBe('SIGN_OUT_UNCONFIRMED');
      expect(typeof apiError(res).message).toBe('string');
      expect(clearsSessionCookie(stack, res)).toBe(true);
    } finally {
      await redis.restart();
    }
    await until(async () => (await request(stack.app.url).get('/readyz')).status === 200, 'the app to reach Redis again');
    for (const { agent } of [browser, api]) expect((await agent.get('/profile').set('Accept', 'application/json')).status).toBe(401);
  });

  it('offers no sign-out on the error page to a browser without a session', async () => {
    await redis.stop();
    try {
      // Starting a sign-in needs no store (its pending state is the browser's cookie); finishing one does.
      const browser = stack.browser();
      const start = await browser.get('/login');
      expect(start.status).toBe(303);
      const state = new URL(start.headers.location!).searchParams.get('state')!;
      const page = await browser.get(`/callback?code=unused&state=${state}`);
      expect(page.status).toBe(503);
      expect(page.text).toContain('data-error-code="SESSION_STORE_UNAVAILABLE"');
      expect(page.text).not.toContain('sign-out-anyway');
    } finally {
      await redis.restart();
    }
    await until(async () => (await request(stack.app.url).get('/readyz')).status === 200, 'the app to reach Redis again');
  });
});

describe('sign-out with a revocation endpoint that hangs', () => {
  const REVOCATION = '/token/revocation';
  /** Revocation requests the provider holds open; `closed` once the RP gave up on one. */
  const held: Array<{ release: () => void; closed: boolean }> = [];
  const hangRevocation: ProviderMiddleware = async (ctx, next) => {
    if (ctx.path !== REVOCATION) return next();
    await new Promise<void>((resolve) => {
      const entry = { release: resolve, closed: false };
      ctx.req.socket.once('close', () => (entry.closed = true));
      held.push(entry);
    });
    return next();
  };
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('certified', { provider: { middleware: [hangRevocation] } });
  });
  afterEach(() => {
    for (const h of held.splice(0)) h.release();
  });
  afterAll(() => stack?.close());

  it('plain sign-out ends the session before the provider is asked to revoke its tokens', async () => {
    const { agent, csrf } = await signedInWithCsrf(stack);
    const { id } = await ownSession(stack, agent);
    const out = agent
      .post('/logout')
      .type('form')
      .send({ csrf })
      .then((res) => res);
    await until(() => held.length > 0, 'the revocation request to reach the provider');
    expect(await getStored(stack.app.sessions.store, id)).toBeUndefined();
    for (const h of held) h.release();
    expect((await out).status).toBe(303);
  });

  it('"sign out everywhere" ends every local session first, revokes a few at a time, and answers without waiting for the provider', async () => {
    const laptop = await signedInWithCsrf(stack);
    const others = [];
    for (let i = 0; i < 4; i++) others.push(await signedInWithCsrf(stack));
    const sessionIds = await Promise.all([laptop, ...others].map(async ({ agent }) => (await ownSession(stack, agent)).id));
    const out = laptop.agent
      .post('/logout')
      .type('form')
      .send({ csrf: laptop.csrf, everywhere: '1' })
      .then((res) => res);
    // Four revocations (the cap) under way at once, the fifth waiting for one of them.
    await until(() => held.length === 4, 'four revocation requests to reach the provider');
    // The provider has not answered any of them, and all five sessions are already gone.
    for (const id of sessionIds) expect(await getStored(stack.app.sessions.store, id)).toBeUndefined();
    for (const { agent } of others) expect((await agent.get('/profile').set('Accept', 'application/json')).status).toBe(401);
    const res = await out;
    expect(res.status).toBe(303);
    // The answer came while the provider still held all four, and the fifth was never started.
    expect(held.length).toBe(4);
    expect(held.every((h) => !h.closed)).toBe(true);
    expect(stack.app.logs.find((line) => line.includes('token revocation ran out of time'))).toContain('"unfinished":5');
  });
});
