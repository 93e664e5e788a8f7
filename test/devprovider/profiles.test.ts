// The test providers themselves: each profile's discovery shape and quirks, exercised with openid-client v6
// exactly as the RP uses it (code flow + PKCE + state + nonce, userinfo, refresh, revocation, logout).
import { createServer as createHttpServer, get as httpGet } from 'node:http';
import { freePort } from '../fixtures/app.ts';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_USERS, startDevProvider } from '../../devprovider/devProvider.ts';
import { createProviderApp } from '../../devprovider/providerApp.ts';
import { startProvider, type TestProvider } from '../fixtures/provider.ts';
import { loginAtProvider, logoutAtProvider, ProviderBrowser } from '../fixtures/providerLogin.ts';

// Loopback redirect URIs are accepted on any port (RFC 8252); this one is never requested.
const REDIRECT_URI = 'http://127.0.0.1:49152/callback';
const POST_LOGOUT_URI = 'http://127.0.0.1:49152/logout/done';

async function discover(p: TestProvider, auth?: client.ClientAuth): Promise<client.Configuration> {
  return client.discovery(new URL(p.issuer), p.clientId, p.clientSecret, auth, { execute: [client.allowInsecureRequests] });
}

async function signIn(
  config: client.Configuration,
  creds: { username: string; password: string },
  scope: string,
  browser = new ProviderBrowser(),
  extra: Record<string, string> = {},
): Promise<{ callback: URL; tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers }> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  const callback = new URL(await loginAtProvider(url.href, creds, browser));
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
  });
  return { callback, tokens };
}

