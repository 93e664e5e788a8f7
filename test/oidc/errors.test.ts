// fromOidcError reads openid-client's classes, codes and, for OAUTH_INVALID_RESPONSE, its messages. Every row below
// makes openid-client (or jose) fail for real, against a local server answering the wrong thing, so an upgrade
// that renames a class, a code or a message turns a row red instead of silently changing what users see.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oc from 'openid-client';
import { generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { AppError } from '../../src/errors/AppError.ts';
import type { ErrorCode } from '../../src/errors/codes.ts';
import { fromOidcError } from '../../src/oidc/errors.ts';

const CLIENT_ID = 'client';
const STATE = 'state-1';
const NONCE = 'nonce-1';
const VERIFIER = 'v'.repeat(43);

type Answer = (req: IncomingMessage, res: ServerResponse) => void;
// Rows that fail before any request leave this in place: a request would get a 500, not the row's failure.
const unexpected: Answer = (_req, res) => res.writeHead(500).end();
let answer = unexpected;
let server: Server;
let issuer: string;
let key: CryptoKey;

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Answer =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };

function configuration(metadata: Partial<oc.ServerMetadata> = {}): oc.Configuration {
  const config = new oc.Configuration(
    {
      issuer,
      authorization_endpoint: `${issuer}/auth`,
      token_endpoint: `${issuer}/token`,
      userinfo_endpoint: `${issuer}/userinfo`,
      ...metadata,
    },
    CLIENT_ID,
    'secret',
  );
  oc.allowInsecureRequests(config);
  return config;
}

const callback = (query: string, config = configuration()) =>
  oc.authorizationCodeGrant(config, new URL(`http://127.0.0.1/callback?${query}`), {
    expectedState: STATE,
    expectedNonce: NONCE,
    pkceCodeVerifier: VERIFIER,
  });

const redeem = (config = configuration()) => callback(`code=c&state=${STATE}`, config);

async function idToken(change: (claims: JWTPayload) => JWTPayload = (c) => c, alg = 'RS256'): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims = change({ iss: issuer, aud: CLIENT_ID, sub: 'alice', iat: now, exp: now + 300, nonce: NONCE });
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(key);
}

const tokenResponse = async (change?: (claims: JWTPayload) => JWTPayload): Promise<Answer> =>
  json(200, { access_token: 'at', token_type: 'Bearer', expires_in: 300, id_token: await idToken(change) });

/** A fetch that fails before any byte is sent, the way undici reports a timeout or an abort. */
function failingFetch(name: 'TimeoutError' | 'AbortError'): oc.Configuration {
  const config = configuration();
  config[oc.customFetch] = () => Promise.reject(new DOMException('the operation failed', name));
  return config;
}

