import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, withStack, signIn, ownSession, type Stack, type Agent } from '../fixtures/stack.ts';
import { getStored, setStored } from '../../src/sessions/writes.ts';
import { AppError } from '../../src/errors/AppError.ts';

const json = (agent: Agent) => agent.get('/profile').set('Accept', 'application/json');
const setCookies = (res: { headers: Record<string, unknown> }) => (res.headers['set-cookie'] as string[] | undefined) ?? [];

describe('session lifetime', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('dex', { env: { SESSION_IDLE_TIMEOUT: '1h', SESSION_MAX_AGE: '8h' } });
  });
  afterAll(() => stack?.close());

  it('does not re-send the cookie on every request, only when the idle window slides', async () => {
    const agent = stack.browser();
    await signIn(stack, agent);
    const first = await json(agent);
    expect(first.status).toBe(200);
    expect(setCookies(first)).toEqual([]);
    // As if 10 minutes passed since the last request: past a tenth of the idle window.
    const { id, data } = await ownSession(stack, agent);
    await setStored(stack.app.sessions.store, id, { ...data!, lastSeen: Date.now() - 10 * 60_000 });
    const slid = await json(agent);
    expect(slid.status).toBe(200);
    const cookie = setCookies(slid).find((c) => c.startsWith(stack.app.config.session.cookieName));
    expect(cookie).toMatch(/Expires=/);
    expect((await ownSession(stack, agent)).data!.lastSeen).toBeGreaterThan(Date.now() - 60_000);
  });

  it('ends a session idle for longer than SESSION_IDLE_TIMEOUT', async () => {
    const agent = stack.browser();
    await signIn(stack, agent);
    const { id, data } = await ownSession(stack, agent);
    await setStored(stack.app.sessions.store, id, { ...data!, lastSeen: Date.now() - 61 * 60_000 });
    expect((await json(agent)).status).toBe(401);
    expect(await getStored(stack.app.sessions.store, id)).toBeUndefined();
  });

  it('an expired session reads as signed out on every route, never as a 500', async () => {
    for (const visit of [
      (a: Agent) => a.get('/logout'),
      (a: Agent) => a.get('/login'),
      (a: Agent) => a.post('/logout').type('form').send({}),
      (a: Agent) => a.get('/?signed_out=1'),
      (a: Agent) => a.get('/callback?state=' + 'x'.repeat(43) + '&code=c'),
    ]) {
      const agent = stack.browser();
      await signIn(stack, agent);
      const { id, data } = await ownSession(stack, agent);
      await setStored(stack.app.sessions.store, id, { ...data!, lastSeen: Date.now() - 2 * 3600_000 });
      const res = await visit(agent);
      expect(res.status).toBeLessThan(500);
    }
  });

  it('ends a session older than SESSION_MAX_AGE however active it is', async () => {
    const agent = stack.browser();
    await signIn(stack, agent);
    const { id, data } = await ownSession(stack, agent);
    await setStored(stack.app.sessions.store, id, { ...data!, createdAt: Date.now() - 8 * 3600_000 - 1000, lastSeen: Date.now() });
    const page = await agent.get('/profile');
    expect(page.status).toBe(302);
    expect(page.headers.location).toBe('/login?returnTo=%2Fprofile');
  });

  it('never lets the cookie outlive the absolute lifetime', async () => {
    const agent = stack.browser();
    await signIn(stack, agent);
    const { id, data } = await ownSession(stack, agent);
    // Created 7h50m ago: only 10 minutes of the 8 hours are left, less than the 1h idle window.
    await setStored(stack.app.sessions.store, id, {
      ...data!,
      createdAt: Date.now() - (7 * 60 + 50) * 60_000,
      lastSeen: Date.now() - 10 * 60_000,
    });
    const res = await json(agent);
    const cookie = setCookies(res).find((c) => c.startsWith(stack.app.config.session.cookieName))!;
    const expires = Date.parse(/Expires=([^;]+)/.exec(cookie)![1]!);
    expect(expires - Date.now()).toBeLessThanOrEqual(10 * 60_000 + 2_000);
  });
});

describe('a failed session read', () => {
  it('answers 503 and leaves the session alone (it is not destroyed because it could not be read)', async () => {
    await withStack('dex', {}, async (stack) => {
      const agent = stack.browser();
      await signIn(stack, agent);
      const { id } = await ownSession(stack, agent);
      // Fault injection on the real store: one read fails the way an unreachable Redis does, writes still work.
      const store = stack.app.sessions.store;
      const realGet = store.get.bind(store);
      store.get = (sid, cb) => {
        store.get = realGet;
        cb(new AppError('SESSION_STORE_UNAVAILABLE'));
      };
      expect((await json(agent)).status).toBe(503);
      expect(await stack.app.sessions.kv.get(`ended:${id}`)).toBeUndefined();
      expect((await json(agent)).status).toBe(200);
    });
  });
});
