// Signing keys: a kid-less token when the JWKS has several keys (either outcome passes, the process must
// stay up), and key rotation between two sign-ins or inside one, between the provider's login and its
// signing of the ID token (either way the RP must refetch the JWKS and accept).
import { describe, expect, it } from 'vitest';
import { decodeProtectedHeader } from 'jose';
import { resign } from '../../fixtures/tokens.ts';
import { callbackFor, expectSignInAccepted, useHostileStack } from './hostileStack.ts';
import { STACK_TRACE } from '../../fixtures/leaks.ts';

describe('hostile provider: signing keys', () => {
  const h = useHostileStack();

  it('picks up a rotated signing key on the next sign-in (signing-key-rotation)', async () => {
    await expectSignInAccepted(h().stack);
    const fetched = h().jwksFetches;
    expect(fetched).toBeGreaterThan(0);
    await h().stack.provider.rotateKeys();
    await expectSignInAccepted(h().stack);
    expect(h().jwksFetches).toBeGreaterThan(fetched);
  });

  it('accepts an ID token signed with a key rotated in after the code was issued (signing-key-rotation-just-before-signing)', async () => {
    // The RP holds the JWKS from an earlier sign-in; the keys change between the provider's login and the token request.
    await expectSignInAccepted(h().stack);
    const keyAtLogin = h().stack.provider.app.signingKey().kid;
    const signedWith: Array<string | undefined> = [];
    h().idToken = (token) => {
      signedWith.push(decodeProtectedHeader(token).kid);
      return token;
    };
    let fetched = 0;
    await expectSignInAccepted(h().stack, {
      beforeCallback: async () => {
        fetched = h().jwksFetches;
        await h().stack.provider.rotateKeys();
      },
    });
    const rotated = h().stack.provider.app.signingKey().kid;
    expect(rotated).not.toBe(keyAtLogin);
    // This sign-in's own ID token carried the new key, which the RP could only know by fetching the JWKS again.
    expect(signedWith).toEqual([rotated]);
    expect(h().jwksFetches).toBeGreaterThan(fetched);
  });

  it('survives a token without kid when the JWKS holds several keys (kid-absent-multiple-jwks)', async () => {
    await h().stack.provider.rotateKeys({ keepPrevious: true });
    h().idToken = (token) => resign(h().stack.provider, token, (c) => c, { kid: undefined });
    const agent = h().stack.browser();
    const res = await agent.get(await callbackFor(h().stack, agent));
    // Either accepted (tried every key) or rejected as a token; never a crash or a 5xx.
    const code = /data-error-code="([A-Z_]+)"/.exec(res.text)?.[1];
    expect([303, 401]).toContain(res.status);
    if (res.status === 401) expect(code).toBe('OIDC_TOKEN_REJECTED');
    expect(res.text).not.toMatch(STACK_TRACE);
    expect((await agent.get('/healthz')).status).toBe(200);
    expect((await agent.get('/')).status).toBe(200);
  });
});