async function thrown(act: () => Promise<unknown>): Promise<unknown> {
  try {
    await act();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

interface Row {
  name: string;
  /** The provider's answer for this row; unset rows fail before any request. */
  answer?: () => Promise<Answer> | Answer;
  act: () => Promise<unknown>;
  /** What openid-client (or jose) threw: pins the class and code fromOidcError keys on. */
  from: { type: new (...args: never[]) => Error; code?: string };
  code: ErrorCode;
}

const rows: Row[] = [
  {
    name: 'callback with error=access_denied',
    act: () => callback(`error=access_denied&state=${STATE}`),
    from: { type: oc.AuthorizationResponseError },
    code: 'OIDC_ACCESS_DENIED',
  },
  {
    name: 'callback with any other error (login_required)',
    act: () => callback(`error=login_required&state=${STATE}`),
    from: { type: oc.AuthorizationResponseError },
    code: 'OIDC_LOGIN_FAILED',
  },
  {
    name: 'callback without a code',
    act: () => callback(`state=${STATE}`),
    from: { type: oc.ClientError, code: 'OAUTH_INVALID_RESPONSE' },
    code: 'OIDC_INVALID_CALLBACK',
  },
  {
    name: 'callback with the code twice',
    act: () => callback(`code=a&code=b&state=${STATE}`),
    from: { type: oc.ClientError, code: 'OAUTH_INVALID_RESPONSE' },
    code: 'OIDC_INVALID_CALLBACK',
  },
  {
    name: 'callback without RFC 9207 iss from a provider that promises it',
    act: () => redeem(configuration({ authorization_response_iss_parameter_supported: true })),
    from: { type: oc.ClientError, code: 'OAUTH_INVALID_RESPONSE' },
    code: 'OIDC_INVALID_CALLBACK',
  },
  {
    name: 'token endpoint: 400 invalid_grant',
    answer: () => json(400, { error: 'invalid_grant', error_description: 'code already used' }),
    act: () => redeem(),
    from: { type: oc.ResponseBodyError },
    code: 'OIDC_TOKEN_REJECTED',
  },
  {
    name: "token endpoint: 400 invalid_request (Dex's redirect_uri mismatch)",
    answer: () => json(400, { error: 'invalid_request', error_description: 'redirect_uri did not match URI from initial request.' }),
    act: () => redeem(),
    from: { type: oc.ResponseBodyError },
    code: 'OIDC_PROVIDER_ERROR',
  },
  {
    name: "token endpoint: Casdoor's 401 invalid_client with a Basic challenge",
    answer: () => json(401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic realm="OAuth2"' }),
    act: () => redeem(),
    from: { type: oc.WWWAuthenticateChallengeError },
    code: 'OIDC_PROVIDER_ERROR',
  },
  {
    name: 'token endpoint: a proxy error page (502 HTML)',
    answer: () => (_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad Gateway</h1>'),
    act: () => redeem(),
    from: { type: oc.ClientError, code: 'OAUTH_RESPONSE_IS_NOT_CONFORM' },
    code: 'OIDC_PROVIDER_ERROR',
  },
  {
    name: "token endpoint: Casdoor's HTTP 200 status:error (not a JWT problem)",
    answer: () => json(200, { status: 'error', msg: 'database is locked' }),
    act: () => redeem(),
    from: { type: oc.ClientError, code: 'OAUTH_INVALID_RESPONSE' },
    code: 'OIDC_PROVIDER_ERROR',
  },
  {
    name: 'ID token signed with alg none',
    answer: async () => {
      const [, payload] = (await idToken()).split('.');
      const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
      return json(200, { access_token: 'at', token_type: 'Bearer', id_token: none });
    },
    act: () => redeem(),
    from: { type: oc.ClientError, code: 'OAUTH_INVALID_RESPONSE' },
    code: 'OIDC_TOKEN_REJECTED',
  },
  {
    name: 'ID token without iat',
    answer: () => tokenResponse(({ iat: _iat, ...rest }) => rest),
    act: () => redeem(),
    from: { type: oc.ClientError, code: 'OAUTH_INVALID_RESPONSE' },
    code: 'OIDC_TOKEN_REJECTED',
  },
  {
    name: 'ID token with another nonce',
    answer: () => tokenResponse((c) => ({ ...c, nonce: 'someone-elses' })),
    act: () => redeem(),
    from: { type: oc.ClientError, code: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' },
    code: 'OIDC_TOKEN_REJECTED',
  },
  {
    name: 'ID token for another audience',
    answer: () => tokenResponse((c) => ({ ...c, aud: 'another-client' })),
    act: () => redeem(),
    from: { type: oc.ClientError, code: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' },
    code: 'OIDC_TOKEN_REJECTED',
  },
  {
    name: 'ID token expired an hour ago',
    answer: () => tokenResponse((c) => ({ ...c, iat: Number(c.iat) - 7200, exp: Number(c.iat) - 3600 })),
    act: () => redeem(),
    from: { type: oc.ClientError, code: 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED' },
    code: 'OIDC_TOKEN_REJECTED',
  },
  {
    name: 'userinfo about another subject',
    answer: () => json(200, { sub: 'mallory' }),
    act: () => oc.fetchUserInfo(configuration(), 'at', 'alice'),
    from: { type: oc.ClientError, code: 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' },
    code: 'OIDC_TOKEN_REJECTED',
  },
  {
    name: "userinfo: Casdoor's HTTP 200 status:error for an expired token",
    answer: () => json(200, { status: 'error', msg: 'Access token has expired' }),
    act: () => oc.fetchUserInfo(configuration(), 'at', 'alice'),
    from: { type: oc.ClientError, code: 'OAUTH_INVALID_RESPONSE' },
    code: 'OIDC_PROVIDER_ERROR',
  },
  {
    name: 'a request that timed out',
    act: () => redeem(failingFetch('TimeoutError')),
    from: { type: oc.ClientError, code: 'OAUTH_TIMEOUT' },
    code: 'OIDC_PROVIDER_UNAVAILABLE',
  },
  {
    name: 'a request that was aborted',
    act: () => redeem(failingFetch('AbortError')),
    from: { type: oc.ClientError, code: 'OAUTH_ABORT' },
    code: 'OIDC_PROVIDER_UNAVAILABLE',
  },
  {
    name: 'a provider nobody listens for (connection refused)',
    act: async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      return redeem(configuration({ token_endpoint: `http://127.0.0.1:${port}/token` }));
    },
    from: { type: TypeError },
    code: 'OIDC_PROVIDER_UNAVAILABLE',
  },
  {
    name: 'jose: an ID token signed by another key',
    act: async () => {
      const other = await generateKeyPair('RS256');
      return jwtVerify(await idToken(), other.publicKey);
    },
    from: { type: Error, code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' },
    code: 'OIDC_TOKEN_REJECTED',
  },
];

beforeAll(async () => {
  ({ privateKey: key } = await generateKeyPair('RS256'));
  server = createServer((req, res) => answer(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('fromOidcError', () => {
  it.each(rows)('$name → $code', async (row) => {
    answer = row.answer ? await row.answer() : unexpected;
    const err = await thrown(row.act);
    expect(err).toBeInstanceOf(row.from.type);
    if (row.from.code) expect((err as { code?: unknown }).code).toBe(row.from.code);
    const appError = fromOidcError(err);
    expect(appError).toBeInstanceOf(AppError);
    expect(appError.code).toBe(row.code);
    expect(appError.cause).toBe(err);
  });

  it('keeps the OAuth error and status for the log, never as the message', async () => {
    answer = json(400, { error: 'invalid_grant', error_description: 'code already used' });
    const appError = fromOidcError(await thrown(() => redeem()));
    expect(appError.details).toEqual({ providerError: 'invalid_grant', status: 400 });
    expect(appError.message).not.toContain('code already used');
  });

  it('passes an AppError through and calls anything unknown INTERNAL', () => {
    const own = new AppError('FORBIDDEN');
    expect(fromOidcError(own)).toBe(own);
    expect(fromOidcError(new RangeError('bug')).code).toBe('INTERNAL');
    expect(fromOidcError('a string').code).toBe('INTERNAL');
    expect(fromOidcError(null).code).toBe('INTERNAL');
    expect(fromOidcError(undefined).code).toBe('INTERNAL');
  });
});
