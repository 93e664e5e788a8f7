// OpenID RP conformance (oidcc-client-test-*) for the code flow: each case makes one thing about the ID
// token wrong and expects the sign-in to stop before userinfo, with an error page and no session.
import { describe, expect, it } from 'vitest';
import { breakSignature, resign, unsigned } from '../../fixtures/tokens.ts';
import {
  es256WithForeignKey,
  expectSignInAccepted,
  expectSignInRejected,
  hs256WithClientSecret,
  nowSec,
  useHostileStack,
  withClaims,
  without,
} from './hostileStack.ts';
import type { TestProvider } from '../../fixtures/provider.ts';
import { editDiscovery } from '../../fixtures/discovery.ts';

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
  // The provider publishes and advertises RS256 only: an ES256 header is refused whatever key it names.
  ["invalid-sig-es256 (ES256 header over the provider's RS256 kid)", (p, t) => es256WithForeignKey(t, p.app.signingKey().kid)],
  ['nonce-invalid', (p, t) => resign(p, t, withClaims({ nonce: 'n'.repeat(43) }))],
  ['missing nonce', (p, t) => resign(p, t, without('nonce'))],
  ['expired', (p, t) => resign(p, t, withClaims({ iat: nowSec() - 7200, exp: nowSec() - 3600 }))],
  [
    'azp mismatch with several audiences',
    (p, t) => resign(p, t, (c) => ({ ...c, aud: [p.clientId, 'other-client'], azp: 'other-client' })),
  ],
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

  it('rejects a validly signed ID token for another subject: userinfo names the real one, no session', async () => {
    // Signature, iss, aud, nonce all good: only the userinfo answer (about the access token's real owner) can
    // show that the ID token speaks of someone else, and the RP must then trust neither.
    h().idToken = (token) => resign(h().stack.provider, token, withClaims({ sub: 'someone-else' }));
    await expectSignInRejected(h().stack, 401, 'OIDC_TOKEN_REJECTED', { userinfoCalls: 1 });
    const call = h().stack.provider.events.userinfo.at(-1);
    expect({ status: call?.status, bearer: call?.bearer }).toEqual({ status: 200, bearer: h().accessTokens.at(-1) });
  });

  it('sends the access token to userinfo as an Authorization: Bearer header (userinfo-bearer-header)', async () => {
    const before = h().stack.provider.events.userinfo.length;
    await expectSignInAccepted(h().stack);
    const calls = h().stack.provider.events.userinfo.slice(before);
    expect(calls).toHaveLength(1);
    const issued = h().accessTokens.at(-1);
    expect(issued).toBeTypeOf('string');
    // The header, and only the header: not as a query or form parameter (bearer-body is the other module).
    expect({ method: calls[0]?.method, bearer: calls[0]?.bearer, status: calls[0]?.status }).toEqual({
      method: 'GET',
      bearer: issued,
      status: 200,
    });
    expect(calls[0]?.params).not.toHaveProperty('access_token');
  });
});

describe('hostile provider: ID token, ES256 advertised', () => {
  // The provider advertises ES256 too, so the RP lets the algorithm through and must fail on the key itself.
  const advertiseEs256 = editDiscovery((doc) => {
    doc.id_token_signing_alg_values_supported = ['RS256', 'ES256'];
  });
  const h = useHostileStack({ middleware: [advertiseEs256] });

  it('lets ES256 through the algorithm check (the baseline)', () => {
    expect(h().stack.app.oidc.provider().idTokenAlgs).toEqual(['RS256', 'ES256']);
  });

  it.each([
    ['a kid the JWKS does not hold', 'foreign-es256'],
    ['no kid', undefined],
  ])('rejects invalid-sig-es256: signed with a key not in the JWKS, %s', async (_name, kid) => {
    h().idToken = (token) => es256WithForeignKey(token, kid);
    await expectSignInRejected(h().stack, 401, 'OIDC_TOKEN_REJECTED');
  });
});
