// A certified provider whose answers a test can make wrong, one at a time: the ID token in the token
// response, the whole token-endpoint answer, the userinfo body. Plus the checks every rejected sign-in
// must pass (conformance: a rejecting RP stops, it never goes on to userinfo).
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { SignJWT, decodeJwt, generateKeyPair, type JWTPayload } from 'jose';
import type { Env } from '../../../src/config/load.ts';
import type { ProviderContext, ProviderMiddleware } from '../../../devprovider/providerApp.ts';
import { beginSignIn, pathOf, startStack, type Agent, type Stack } from '../../fixtures/stack.ts';
import { loginAtProvider } from '../../fixtures/providerLogin.ts';
import type { TestProvider } from '../../fixtures/provider.ts';
import { expectCallbackRefused } from '../../fixtures/refusals.ts';

// The certified profile's endpoint paths (its issuer has no path): devprovider/providerApp.ts defaults.
const TOKEN = '/token';
const USERINFO = '/me';
const JWKS = '/jwks';

export interface HostileStack {
  stack: Stack;
  /** Rewrites the ID token of the next token responses. */
  idToken: ((token: string) => string | Promise<string>) | undefined;
  /** Answers at the token endpoint instead of the provider. */
  tokenEndpoint: ProviderMiddleware | undefined;
  /** Answers at the JWKS endpoint instead of the provider (an outage, a proxy's error page, a hang). */
  keySet: ProviderMiddleware | undefined;
  /** Rewrites the authorization response (code, state, iss) on its way back to the RP. */
  callback: ((params: URLSearchParams) => void) | undefined;
  /** Rewrites a successful userinfo body. */
  userinfo: ((body: Record<string, unknown>) => Record<string, unknown>) | undefined;
  /** A token-endpoint answer that never comes (held open until close()): the RP must give up on its own deadline. */
  hang: ProviderMiddleware;
  /** How often the RP fetched the JWKS (oidc-provider's call records leave the JWKS out). */
  jwksFetches: number;
  /** Every access token the token endpoint issued, as the provider sent it (before the RP saw it). */
  accessTokens: string[];
  /** Back to an honest provider; call after each test. */
  reset(): void;
  close(): Promise<void>;
}

const isObject = (body: unknown): body is Record<string, unknown> => typeof body === 'object' && body !== null && !Buffer.isBuffer(body);

async function startHostileStack(options: { env?: Env; middleware?: ProviderMiddleware[] } = {}): Promise<HostileStack> {
  const hangs: Array<() => void> = [];
  const h: HostileStack = {
    stack: undefined as unknown as Stack,
    idToken: undefined,
    tokenEndpoint: undefined,
    keySet: undefined,
    callback: undefined,
    userinfo: undefined,
    hang: () => new Promise<void>((resolve) => hangs.push(resolve)),
    jwksFetches: 0,
    accessTokens: [],
    reset() {
      h.idToken = undefined;
      h.tokenEndpoint = undefined;
      h.keySet = undefined;
      h.callback = undefined;
      h.userinfo = undefined;
    },
    async close() {
      for (const release of hangs.splice(0)) release();
      await h.stack?.close();
    },
  };
  const hostile: ProviderMiddleware = async (ctx, next) => {
    if (ctx.path === JWKS) h.jwksFetches++;
    if (ctx.path === JWKS && h.keySet) return h.keySet(ctx, next);
    if (ctx.path === TOKEN && h.tokenEndpoint) return h.tokenEndpoint(ctx, next);
    await next();
    if (ctx.path === TOKEN && ctx.status === 200 && isObject(ctx.body) && typeof ctx.body.access_token === 'string')
      h.accessTokens.push(ctx.body.access_token);
    if (ctx.path === USERINFO && ctx.status === 200 && h.userinfo && isObject(ctx.body)) ctx.body = h.userinfo(ctx.body);
    const location = ctx.response.get('location');
    // The redirect to the RP's redirect_uri is absolute; the provider's own pages are relative.
    if (h.callback && /^https?:\/\//.test(location) && (ctx.oidc?.route === 'authorization' || ctx.oidc?.route === 'resume')) {
      const url = new URL(location);
      h.callback(url.searchParams);
      ctx.set('location', url.href);
    }
  };
  h.stack = await startStack('certified', {
    ...(options.env ? { env: options.env } : {}),
    provider: {
      middleware: [hostile, ...(options.middleware ?? [])],
      mutateTokenResponse: async (body) =>
        h.idToken && typeof body.id_token === 'string' ? { ...body, id_token: await h.idToken(body.id_token) } : body,
    },
  });
  return h;
}