async function discoveryDocument(p: TestProvider): Promise<Record<string, unknown>> {
  const res = await fetch(`${p.issuer}/.well-known/openid-configuration`);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

function creds(p: TestProvider, username: string) {
  const user = p.users.find((u) => u.username === username);
  if (!user) throw new Error(`no user ${username}`);
  return { username: user.username, password: user.password };
}

describe('certified profile', () => {
  let op: TestProvider;
  let config: client.Configuration;
  beforeAll(async () => {
    op = await startProvider('certified');
    config = await discover(op);
  });
  afterAll(() => op.close());

  it('advertises logout, revocation and RFC 9207 iss', async () => {
    const doc = await discoveryDocument(op);
    expect(doc.issuer).toBe(op.issuer);
    expect(doc.end_session_endpoint).toBeTypeOf('string');
    expect(doc.revocation_endpoint).toBeTypeOf('string');
    expect(doc.authorization_response_iss_parameter_supported).toBe(true);
    expect(doc.code_challenge_methods_supported).toEqual(['S256']);
    expect(doc.backchannel_logout_supported).toBe(true);
  });

  it('runs the code flow with PKCE, userinfo, rotating refresh and revocation', async () => {
    const { callback, tokens } = await signIn(config, creds(op, 'alice'), 'openid profile email groups offline_access', undefined, {
      prompt: 'consent',
    });
    expect(callback.searchParams.get('iss')).toBe(op.issuer);
    expect(tokens.claims()?.sub).toBe('alice');
    const refresh = tokens.refresh_token;
    expect(refresh).toBeTypeOf('string');

    const info = await client.fetchUserInfo(config, tokens.access_token, 'alice');
    expect(info).toMatchObject({ preferred_username: 'alice', email_verified: true, groups: ['ADMIN'] });
    expect(op.events.userinfo).toHaveLength(1);

    const refreshed = await client.refreshTokenGrant(config, refresh ?? '');
    expect(refreshed.refresh_token).toBeTypeOf('string');
    expect(refreshed.refresh_token).not.toBe(refresh);
    await expect(client.refreshTokenGrant(config, refresh ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
    const grants = op.events.token.map((t) => t.params.grant_type);
    expect(grants).toEqual(['authorization_code', 'refresh_token', 'refresh_token']);
    expect(op.events.token[0]?.clientAuth).toBe('client_secret_post');

    await client.tokenRevocation(config, refreshed.refresh_token ?? '', { token_type_hint: 'refresh_token' });
    expect(op.events.revocation.at(-1)?.params.token).toBe(refreshed.refresh_token);
    await expect(client.refreshTokenGrant(config, refreshed.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('issues no refresh token without offline_access, nor for offline_access without prompt=consent (OIDC Core §11)', async () => {
    expect((await signIn(config, creds(op, 'bob'), 'openid profile')).tokens.refresh_token).toBeUndefined();
    const { tokens } = await signIn(config, creds(op, 'bob'), 'openid profile offline_access');
    expect(op.events.authorization.at(-1)?.params).not.toHaveProperty('prompt');
    expect(tokens.refresh_token).toBeUndefined();
  });

  it('completes a prompt=consent request for a user already signed in at the provider, with a refresh token', async () => {
    const browser = new ProviderBrowser();
    await signIn(config, creds(op, 'bob'), 'openid', browser);
    let forms = 0;
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid offline_access',
      prompt: 'consent',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 'again',
    });
    const back = await browser.follow(url.href, () => {
      forms++;
      return undefined;
    });
    expect(forms).toBe(0);
    const tokens = await client.authorizationCodeGrant(config, new URL(back.location!), {
      pkceCodeVerifier: verifier,
      expectedState: 'again',
    });
    expect(tokens.refresh_token).toBeTypeOf('string');
  });

  it('ends the session through the end_session_endpoint', async () => {
    const browser = new ProviderBrowser();
    const { tokens } = await signIn(config, creds(op, 'bob'), 'openid', browser);
    const end = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token ?? '',
      post_logout_redirect_uri: POST_LOGOUT_URI,
      state: 'bye',
    });
    const out = await logoutAtProvider(end.href, browser);
    expect(out.location).toBe(`${POST_LOGOUT_URI}?state=bye`);
    // The provider session is gone: the next authorization shows the sign-in form again.
    let forms = 0;
    await browser.follow(
      client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        code_challenge: 'x'.repeat(43),
        code_challenge_method: 'S256',
      }).href,
      () => {
        forms++;
        return undefined;
      },
    );
    expect(forms).toBe(1);
  });

  it('rotates its signing key', async () => {
    const before = (await (await fetch(`${op.issuer}/jwks`)).json()) as { keys: Array<{ kid: string }> };
    await op.rotateKeys({ keepPrevious: true });
    const after = (await (await fetch(`${op.issuer}/jwks`)).json()) as { keys: Array<{ kid: string }> };
    expect(after.keys.map((k) => k.kid)).toEqual([op.app.signingKey().kid, ...before.keys.map((k) => k.kid)]);
    const { tokens } = await signIn(config, creds(op, 'alice'), 'openid');
    const header = JSON.parse(Buffer.from((tokens.id_token ?? '').split('.')[0] ?? '', 'base64url').toString()) as { kid: string };
    expect(header.kid).toBe(op.app.signingKey().kid);
  });
});

describe('client authentication at the token endpoint', () => {
  async function callbackWithCode(config: client.Configuration, op: TestProvider) {
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 'st',
    });
    return { verifier, callback: new URL(await loginAtProvider(url.href, creds(op, 'alice'))) };
  }

  it('oidc-provider authenticates the client before it looks at the code: a refused attempt does not spend it', async () => {
    const op = await startProvider('certified');
    try {
      const config = await discover(op);
      const { verifier, callback } = await callbackWithCode(config, op);
      const wrong = await fetch(`${op.issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${op.clientId}:wrong-secret`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: callback.searchParams.get('code')!,
          redirect_uri: REDIRECT_URI,
          code_verifier: verifier,
        }),
      });
      expect({ status: wrong.status, body: await wrong.json() }).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: 'st' });
      expect(tokens.id_token).toBeTypeOf('string');
    } finally {
      await op.close();
    }
  });

  it('rawBasicClientId: refuses the form-urlencoded Basic user id of "cloud.lazycat.app.lzc-oidc", accepts it raw or in the body', async () => {
    const op = await startProvider('certified', { client: { clientId: 'cloud.lazycat.app.lzc-oidc' }, rawBasicClientId: 'invalid_client' });
    try {
      const basic = await discover(op, client.ClientSecretBasic(op.clientSecret));
      const { verifier, callback } = await callbackWithCode(basic, op);
      const error = await client
        .authorizationCodeGrant(basic, callback, { pkceCodeVerifier: verifier, expectedState: 'st' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(client.WWWAuthenticateChallengeError);
      expect(error).toMatchObject({ status: 401 });
      const raw = await fetch(`${op.issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${op.clientId}:${op.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: callback.searchParams.get('code')!,
          redirect_uri: REDIRECT_URI,
          code_verifier: verifier,
        }),
      });
      expect(raw.status).toBe(200);
      const post = await discover(op, client.ClientSecretPost(op.clientSecret));
      const second = await callbackWithCode(post, op);
      expect(
        (await client.authorizationCodeGrant(post, second.callback, { pkceCodeVerifier: second.verifier, expectedState: 'st' })).id_token,
      ).toBeTypeOf('string');
    } finally {
      await op.close();
    }
  });
});

describe('dex (Lazycat) profile', () => {
  let op: TestProvider;
  beforeAll(async () => {
    op = await startProvider('dex');
  });
  afterAll(() => op.close());

  it('publishes a path issuer, Dex endpoints and no logout or revocation', async () => {
    const doc = await discoveryDocument(op);
    expect(op.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sys\/oauth$/);
    expect(doc).toMatchObject({
      issuer: op.issuer,
      authorization_endpoint: `${op.issuer}/auth`,
      token_endpoint: `${op.issuer}/token`,
      jwks_uri: `${op.issuer}/keys`,
      userinfo_endpoint: `${op.issuer}/userinfo`,
      scopes_supported: ['openid', 'email', 'groups', 'profile', 'offline_access'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    });
    for (const absent of ['end_session_endpoint', 'revocation_endpoint', 'authorization_response_iss_parameter_supported']) {
      expect(doc).not.toHaveProperty(absent);
    }
  });

  it('signs in admin with client_secret_basic: opaque sub, email = user id, ADMIN group, no refresh token', async () => {
    const config = await discover(op, client.ClientSecretBasic(op.clientSecret));
    const { callback, tokens } = await signIn(config, creds(op, 'admin'), 'openid profile email groups offline_access');
    expect(callback.searchParams.has('iss')).toBe(false);
    expect(callback.searchParams.get('state')).toBeTruthy();
    const claims = tokens.claims();
    expect(claims).toMatchObject({ sub: 'CgVhZG1pbhIHaHBvcnRhbA', email: 'admin', groups: ['ADMIN'], preferred_username: 'admin' });
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.token_type).toBe('bearer');
    const info = await client.fetchUserInfo(config, tokens.access_token, claims?.sub ?? '');
    expect(info.groups).toEqual(['ADMIN']);
    expect(op.events.token.at(-1)?.clientAuth).toBe('client_secret_basic');
  });

  it('accepts client_secret_post too', async () => {
    const config = await discover(op, client.ClientSecretPost(op.clientSecret));
    const { tokens } = await signIn(config, creds(op, 'user1'), 'openid groups');
    expect(tokens.claims()?.groups).toEqual(['NORMAL']);
    expect(op.events.token.at(-1)?.clientAuth).toBe('client_secret_post');
  });

  it('rejects an unknown scope with invalid_scope at the callback', async () => {
    const config = await discover(op);
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid phone',
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
      state: 'st',
    });
    const res = await fetch(url, { redirect: 'manual' });
    const location = new URL(res.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
    expect(location.searchParams.get('error')).toBe('invalid_scope');
    await expect(
      client.authorizationCodeGrant(config, location, { pkceCodeVerifier: 'v'.repeat(43), expectedState: 'st' }),
    ).rejects.toMatchObject({ error: 'invalid_scope' });
  });
});

describe('casdoor profile', () => {
  let op: TestProvider;
  let config: client.Configuration;
  beforeAll(async () => {
    op = await startProvider('casdoor');
    config = await discover(op);
  });
  afterAll(() => op.close());

  it('publishes Casdoor paths on an origin issuer, without token_endpoint_auth_methods_supported', async () => {
    const doc = await discoveryDocument(op);
    expect(new URL(op.issuer).pathname).toBe('/');
    expect(doc).toMatchObject({
      issuer: op.issuer,
      authorization_endpoint: `${op.issuer}/login/oauth/authorize`,
      token_endpoint: `${op.issuer}/api/login/oauth/access_token`,
      userinfo_endpoint: `${op.issuer}/api/userinfo`,
      jwks_uri: `${op.issuer}/.well-known/jwks`,
      end_session_endpoint: `${op.issuer}/api/logout`,
    });
    for (const absent of [
      'token_endpoint_auth_methods_supported',
      'revocation_endpoint',
      'authorization_response_iss_parameter_supported',
    ]) {
      expect(doc).not.toHaveProperty(absent);
    }
  });

  it('returns one big JWT as both id_token and access_token, plus a refresh token without offline_access', async () => {
    const { callback, tokens } = await signIn(config, creds(op, 'admin'), 'openid profile email');
    expect(callback.searchParams.has('iss')).toBe(false);
    expect(callback.searchParams.has('state')).toBe(true);
    expect(tokens.id_token).toBe(tokens.access_token);
    // Casdoor-sized: its JWT format carries the whole user record (every provider column, properties, roles).
    expect(Buffer.byteLength(tokens.access_token)).toBeGreaterThanOrEqual(4096);
    expect(tokens.refresh_token).toBeTypeOf('string');
    const claims = decodeJwt(tokens.access_token);
    expect(claims.aud).toEqual([op.clientId]);
    expect(claims.azp).toBe(op.clientId);
    expect(claims).not.toHaveProperty('at_hash');
    expect(claims).toMatchObject({ name: 'admin', tokenType: 'access-token', isAdmin: true });

    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub ?? '');
    expect(info).toMatchObject({ preferred_username: 'admin', email_verified: true, aud: op.clientId, groups: ['ADMIN'] });
  });

  it('rotates refresh tokens, kills the old tokens, and answers failures with HTTP 200 status:error', async () => {
    const { tokens } = await signIn(config, creds(op, 'user1'), 'openid profile');
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '');
    expect(refreshed.id_token).toBe(refreshed.access_token);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });

    // The pre-refresh access token is gone: Casdoor's userinfo says so with HTTP 200.
    const stale = await fetch(`${op.issuer}/api/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(stale.status).toBe(200);
    expect(await stale.json()).toMatchObject({ status: 'error' });
    await expect(client.fetchUserInfo(config, tokens.access_token, client.skipSubjectCheck)).rejects.toMatchObject({
      code: 'OAUTH_INVALID_RESPONSE',
    });

    op.controls.tokenStatusError = 'Internal error';
    await expect(client.refreshTokenGrant(config, refreshed.refresh_token ?? '')).rejects.toMatchObject({ code: 'OAUTH_INVALID_RESPONSE' });
    delete op.controls.tokenStatusError;
  });

  it('logs out at /api/logout: redirect with state for a live hint, JSON error for a stale one', async () => {
    const { tokens } = await signIn(config, creds(op, 'admin'), 'openid');
    const end = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token ?? '',
      post_logout_redirect_uri: POST_LOGOUT_URI,
      state: 'bye',
    });
    const ok = await fetch(end, { redirect: 'manual' });
    expect(ok.status).toBe(302);
    expect(ok.headers.get('location')).toBe(`${POST_LOGOUT_URI}?state=bye`);
    const again = await fetch(end, { redirect: 'manual' });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: 'error', msg: 'Token not found, invalid accessToken' });
    expect(op.events.endSession).toHaveLength(2);
  });

  it('logs out at /api/logout without a hint or a Casdoor session: {"status":"ok"} and no redirect', async () => {
    const before = op.events.endSession.length;
    const params = new URLSearchParams({ client_id: op.clientId, post_logout_redirect_uri: POST_LOGOUT_URI, state: 'bye' });
    for (const res of [
      await fetch(`${op.issuer}/api/logout?${params}`, { redirect: 'manual' }),
      await fetch(`${op.issuer}/api/logout`, { method: 'POST', body: params, redirect: 'manual' }),
    ]) {
      expect({ status: res.status, location: res.headers.get('location') }).toEqual({ status: 200, location: null });
      expect(await res.json()).toMatchObject({ status: 'ok' });
    }
    expect(op.events.endSession).toHaveLength(before + 2);
  });

  it('answers userinfo with HTTP 200 status:error while the control is set', async () => {
    const { tokens } = await signIn(config, creds(op, 'user1'), 'openid profile');
    // user1 holds fewer roles and permissions than admin; still Casdoor-sized.
    expect(Buffer.byteLength(tokens.access_token)).toBeGreaterThanOrEqual(4096);
    op.controls.userinfoStatusError = 'Access token has expired';
    try {
      const res = await fetch(`${op.issuer}/api/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'error', msg: 'Access token has expired', data: null, data2: null });
    } finally {
      delete op.controls.userinfoStatusError;
    }
    expect(await client.fetchUserInfo(config, tokens.access_token, client.skipSubjectCheck)).toMatchObject({ preferred_username: 'user1' });
  });
});

describe('dev provider', () => {
  it('checks passwords and signs in the demo users', async () => {
    const issuer = `http://127.0.0.1:${await freePort()}`;
    const dev = await startDevProvider({
      issuer,
      clientId: 'dev-client',
      clientSecret: 'dev-secret',
      redirectUris: [REDIRECT_URI],
      postLogoutRedirectUris: [POST_LOGOUT_URI],
    });
    try {
      expect(dev.users.map((u) => u.username)).toEqual(['alice', 'bob']);
      const config = await client.discovery(new URL(issuer), 'dev-client', 'dev-secret', undefined, {
        execute: [client.allowInsecureRequests],
      });
      await expect(signIn(config, { username: 'alice', password: 'wrong' }, 'openid')).rejects.toThrow(/HTTP 401/);
      await expect(signIn(config, { username: 'nobody', password: 'alice-password' }, 'openid')).rejects.toThrow(
        /Wrong username or password/,
      );
      const { tokens } = await signIn(
        config,
        { username: 'alice', password: 'alice-password' },
        'openid profile groups offline_access',
        undefined,
        { prompt: 'consent' },
      );
      expect(tokens.refresh_token).toBeTypeOf('string');
      const info = await client.fetchUserInfo(config, tokens.access_token, 'alice');
      expect(info).toMatchObject({ groups: ['ADMIN'], name: 'Alice Admin' });
      const avatar = await fetch(String(info.picture));
      expect(avatar.headers.get('content-type')).toBe('image/svg+xml');
    } finally {
      await dev.close();
    }
  });

  it('answers 400 to a malformed percent-encoding and keeps serving', async () => {
    const issuer = `http://127.0.0.1:${await freePort()}`;
    const dev = await startDevProvider({
      issuer,
      clientId: 'dev-client',
      clientSecret: 'dev-secret',
      redirectUris: [REDIRECT_URI],
      postLogoutRedirectUris: [],
    });
    try {
      expect((await fetch(`${issuer}/avatar/%E0%A4%A.svg`)).status).toBe(400);
      // fetch() would normalise this request target; a raw request sends it as is.
      const status = await new Promise<number | undefined>((resolve, reject) =>
        httpGet(`${issuer}/`, { path: '//' }, (res) => resolve(res.resume().statusCode)).on('error', reject),
      );
      expect(status).toBe(400);
      expect((await fetch(`${issuer}/avatar/alice.svg`)).status).toBe(200);
      expect((await fetch(`${issuer}/.well-known/openid-configuration`)).status).toBe(200);
    } finally {
      await dev.close();
    }
  });
});

