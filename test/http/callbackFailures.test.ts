import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, beginSignIn, pathOf, signIn, type Stack, type Agent } from '../fixtures/stack.ts';
import { loginAtProvider } from '../fixtures/providerLogin.ts';
import { expectCallbackRefused } from '../fixtures/refusals.ts';
import type { PendingLogin } from '../../src/oidc/flow.ts';
import { openPendingLogin, pendingLoginSealer, sealPendingLogin } from '../../src/sessions/pendingLogins.ts';
import { getStored, setStored } from '../../src/sessions/writes.ts';
import { createHmac } from 'node:crypto';

// express-session's cookie format: s:<id>.<base64 HMAC-SHA256 without padding>.
const sign = (id: string, secret: string) => `${id}.${createHmac('sha256', secret).update(id).digest('base64').replace(/=+$/, '')}`;

// Each rejected callback must end on an error page with a stable code, set no session, and leave the process alive.
async function expectRejected(stack: Stack, agent: Agent, path: string, status: number, code: string) {
  const res = await agent.get(path);
  await expectCallbackRefused(stack, agent, res, status, code);
  return res;
}

/**
 * Starts a sign-in, lets `tamper` change the pending login inside its encrypted cookie (sealed again with the
 * app's key, as only the app could), and returns the callback path.
 */
async function tamperedCallback(stack: Stack, agent: Agent, tamper: (p: PendingLogin) => void): Promise<string> {
  const login = await agent.get('/login');
  const authorizeUrl = login.headers.location!;
  const state = new URL(authorizeUrl).searchParams.get('state')!;
  const pair = (login.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('lzc-oidc.tx.'))!.split(';')[0]!;
  const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
  const seal = pendingLoginSealer(stack.app.config.session.secrets);
  const pending = openPendingLogin(seal, state, value)!;
  tamper(pending);
  agent.jar.setCookie(`${name}=${sealPendingLogin(seal, state, pending)}; Path=/callback`, '127.0.0.1', '/callback');
  return pathOf(await loginAtProvider(authorizeUrl, stack.provider.users[0]!));
}

