// OpenID RP conformance (oidcc-client-test-*) for the code flow: each case makes one thing about the ID
// token wrong and expects the sign-in to stop before userinfo, with an error page and no session.
import { describe, expect, it } from 'vitest';
import { breakSignature, resign, unsigned } from '../fixtures/tokens.ts';
import {
  expectSignInAccepted,
  expectSignInRejected,
  hs256WithClientSecret,
  nowSec,
  useHostileStack,
  withClaims,
  without,
} from './hostile.ts';
import type { TestProvider } from '../fixtures/provider.ts';

type Tamper = (provider: TestProvider, token: string) => string | Promise<string>;

const REJECTED: Array<[string, Tamper]> = [
  ['invalid-iss', (p, t) => resign(p, t, withClaims({ iss: 'https://evil.example' }))],
  ['missing iss', (p, t) => resign(p, t, without('iss'))],
  ['invalid-aud', (p, t) => resign(p, t, withClaims({ aud: 'some-other-client' }))],
  ['missing-aud', (p, t) => resign(p, t, without('aud'))],
  ['missing-sub', (p, t) => resign(p, t, without('sub'))],
  ['missing-iat', (p, t) => resign(p, t, without('iat'))],
  // openid-client v6 only type-checks iat; the RP must still refuse a token "issued" an hour from now.
  ['iat an hour in the future, within exp', (p, t) => resign(p, t, withClaims({ iat: nowSec() + 3600, exp: nowSec() + 7200 }))],
  ['invalid-sig-rs256', (_p, t) => breakSignature(t)],
  ['idtoken-sig-none (alg none)', (_p, t) => unsigned(t)],
  ['invalid-sig-hs256 (client secret as the key)', (p, t) => hs256WithClientSecret(p, t)],
  ['nonce-invalid', (p, t) => resign(p, t, withClaims({ nonce: 'n'.repeat(43) }))],
  ['missing nonce', (p, t) => resign(p, t, without('nonce'))],
  ['expired', (p, t) => resign(p, t, withClaims({ iat: nowSec() - 7200, exp: nowSec() - 3600 }))],
  ['azp mismatch with several audiences', (p, t) => resign(p, t, (c) => ({ ...c, aud: [p.clientId, 'other-client'], azp: 'other-client' }))],
];

describe('hostile provider: ID token', () => {
  const h = useHostileStack();

  it('accepts the honest provider (the baseline the cases below break), authenticating with client_secret_basic', async () => {
    await expectSignInAccepted(h().stack);
    // Basic RP certification expects client_secret_basic; openid-client v6 alone would default to _post.
    expect(h().stack.provider.events.token.at(-1)?.clientAuth).toBe('client_secret_basic');
  });

  it.each(REJECTED)('rejects %s', async (_name, tamper) => {
    h().idToken = (token) => tamper(h().stack.provider, token);
    await expectSignInRejected(h().stack, 401, 'OIDC_TOKEN_REJECTED');
  });

  it('accepts a token without kid when the JWKS holds one key (kid-absent-single-jwks)', async () => {
    h().idToken = (token) => resign(h().stack.provider, token, (c) => c, { kid: undefined });
    await expectSignInAccepted(h().stack);
  });

  it('rejects a userinfo response for another subject (userinfo-invalid-sub)', async () => {
    h().userinfo = (body) => ({ ...body, sub: 'someone-else' });
    // The one userinfo call is where the mismatch shows; the session must not be created from it.
    await expectSignInRejected(h().stack, 401, 'OIDC_TOKEN_REJECTED', { userinfoCalls: 1 });
  });
});