describe('instrumentation', () => {
  it('records nothing unless asked: a long dev run keeps no growing list of requests', async () => {
    const port = await freePort();
    const app = await createProviderApp({
      issuer: `http://127.0.0.1:${port}`,
      users: DEV_USERS.map((u) => ({ ...u, groups: [...u.groups] })),
      clients: [{ clientId: 'c', clientSecret: 's', redirectUris: [REDIRECT_URI], postLogoutRedirectUris: [POST_LOGOUT_URI] }],
    });
    try {
      const config = await client.discovery(new URL(app.issuer), 'c', 's', undefined, { execute: [client.allowInsecureRequests] });
      await signIn(config, { username: 'alice', password: 'alice-password' }, 'openid');
      expect(Object.values(app.events).map((list) => list.length)).toEqual([0, 0, 0, 0, 0]);
    } finally {
      await app.close();
    }
  });
});

describe('fixture overrides', () => {
  it('lets a test alter the token response, shorten TTLs and receive back-channel logout tokens', async () => {
    let received: (body: string) => void = () => {};
    const logoutToken = new Promise<string>((resolve) => {
      received = resolve;
    });
    // A real receiver for the back-channel logout POST; the promise settles when it arrives.
    const rp = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.writeHead(200).end();
        received(body);
      });
    });
    await new Promise<void>((resolve) => rp.listen(0, '127.0.0.1', resolve));
    const { port } = rp.address() as { port: number };
    const op = await startProvider('certified', {
      client: { backchannelLogoutUri: `http://127.0.0.1:${port}/backchannel-logout` },
      ttl: { accessToken: 120, idToken: 90 },
      mutateTokenResponse: (body) => ({ ...body, extra: 'added-by-test' }),
    });
    try {
      const config = await discover(op);
      const browser = new ProviderBrowser();
      const { tokens } = await signIn(config, creds(op, 'alice'), 'openid', browser);
      expect(tokens.extra).toBe('added-by-test');
      expect(tokens.expires_in).toBe(120);
      const claims = tokens.claims();
      expect((claims?.exp ?? 0) - (claims?.iat ?? 0)).toBe(90);

      const end = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token ?? '', post_logout_redirect_uri: POST_LOGOUT_URI });
      expect((await logoutAtProvider(end.href, browser)).location).toBe(POST_LOGOUT_URI);
      const form = new URLSearchParams(await logoutToken);
      const jwt = decodeJwt(form.get('logout_token') ?? '');
      expect(jwt).toMatchObject({ iss: op.issuer, aud: op.clientId, sub: 'alice' });
      expect(jwt.events).toHaveProperty(['http://schemas.openid.net/event/backchannel-logout']);
    } finally {
      await op.close();
      rp.closeAllConnections();
      await new Promise((resolve) => rp.close(resolve));
    }
  });
});
