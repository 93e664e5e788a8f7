// Claims follow the provider: a user's groups changed at the provider reach the session at the next refresh
// (certified, Casdoor) or the next userinfo re-read (Lazycat's Dex, which issues no refresh token), and
// requireGroup('ADMIN') on /admin follows. A provider that no longer accepts the access token ends the session.
import { describe, expect, it } from 'vitest';
import type { ProviderMiddleware } from '../../devprovider/providerApp.ts';
import { getStored, setStored } from '../../src/sessions/writes.ts';
import type { TokenInfo } from '../../src/sessions/record.ts';
import { refreshGrants } from '../fixtures/provider.ts';
import { ownSession, signIn, withStack, type Agent, type Stack } from '../fixtures/stack.ts';
import { agedTokenInfo } from '../fixtures/tokens.ts';

const json = (agent: Agent, path = '/profile') => agent.get(path).set('Accept', 'application/json');

/** Rewrites the session's token info, as time passing would. */
async function age(stack: Stack, agent: Agent, change: (info: TokenInfo) => TokenInfo): Promise<void> {
  const { id, data } = await ownSession(stack, agent);
  await setStored(stack.app.sessions.store, id, { ...data!, tokenInfo: change(data!.tokenInfo) });
}
/** The claims were last read a day ago: due for a userinfo re-read whatever the interval. */
const claimsStale = (info: TokenInfo): TokenInfo => ({ ...info, userinfoAt: Date.now() - 86_400_000 });

function admin(stack: Stack) {
  const user = stack.provider.users.find((u) => u.groups.includes('ADMIN'))!;
  return { user, creds: { username: user.username, password: user.password } };
}

describe.each([
  ['certified', { OIDC_SCOPES: 'openid profile email groups offline_access' }],
  ['casdoor', { OIDC_SCOPES: 'openid profile email' }],
] as const)('%s provider: groups follow at the next refresh', (profile, env) => {
  it('an administrator removed from ADMIN loses /admin, and gets it back when re-added', async () => {
    await withStack(profile, { env }, async (stack) => {
      const agent = stack.browser();
      const { user, creds } = admin(stack);
      await signIn(stack, agent, creds);
      const signedInAt = (await ownSession(stack, agent)).data!.user.signedInAt;
      expect((await agent.get('/admin')).status).toBe(200);

      user.groups = ['users'];
      expect((await agent.get('/admin')).status).toBe(200); // nothing due yet: the session still says ADMIN
      await age(stack, agent, agedTokenInfo);
      expect((await agent.get('/admin')).status).toBe(403);
      expect(refreshGrants(stack.provider).map((g) => g.status)).toEqual([200]);
      const after = (await ownSession(stack, agent)).data!.user;
      expect({ groups: after.groups.map((g) => g.replace(/^built-in\//, '')), signedInAt: after.signedInAt }).toEqual({
        groups: ['users'],
        signedInAt,
      });

      user.groups = ['ADMIN'];
      await age(stack, agent, agedTokenInfo);
      expect((await agent.get('/admin')).status).toBe(200);
    });
  });
});

describe('Lazycat (Dex, no refresh token): userinfo re-read at OIDC_USERINFO_REFRESH_INTERVAL', () => {
  it('an administrator removed from ADMIN loses /admin at the next re-read, made with the stored access token', async () => {
    await withStack('dex', {}, async (stack) => {
      const agent = stack.browser();
      const { user, creds } = admin(stack);
      await signIn(stack, agent, creds);
      expect((await agent.get('/admin')).status).toBe(200);
      const { tokens } = await ownSession(stack, agent);
      const calls = stack.provider.events.userinfo.length;

      user.groups = ['NORMAL'];
      expect((await agent.get('/admin')).status).toBe(200);
      expect(stack.provider.events.userinfo.length).toBe(calls); // not due: no call
      await age(stack, agent, claimsStale);
      expect((await agent.get('/admin')).status).toBe(403);
      expect((await json(agent)).body.user.groups).toEqual(['NORMAL']);
      expect(stack.provider.events.userinfo.slice(calls).map((c) => ({ status: c.status, bearer: c.bearer }))).toEqual([
        { status: 200, bearer: tokens!.accessToken },
      ]);
      expect(refreshGrants(stack.provider)).toEqual([]);
    });
  });

  it('ends the session when userinfo no longer accepts the access token (Dex: 403 access_denied)', async () => {
    await withStack('dex', {}, async (stack) => {
      const agent = stack.browser();
      await signIn(stack, agent, admin(stack).creds);
      const { id, tokens } = await ownSession(stack, agent);
      // The user is removed at the provider: its tokens stop working.
      await (await stack.provider.app.provider.AccessToken.find(tokens!.accessToken))!.destroy();
      await age(stack, agent, claimsStale);
      expect((await json(agent)).status).toBe(401);
      expect(stack.provider.events.userinfo.at(-1)!.status).toBe(403);
      expect(await getStored(stack.app.sessions.store, id)).toBeUndefined();
      expect(stack.app.logs.join('\n')).toContain('userinfo refused the access token: session ended');
    });
  });

  it('does not re-read after the access token expired, nor with OIDC_USERINFO_REFRESH_INTERVAL=0', async () => {
    await withStack('dex', { env: { OIDC_USERINFO_REFRESH_INTERVAL: '0' } }, async (stack) => {
      const agent = stack.browser();
      await signIn(stack, agent, admin(stack).creds);
      const calls = stack.provider.events.userinfo.length;
      await age(stack, agent, claimsStale);
      expect((await json(agent)).status).toBe(200);
      expect(stack.provider.events.userinfo.length).toBe(calls);
    });
    await withStack('dex', {}, async (stack) => {
      const agent = stack.browser();
      await signIn(stack, agent, admin(stack).creds);
      const calls = stack.provider.events.userinfo.length;
      await age(stack, agent, (info) => ({ ...claimsStale(info), expiresAt: Date.now() - 1000 }));
      expect((await json(agent)).status).toBe(200);
      expect(stack.provider.events.userinfo.length).toBe(calls);
    });
  });
});

describe('certified provider without refresh tokens: userinfo re-read', () => {
  it('ends the session on 401 (token revoked), and rides out an outage with one call per interval', async () => {
    let outage = false;
    const userinfoDown: ProviderMiddleware = async (ctx, next) => {
      if (outage && ctx.path === '/me') {
        ctx.status = 503;
        ctx.body = 'maintenance';
        return;
      }
      await next();
    };
    await withStack('certified', { provider: { middleware: [userinfoDown] } }, async (stack) => {
      const agent = stack.browser();
      await signIn(stack, agent);
      const before = (await ownSession(stack, agent)).data!.user;
      outage = true;
      await age(stack, agent, claimsStale);
      const calls = stack.provider.events.userinfo.length;
      expect((await json(agent)).status).toBe(200);
      expect((await json(agent)).status).toBe(200);
      expect(stack.provider.events.userinfo.slice(calls).map((c) => c.status)).toEqual([503]);
      expect((await ownSession(stack, agent)).data!.user).toEqual(before);
      outage = false;

      const { tokens } = await ownSession(stack, agent);
      const revoke = await fetch(stack.app.oidc.provider().revocationEndpoint!, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${stack.provider.clientId}:${stack.provider.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ token: tokens!.accessToken }),
      });
      expect(revoke.status).toBe(200);
      await age(stack, agent, claimsStale);
      expect((await json(agent)).status).toBe(401);
      expect(stack.provider.events.userinfo.at(-1)!.status).toBe(401);
    });
  });
});