/** One hostile stack for the enclosing describe, honest again after each test. Returns its getter. */
export function useHostileStack(options: Parameters<typeof startHostileStack>[0] = {}): () => HostileStack {
  let h: HostileStack | undefined;
  beforeAll(async () => {
    h = await startHostileStack(options);
  });
  afterEach(() => h?.reset());
  afterAll(() => h?.close());
  return () => {
    if (!h) throw new Error('hostile stack not started');
    return h;
  };
}

/** Token-endpoint answers a broken provider gives. */
export const tokenAnswers = {
  status500: async (ctx: ProviderContext) => {
    ctx.status = 500;
    ctx.body = 'Internal Server Error';
  },
  notJson: async (ctx: ProviderContext) => {
    ctx.status = 200;
    ctx.body = '<html><body>Bad gateway, try later</body></html>';
  },
  // Casdoor's internal failures: HTTP 200 and a body that is not an OAuth error (controllers/util.go).
  statusError: async (ctx: ProviderContext) => {
    ctx.status = 200;
    ctx.body = { status: 'error', msg: 'Invalid client_secret', data: null, data2: null };
  },
};

/** Claims edits for `resign`. */
export const without =
  (...names: string[]) =>
  (claims: JWTPayload): JWTPayload => {
    const copy = { ...claims };
    for (const name of names) delete copy[name];
    return copy;
  };
export const withClaims =
  (extra: JWTPayload) =>
  (claims: JWTPayload): JWTPayload => ({ ...claims, ...extra });
export const nowSec = (): number => Math.floor(Date.now() / 1000);

/** An HS256 copy of a token keyed with the client secret: what a confused RP would accept as "signed". */
export function hs256WithClientSecret(provider: TestProvider, token: string): Promise<string> {
  return new SignJWT(decodeJwt(token))
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(provider.clientSecret));
}

/**
 * An ES256 copy of a token signed with a fresh key the provider never published: `kid` as given (the
 * provider's RS256 kid, one nobody knows, or none).
 */
export async function es256WithForeignKey(token: string, kid: string | undefined): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256');
  return new SignJWT(decodeJwt(token)).setProtectedHeader({ alg: 'ES256', typ: 'JWT', ...(kid !== undefined && { kid }) }).sign(privateKey);
}

/** Signs in at the provider and returns the callback path, without calling it (so the token exchange is still to come). */
export async function callbackFor(stack: Stack, agent: Agent): Promise<string> {
  return pathOf(await loginAtProvider(await beginSignIn(agent), stack.provider.users[0]!));
}

/**
 * Runs a sign-in whose callback must fail: an error page with `code` and `status`, a sign-in-again link, no
 * stack, no token, no session cookie, no session afterwards, no userinfo call (unless the failure is in
 * userinfo itself), and the process still answering.
 */
export async function expectSignInRejected(stack: Stack, status: number, code: string, { userinfoCalls = 0 } = {}): Promise<void> {
  const agent = stack.browser();
  const callback = await callbackFor(stack, agent);
  const userinfoBefore = stack.provider.events.userinfo.length;
  const res = await agent.get(callback);
  await expectCallbackRefused(stack, agent, res, status, code);
  expect(stack.provider.events.userinfo.length).toBe(userinfoBefore + userinfoCalls);
}

/**
 * Runs a sign-in that must succeed: back to "/", then a session. `beforeCallback` runs once the provider
 * has issued the code and before the browser brings it to the app (so before the token request).
 */
export async function expectSignInAccepted(
  stack: Stack,
  { beforeCallback }: { beforeCallback?: () => Promise<void> } = {},
): Promise<Agent> {
  const agent = stack.browser();
  const callback = await callbackFor(stack, agent);
  await beforeCallback?.();
  const res = await agent.get(callback);
  expect({ status: res.status, location: res.headers.location, code: /data-error-code="([A-Z_]+)"/.exec(res.text)?.[1] }).toEqual({
    status: 303,
    location: '/profile',
    code: undefined,
  });
  expect((await agent.get('/profile').set('Accept', 'application/json')).status).toBe(200);
  return agent;
}
