// Signing keys: a kid-less token when the JWKS has several keys (either outcome passes, the process must
// stay up), and key rotation between two sign-ins (the RP must refetch the JWKS and accept the second).
import { describe, expect, it } from 'vitest';
import { resign } from '../fixtures/tokens.ts';
import { callbackFor, expectSignInAccepted, useHostileStack, STACK_TRACE } from './hostile.ts';

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
