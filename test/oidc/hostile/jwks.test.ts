// A JWKS that is briefly unreachable is an outage, not a forged token: at sign-in the RP answers "provider
// unavailable" (503), during a refresh it keeps the session and the tokens the provider just rotated, and a
// back-channel logout is answered 503 for the provider to retry.
import { describe, expect, it } from 'vitest';
import type { ProviderContext, ProviderMiddleware } from '../../../devprovider/providerApp.ts';
import { setStored } from '../../../src/sessions/writes.ts';
import { refreshGrants } from '../../fixtures/provider.ts';
import { deliverLogoutToken, firstUserLogoutToken, ownSession, type Agent, type Stack } from '../../fixtures/stack.ts';
import { agedTokenInfo } from '../../fixtures/tokens.ts';
import { expectSignInAccepted, expectSignInRejected, useHostileStack } from './hostileStack.ts';
import { MAX_RESPONSE_BYTES } from '../../../src/oidc/providerFetch.ts';

const down: ProviderMiddleware = async (ctx) => {
  ctx.status = 503;
  ctx.body = 'Service Unavailable';
};

describe('hostile provider: JWKS unreachable at sign-in', () => {
  const h = useHostileStack({ env: { OIDC_HTTP_TIMEOUT: '2' } });

  it.each<[string, (ctx: ProviderContext, next: () => Promise<void>) => Promise<void>]>([
    ['answers HTTP 503', down],
    [
      "answers a proxy's HTML page with HTTP 200",
      async (ctx) => {
        ctx.status = 200;
        ctx.body = '<html><body>Gateway is starting</body></html>';
      },
    ],
    [
      'answers JSON that is not a key set',
      async (ctx) => {
        ctx.status = 200;
        ctx.body = { error: 'temporarily_unavailable' };
      },
    ],
    [
      'answers its key set padded past the size limit',
      async (ctx, next) => {
        await next();
        ctx.body = { ...(ctx.body as object), padding: 'x'.repeat(MAX_RESPONSE_BYTES) };
      },
    ],
    [
      'drops the connection',
      async (ctx) => {
        ctx.req.socket.destroy();
      },
    ],
    ['never answers (the app gives up after OIDC_HTTP_TIMEOUT)', (ctx, next) => h().hang(ctx, next)],
  ])('a JWKS that %s: 503 provider unavailable, not 401 token rejected', async (_name, answer) => {
    // A new signing key: the ID token names a kid the RP has not seen, so it must fetch the key set now.
    await h().stack.provider.rotateKeys();
    const fetched = h().jwksFetches;
    h().keySet = answer;
    await expectSignInRejected(h().stack, 503, 'OIDC_PROVIDER_UNAVAILABLE');
    expect(h().jwksFetches).toBeGreaterThan(fetched);
    h().keySet = undefined;
    await expectSignInAccepted(h().stack);
  });
});

describe('hostile provider: JWKS unreachable during a refresh', () => {
  const h = useHostileStack({ env: { OIDC_SCOPES: 'openid profile email groups offline_access' } });
  const json = (agent: Agent) => agent.get('/profile').set('Accept', 'application/json');
  async function dueForRefresh(stack: Stack, agent: Agent): Promise<void> {
    const { id, data } = await ownSession(stack, agent);
    await setStored(stack.app.sessions.store, id, { ...data!, tokenInfo: agedTokenInfo(data!.tokenInfo) });
  }

  it('keeps the session and the rotated refresh token, and verifies the next ID token once the JWKS is back', async () => {
    const { stack } = h();
    const agent = await expectSignInAccepted(stack);
    const signedIn = await ownSession(stack, agent);
    await stack.provider.rotateKeys();
    h().keySet = down;
    await dueForRefresh(stack, agent);
    expect((await json(agent)).status).toBe(200);
    expect(refreshGrants(stack.provider).map((g) => g.status)).toEqual([200]);
    const during = await ownSession(stack, agent);
    expect(during.tokens!.refreshToken).not.toBe(signedIn.tokens!.refreshToken);
    // The new ID token could not be verified: the stored one is still the verified one from sign-in.
    expect(during.tokens!.idToken).toBe(signedIn.tokens!.idToken);
    expect(during.data!.user).toEqual(signedIn.data!.user);
    expect(stack.app.logs.join('\n')).toContain('tokens refreshed, claims kept: provider unavailable');

    h().keySet = undefined;
    await dueForRefresh(stack, agent);
    expect((await json(agent)).status).toBe(200);
    // The provider rotates refresh tokens: accepting this one proves the app saved the one it issued during the outage.
    expect(refreshGrants(stack.provider).at(-1)).toMatchObject({ status: 200, params: { refresh_token: during.tokens!.refreshToken } });
    expect((await ownSession(stack, agent)).tokens!.idToken).not.toBe(signedIn.tokens!.idToken);
  });
});

describe('hostile provider: JWKS unreachable during a back-channel logout', () => {
  const h = useHostileStack();

  it('answers 503, so the provider retries, instead of refusing the logout_token as bad', async () => {
    const { stack } = h();
    const agent = await expectSignInAccepted(stack);
    const token = await firstUserLogoutToken(stack);
    const post = () => deliverLogoutToken(stack, token);
    h().keySet = down;
    expect((await post()).status).toBe(503);
    expect((await ownSession(stack, agent)).data?.user).toBeDefined();
    // The provider's retry of the same token, once the keys are back, ends the session.
    h().keySet = undefined;
    expect((await post()).status).toBe(200);
    expect((await ownSession(stack, agent)).data?.user).toBeUndefined();
  });
});