describe('callback failures', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('certified');
  });
  afterAll(() => stack?.close());

  it('rejects a callback that another browser started (state bound to the browser)', async () => {
    const victim = stack.browser();
    const attacker = stack.browser();
    const callback = pathOf(await loginAtProvider(await beginSignIn(attacker), stack.provider.users[0]!));
    // A browser with no pending sign-in at all: as far as it can tell, its own has expired.
    await expectRejected(stack, victim, callback, 400, 'OIDC_TXN_EXPIRED');
    // A browser in the middle of its own sign-in: this one is not it.
    await beginSignIn(victim);
    await expectRejected(stack, victim, callback, 400, 'OIDC_STATE_MISMATCH');
  });

  it('rejects an unknown or tampered state', async () => {
    const agent = stack.browser();
    const callback = new URL(await loginAtProvider(await beginSignIn(agent), stack.provider.users[0]!));
    callback.searchParams.set('state', 'x'.repeat(43));
    // This browser's pending sign-in is sealed to its own state: it does not open for another.
    await expectRejected(stack, agent, callback.pathname + callback.search, 400, 'OIDC_STATE_MISMATCH');
    await expectRejected(stack, stack.browser(), '/callback?code=abc&state=%3Cscript%3E', 400, 'OIDC_STATE_MISMATCH');
    await expectRejected(stack, stack.browser(), '/callback', 400, 'OIDC_INVALID_CALLBACK');
  });

  it('a replayed callback: signed-in browser goes on to returnTo, any other browser gets an error', async () => {
    const agent = stack.browser();
    const authorizeUrl = await beginSignIn(agent, '/profile');
    const callback = pathOf(await loginAtProvider(authorizeUrl, stack.provider.users[0]!));
    expect((await agent.get(callback)).headers.location).toBe('/profile');
    const again = await agent.get(callback);
    expect(again.status).toBe(303);
    expect(again.headers.location).toBe('/profile');
    await expectRejected(stack, stack.browser(), callback, 400, 'OIDC_TXN_EXPIRED');
    // A stale callback this browser has no pending sign-in for (long after, the mark forgotten): it still just goes on.
    const stale = await agent.get(`/callback?code=abc&state=${'s'.repeat(43)}`);
    expect(stale.status).toBe(303);
    expect(stale.headers.location).toBe('/profile');
  });

  it('shows access_denied from the provider as a 403 page with a sign-in-again link', async () => {
    const agent = stack.browser();
    const state = new URL(await beginSignIn(agent)).searchParams.get('state')!;
    const res = await expectRejected(
      stack,
      agent,
      `/callback?error=access_denied&error_description=%3Cb%3Enope%3C%2Fb%3E&state=${state}&iss=${encodeURIComponent(stack.provider.issuer)}`,
      403,
      'OIDC_ACCESS_DENIED',
    );
    expect(res.text).not.toContain('<b>nope</b>');
  });

  it('rejects a wrong PKCE verifier (the provider refuses the code)', async () => {
    const agent = stack.browser();
    const callback = await tamperedCallback(stack, agent, (p) => {
      p.checks.pkceCodeVerifier = 'A'.repeat(43);
    });
    await expectRejected(stack, agent, callback, 401, 'OIDC_TOKEN_REJECTED');
  });

  it('rejects a nonce mismatch without calling userinfo', async () => {
    const agent = stack.browser();
    const callback = await tamperedCallback(stack, agent, (p) => {
      p.checks.expectedNonce = 'n'.repeat(43);
    });
    const userinfoBefore = stack.provider.events.userinfo.length;
    await expectRejected(stack, agent, callback, 401, 'OIDC_TOKEN_REJECTED');
    expect(stack.provider.events.userinfo.length).toBe(userinfoBefore);
  });

  it('rejects an expired pending sign-in', async () => {
    const agent = stack.browser();
    const callback = await tamperedCallback(stack, agent, (p) => {
      p.createdAt -= 11 * 60 * 1000;
    });
    await expectRejected(stack, agent, callback, 400, 'OIDC_TXN_EXPIRED');
  });

  it('caps pending sign-ins per browser, dropping the oldest', async () => {
    const agent = stack.browser();
    const urls: string[] = [];
    for (let i = 0; i < 7; i++) urls.push(await beginSignIn(agent, `/profile?n=${i}`));
    const oldest = pathOf(await loginAtProvider(urls[0]!, stack.provider.users[0]!));
    await expectRejected(stack, agent, oldest, 400, 'OIDC_STATE_MISMATCH');
    const newest = pathOf(await loginAtProvider(urls[6]!, stack.provider.users[0]!));
    expect((await agent.get(newest)).headers.location).toBe('/profile?n=6');
  });

  it('sends an unsafe returnTo to the signed-in page instead of off-site', async () => {
    for (const evil of ['//evil.example', '/\\evil.example', 'https://evil.example/', '/%2F%2Fevil.example']) {
      const res = await signIn(stack, stack.browser(), { returnTo: evil });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/profile');
    }
  });

  it('regenerates the session id on sign-in (no fixation)', async () => {
    const name = stack.app.config.session.cookieName;
    const fixedId = 'attacker-chosen-session-id';
    // The attacker plants a valid, signed, anonymous session id in the victim's browser.
    await setStored(stack.app.sessions.store, fixedId, {
      cookie: { originalMaxAge: 600_000, expires: new Date(Date.now() + 600_000).toISOString() },
    } as never);
    const victim = stack.browser();
    victim.jar.setCookie(
      `${name}=${encodeURIComponent('s:' + sign(fixedId, stack.app.config.session.secrets[0]!))}; Path=/`,
      '127.0.0.1',
      '/',
    );
    expect((await signIn(stack, victim)).status).toBe(303);
    const sidAfter = decodeURIComponent(
      victim.jar.getCookie(name, { domain: '127.0.0.1', path: '/', secure: false, script: false })!.value,
    );
    expect(sidAfter.startsWith(`s:${fixedId}.`)).toBe(false);
    expect((await getStored(stack.app.sessions.store, fixedId))?.user).toBeUndefined();
    expect((await victim.get('/profile').set('Accept', 'application/json')).status).toBe(200);
  });
});
