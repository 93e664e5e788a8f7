// Client authentication that interoperates: a token endpoint that compares the Basic user id undecoded
// refuses openid-client's form-urlencoded client id (cloud%2Elazycat…), so auto mode retries that request once
// with client_secret_post and keeps it; a provider that accepts only Basic is never sent anything else.
import { describe, expect, it } from 'vitest';
import { refreshGrants } from '../fixtures/provider.ts';
import { csrfOf, ownSession, signIn, withStack, type Agent, type Stack } from '../fixtures/stack.ts';
import { agedTokenInfo } from '../fixtures/tokens.ts';
import { setStored } from '../../src/sessions/writes.ts';

// A Lazycat-style client id: openid-client's Basic header carries it as cloud%2Elazycat%2Eapp%2Elzc%2Doidc.
const CLIENT_ID = 'cloud.lazycat.app.lzc-oidc';
const SCOPES = { OIDC_SCOPES: 'openid profile email groups offline_access' };

const calls = (stack: Stack) => stack.provider.events.token.map((t) => `${t.params.grant_type} ${t.clientAuth} ${t.status}`);

async function dueForRefresh(stack: Stack, agent: Agent): Promise<void> {
  const { id, data } = await ownSession(stack, agent);
  await setStored(stack.app.sessions.store, id, { ...data!, tokenInfo: agedTokenInfo(data!.tokenInfo) });
}

describe.each(['invalid_client', 'unauthorized_client'] as const)(
  'a token endpoint that compares the Basic user id undecoded (%s)',
  (refusal) => {
    it('signs in through one retry with client_secret_post, then uses post for everything, logged once', async () => {
      await withStack(
        'certified',
        { env: SCOPES, provider: { client: { clientId: CLIENT_ID }, rawBasicClientId: refusal } },
        async (stack) => {
          const refused = `authorization_code client_secret_basic ${refusal === 'invalid_client' ? 401 : 400}`;
          const first = stack.browser();
          expect((await signIn(stack, first)).status).toBe(303);
          expect(calls(stack)).toEqual([refused, 'authorization_code client_secret_post 200']);

          const second = stack.browser();
          expect((await signIn(stack, second)).status).toBe(303);
          await dueForRefresh(stack, second);
          expect((await second.get('/profile').set('Accept', 'application/json')).status).toBe(200);
          expect(calls(stack).slice(2)).toEqual(['authorization_code client_secret_post 200', 'refresh_token client_secret_post 200']);
          expect(refreshGrants(stack.provider)).toHaveLength(1);

          await second
            .post('/logout')
            .type('form')
            .send({ csrf: csrfOf((await second.get('/logout')).text) });
          expect(stack.provider.events.revocation.map((r) => `${r.clientAuth} ${r.status}`)).toEqual([
            'client_secret_post 200',
            'client_secret_post 200',
          ]);
          expect(stack.app.logs.filter((l) => l.includes('accepted client_secret_post'))).toHaveLength(1);
          expect(stack.app.logs.join('\n')).not.toContain(stack.provider.clientSecret);
        },
      );
    });
  },
);

describe('client authentication as configured', () => {
  it('a provider that accepts only Basic gets Basic, and a client id with "-" and "." signs in', async () => {
    await withStack(
      'certified',
      { env: SCOPES, provider: { client: { clientId: CLIENT_ID }, options: { clientAuthMethods: ['client_secret_basic'] } } },
      async (stack) => {
        const agent = stack.browser();
        expect((await signIn(stack, agent)).status).toBe(303);
        await dueForRefresh(stack, agent);
        expect((await agent.get('/profile').set('Accept', 'application/json')).status).toBe(200);
        expect(calls(stack)).toEqual(['authorization_code client_secret_basic 200', 'refresh_token client_secret_basic 200']);
      },
    );
  });

  it('an explicit OIDC_CLIENT_AUTH=client_secret_basic is honoured: no retry, the sign-in fails with a provider error', async () => {
    await withStack(
      'certified',
      {
        env: { OIDC_CLIENT_AUTH: 'client_secret_basic' },
        provider: { client: { clientId: CLIENT_ID }, rawBasicClientId: 'invalid_client' },
      },
      async (stack) => {
        const res = await signIn(stack, stack.browser());
        expect({ status: res.status, code: /data-error-code="([A-Z_]+)"/.exec(res.text)?.[1] }).toEqual({
          status: 502,
          code: 'OIDC_PROVIDER_ERROR',
        });
        expect(calls(stack)).toEqual(['authorization_code client_secret_basic 401']);
      },
    );
  });

  it('wrong credentials are refused both ways: the first refusal is reported, and nothing is remembered', async () => {
    await withStack('certified', { env: { LAZYCAT_AUTH_OIDC_CLIENT_SECRET: 'not-the-secret' } }, async (stack) => {
      const res = await signIn(stack, stack.browser());
      expect(res.status).toBe(502);
      const res2 = await signIn(stack, stack.browser());
      expect(res2.status).toBe(502);
      expect(calls(stack)).toEqual([
        'authorization_code client_secret_basic 401',
        'authorization_code client_secret_post 401',
        'authorization_code client_secret_basic 401',
        'authorization_code client_secret_post 401',
      ]);
      expect(stack.app.logs.join('\n')).not.toMatch(/accepted client_secret_(post|basic)/);
    });
  });
});
