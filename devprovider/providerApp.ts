// The one OpenID provider core behind the zero-config dev run (devprovider/devProvider.ts) and the test fixtures
// (test/fixtures/provider.ts). It is oidc-provider behind a small node:http front that serves the sign-in
// pages (real password checks, automatic consent) and mounts the provider under the issuer's path.
// Provider quirks (Dex, Casdoor) are added by callers as Koa middleware, so this file stays generic.
// oidc-provider is a devDependency and is imported lazily: production never starts this provider.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { avatarSvg, errorPage, loginPage, logoutConfirmPage, signedOutPage } from './providerPages.ts';

export interface ProviderUser {
  username: string;
  password: string;
  groups: string[];
  /** The `sub` claim; defaults to the username. */
  sub?: string;
  name?: string;
  email?: string;
  emailVerified?: boolean;
  /** Defaults to a self-served SVG avatar. */
  picture?: string;
  /** Further claims, released when a granted scope lists them in `scopeClaims`. */
  claims?: Record<string, unknown>;
}

export interface ClientRegistration {
  clientId: string;
  /** Omit for a public client (token_endpoint_auth_method "none"). */
  clientSecret?: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  backchannelLogoutUri?: string;
  /** Registered method; oidc-provider accepts client_secret_basic and client_secret_post for either. */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post' | 'none';
  /** RFC 8252 §7.3: accept loopback redirect URIs on any port, for test servers bound to port 0. */
  anyLoopbackPort?: boolean;
}

export interface TokenTtls {
  accessToken?: number;
  idToken?: number;
  refreshToken?: number;
  authorizationCode?: number;
}

export type RouteName = 'authorization' | 'token' | 'userinfo' | 'jwks' | 'revocation' | 'end_session';

/** When refresh tokens are issued: on `offline_access` (OIDC), always (Casdoor), never (Lazycat's Dex). */
export type RefreshPolicy = 'offline_access' | 'always' | 'never';

export type ClientAuthUsed = 'client_secret_basic' | 'client_secret_post' | 'none';

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  /** Form or query parameters, without client_secret. */
  params: Record<string, string>;
  clientAuth: ClientAuthUsed;
  /** The bearer token presented (userinfo). */
  bearer?: string;
}

/** What the relying party called, in order, so tests can assert "one refresh", "no userinfo call", … */
export interface ProviderEvents {
  authorization: RecordedRequest[];
  token: RecordedRequest[];
  userinfo: RecordedRequest[];
  revocation: RecordedRequest[];
  endSession: RecordedRequest[];
}

/** The subset of a Koa context that the shims use (oidc-provider is a Koa application). */
export interface ProviderContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  status: number;
  body: unknown;
  headers: IncomingMessage['headers'];
  req: IncomingMessage;
  state: Record<string, unknown>;
  response: { get(field: string): string };
  /** Request header. */
  get(field: string): string;
  /** Response header. */
  set(field: string, value: string): void;
  remove(field: string): void;
  redirect(url: string): void;
  oidc?: { route?: string; body?: Record<string, unknown>; params?: Record<string, unknown> };
}

export type ProviderMiddleware = (ctx: ProviderContext, next: () => Promise<void>) => Promise<void>;

interface OidcClient {
  clientId: string;
  redirectUriAllowed(uri: string): boolean;
  postLogoutRedirectUriAllowed(uri: string): boolean;
  grantTypeAllowed(type: string): boolean;
}
interface OidcToken {
  grantId?: string;
  accountId?: string;
  clientId?: string;
  scope?: string;
  destroy(): Promise<void>;
}
interface OidcGrant {
  addOIDCScope(scope: string): void;
  save(): Promise<string>;
}
interface OidcSession {
  accountId?: string;
  destroy(): Promise<void>;
  grantIdFor(clientId: string): string | undefined;
}
interface InteractionDetails {
  uid: string;
  prompt: { name: string };
  params: Record<string, string | undefined>;
  session?: { accountId?: string };
  grantId?: string;
}

/** The parts of oidc-provider's Provider that this project uses. */
export interface OidcProvider {
  issuer: string;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  use(fn: ProviderMiddleware): void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    opts?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  Client: { find(id: string): Promise<OidcClient | undefined> };
  AccessToken: { find(value: string): Promise<OidcToken | undefined> };
  RefreshToken: { find(value: string): Promise<OidcToken | undefined> };
  Grant: { new (init: { accountId: string; clientId: string }): OidcGrant; find(id: string): Promise<OidcGrant | undefined> };
  Session: { get(ctx: ProviderContext): Promise<OidcSession> };
}

export interface ProviderAppOptions {
  /** Full issuer; the server listens on its port. Without it: http://127.0.0.1:<free port><issuerPath>. */
  issuer?: string;
  issuerPath?: string;
  /** Bind address, default 127.0.0.1. */
  host?: string;
  clients: ClientRegistration[];
  users: ProviderUser[];
  /** Endpoint paths relative to the issuer (oidc-provider's names). */
  routes?: Partial<Record<RouteName, string>>;
  /** Scope → claims it releases. Default: profile, email, groups. */
  scopeClaims?: Record<string, string[]>;
  /** Put the scope's claims in the ID token too (Dex does; plain OIDC keeps them for userinfo). */
  claimsInIdToken?: boolean;
  refreshTokens?: RefreshPolicy;
  rotateRefreshTokens?: boolean;
  revocation?: boolean;
  endSession?: boolean;
  backchannelLogout?: boolean;
  clientAuthMethods?: string[];
  ttl?: TokenTtls;
  /** Page title; also names the provider on its pages. */
  title?: string;
  /** List the demo accounts on the sign-in page (dev run only). */
  showDemoAccounts?: boolean;
  /** Cookie name prefix. Browsers share localhost cookies across ports, so the RP's names must not collide. */
  cookiePrefix?: string;
  /**
   * Record every request the RP makes (`events`) and allow mutateTokenResponse: test instrumentation only,
   * so a long dev run does not keep a growing list of requests.
   */
  instrument?: boolean;
  /** Alters a successful token-endpoint JSON body before it is sent (hostile-provider tests). */
  mutateTokenResponse?(body: Record<string, unknown>): Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Koa middleware run before oidc-provider's routes, in order: provider quirk shims. */
  middleware?: ProviderMiddleware[];
}

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
}

export interface ProviderApp {
  issuer: string;
  origin: string;
  /** The issuer's path ('' for an origin issuer). */
  basePath: string;
  url(path: string): string;
  /** The live provider; replaced by rotateKeys(). */
  readonly provider: OidcProvider;
  events: ProviderEvents;
  users: ProviderUser[];
  subjectOf(user: ProviderUser): string;
  findUser(sub: string): ProviderUser | undefined;
  signingKey(): SigningKey;
  /** Swaps in a new RS256 signing key (kept first in the JWKS); the old public key stays published if asked. */
  rotateKeys(opts?: { keepPrevious?: boolean }): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_SCOPE_CLAIMS: Record<string, string[]> = {
  profile: ['name', 'preferred_username', 'picture'],
  email: ['email', 'email_verified'],
  groups: ['groups'],
};

const DEFAULT_TTL = { accessToken: 3600, idToken: 3600, refreshToken: 14 * 24 * 3600, authorizationCode: 60 };
const MAX_FORM_BYTES = 16 * 1024;

async function newSigningKey(): Promise<{ key: SigningKey; jwk: JWK }> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  // A fresh random kid per key lets RPs tell rotated keys apart, as Dex's 40-hex kids do.
  const kid = randomBytes(20).toString('hex');
  return { key: { kid, privateKey }, jwk: { ...jwk, kid, alg: 'RS256', use: 'sig' } };
}

function sameSecret(a: string, b: string): boolean {
  // Hash both so the comparison is constant-time whatever the lengths.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** Reads a small urlencoded form body (sign-in form, Casdoor's POST /api/logout). */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function flatten(input: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(input ?? {})) {
    if (k === 'client_secret' || v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(' ') : typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

function clientAuthUsed(ctx: ProviderContext, params: Record<string, unknown> | undefined): ClientAuthUsed {
  if (/^basic /i.test(ctx.headers.authorization ?? '')) return 'client_secret_basic';
  return params?.client_secret ? 'client_secret_post' : 'none';
}

export async function createProviderApp(options: ProviderAppOptions): Promise<ProviderApp> {
  const { default: Provider } = await import('oidc-provider');
  const { createMemoryAdapter } = await import('oidc-provider/lib/adapters/memory_adapter.js');

  const host = options.host ?? '127.0.0.1';
  const title = options.title ?? 'Development OpenID Provider';
  const scopeClaims = options.scopeClaims ?? DEFAULT_SCOPE_CLAIMS;
  const refreshPolicy = options.refreshTokens ?? 'offline_access';
  const ttl = { ...DEFAULT_TTL, ...options.ttl };
  const routes: Record<RouteName, string> = {
    authorization: '/auth',
    token: '/token',
    userinfo: '/me',
    jwks: '/jwks',
    revocation: '/token/revocation',
    end_session: '/session/end',
    ...options.routes,
  };
  const prefix = options.cookiePrefix ?? 'op_';
  // One store and one set of cookie keys outlive key rotation, so sessions and tokens survive it.
  const adapter = createMemoryAdapter();
  const cookieKeys = [randomBytes(32).toString('base64url')];
  const events: ProviderEvents = { authorization: [], token: [], userinfo: [], revocation: [], endSession: [] };
  const subjectOf = (u: ProviderUser): string => u.sub ?? u.username;
  const findUser = (sub: string): ProviderUser | undefined => options.users.find((u) => subjectOf(u) === sub);

  const fixedPort = options.issuer ? Number(new URL(options.issuer).port || 80) : 0;
  const server = createServer((req, res) => {
    try {
      front(req, res);
    } catch {
      // Only decoding the request target throws here (a malformed percent-encoding, an unparsable path), always
      // before anything is written: the client's mistake, and the process embedding this provider must keep running.
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('Bad request');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(fixedPort, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const issuer = (options.issuer ?? `http://${host}:${port}${options.issuerPath ?? ''}`).replace(/\/+$/, '');
  const { origin, pathname } = new URL(issuer);
  const basePath = pathname === '/' ? '' : pathname;
  const interactionPrefix = `${basePath}/interaction/`;
  const avatarPrefix = `${basePath}/avatar/`;

  const claimsOf = (user: ProviderUser): Record<string, unknown> => ({
    sub: subjectOf(user),
    name: user.name ?? user.username,
    preferred_username: user.username,
    email: user.email ?? `${user.username}@example.test`,
    email_verified: user.emailVerified ?? true,
    picture: user.picture ?? `${issuer}/avatar/${encodeURIComponent(user.username)}.svg`,
    groups: user.groups,
    ...user.claims,
  });

  /** Grants every requested scope: all clients here are first-party, so consent is automatic. */
  async function grantAll(p: OidcProvider, accountId: string, clientId: string, scope: string, grantId?: string) {
    const grant = (grantId ? await p.Grant.find(grantId) : undefined) ?? new p.Grant({ accountId, clientId });
    grant.addOIDCScope(scope);
    return grant.save();
  }

  // Records what the RP called and applies mutateTokenResponse. It is the outermost middleware, so it sees
  // the final response, after any shim.
  const eventsByRoute: Record<Exclude<RouteName, 'jwks'>, RecordedRequest[]> = {
    authorization: events.authorization,
    token: events.token,
    userinfo: events.userinfo,
    revocation: events.revocation,
    end_session: events.endSession,
  };
  const instrument: ProviderMiddleware = async (ctx, next) => {
    const bearer = /^bearer (.+)$/i.exec(ctx.headers.authorization ?? '')?.[1];
    // Copied before the shims run (the Casdoor shim drops ?access_token=): the record must show what the RP sent.
    const query = { ...ctx.query };
    await next();
    const route = (Object.keys(routes) as RouteName[]).find((r) =>
      r === 'end_session' ? ctx.path.startsWith(routes[r]) : ctx.path === routes[r],
    );
    if (!route || route === 'jwks') return;
    if (route === 'token' && ctx.status === 200 && options.mutateTokenResponse && ctx.body && typeof ctx.body === 'object') {
      ctx.body = await options.mutateTokenResponse(ctx.body as Record<string, unknown>);
    }
    const raw = ctx.oidc?.body ?? (ctx.state.body as Record<string, unknown> | undefined) ?? query;
    const entry: RecordedRequest = {
      method: ctx.method,
      path: ctx.path,
      status: ctx.status,
      params: flatten(raw),
      clientAuth: clientAuthUsed(ctx, raw),
      ...(bearer ? { bearer } : {}),
    };
    eventsByRoute[route].push(entry);
  };

  let jwks: JWK[] = [];
  let currentKey: SigningKey;
  let provider: OidcProvider | undefined;
  let callback: (req: IncomingMessage, res: ServerResponse) => void;

  function build(): void {
    const p = new Provider(issuer, {
      adapter,
      clients: options.clients.map((c) => ({
        client_id: c.clientId,
        ...(c.clientSecret ? { client_secret: c.clientSecret } : {}),
        redirect_uris: c.redirectUris,
        post_logout_redirect_uris: c.postLogoutRedirectUris ?? [],
        // With a back-channel URI, ID tokens carry `sid` so logout tokens can name one provider session.
        ...(c.backchannelLogoutUri ? { backchannel_logout_uri: c.backchannelLogoutUri, backchannel_logout_session_required: true } : {}),
        token_endpoint_auth_method: c.tokenEndpointAuthMethod ?? (c.clientSecret ? 'client_secret_basic' : 'none'),
        application_type: c.anyLoopbackPort ? 'native' : 'web',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      })),
      jwks: { keys: jwks },
      cookies: {
        keys: cookieKeys,
        names: { session: `${prefix}session`, interaction: `${prefix}interaction`, resume: `${prefix}resume` },
      },
      findAccount: async (_ctx: unknown, sub: string) => {
        const user = findUser(sub);
        return user ? { accountId: sub, claims: async () => claimsOf(user) } : undefined;
      },
      claims: { openid: ['sub'], ...scopeClaims },
      scopes: ['openid', 'offline_access', ...Object.keys(scopeClaims)],
      conformIdTokenClaims: !options.claimsInIdToken,
      clientAuthMethods: options.clientAuthMethods ?? ['client_secret_basic', 'client_secret_post', 'none'],
      clientBasedCORS: () => false,
      // oidc-provider refuses outgoing requests to loopback and private addresses (SSRF protection, passed as
      // an undici dispatcher). Here the back-channel logout receiver is the RP on this machine, so drop it.
      fetch: (url: string, init: RequestInit & { dispatcher?: unknown }) => {
        const { dispatcher: _ssrfGuard, ...rest } = init;
        return globalThis.fetch(url, rest);
      },
      pkce: { required: () => true },
      features: {
        devInteractions: { enabled: false },
        revocation: { enabled: options.revocation ?? true },
        backchannelLogout: { enabled: options.backchannelLogout ?? true },
        rpInitiatedLogout: {
          enabled: options.endSession ?? true,
          logoutSource: async (ctx: { body: string }, form: string) => {
            ctx.body = logoutConfirmPage(title, form);
          },
          postLogoutSuccessSource: async (ctx: { body: string }) => {
            ctx.body = signedOutPage(title);
          },
        },
      },
      issueRefreshToken: async (_ctx: unknown, client: OidcClient, code: { scopes: Set<string> }) =>
        refreshPolicy !== 'never' &&
        client.grantTypeAllowed('refresh_token') &&
        (refreshPolicy === 'always' || code.scopes.has('offline_access')),
      rotateRefreshToken: () => options.rotateRefreshTokens ?? true,
      loadExistingGrant: async (ctx: {
        oidc: {
          provider: OidcProvider;
          client: OidcClient;
          session: OidcSession;
          params: { scope?: string };
          result?: { consent?: { grantId?: string } };
        };
      }) => {
        const { provider: op, client, session, params, result } = ctx.oidc;
        if (!session.accountId) return undefined;
        const existing = result?.consent?.grantId ?? session.grantIdFor(client.clientId);
        return op.Grant.find(await grantAll(op, session.accountId, client.clientId, params.scope ?? 'openid', existing));
      },
      interactions: { url: async (_ctx: unknown, interaction: { uid: string }) => `${interactionPrefix}${interaction.uid}` },
      routes,
      ttl: {
        AccessToken: () => ttl.accessToken,
        IdToken: () => ttl.idToken,
        RefreshToken: () => ttl.refreshToken,
        AuthorizationCode: () => ttl.authorizationCode,
        Interaction: () => 600,
        Session: () => 14 * 24 * 3600,
        Grant: () => 14 * 24 * 3600,
      },
      renderError: async (ctx: { type: string; body: string }, out: Record<string, unknown>) => {
        ctx.type = 'html';
        ctx.body = errorPage(title, out);
      },
    }) as OidcProvider;
    for (const mw of [...(options.instrument ? [instrument] : []), ...(options.middleware ?? [])]) p.use(mw);
    provider = p;
    callback = p.callback();
  }

  async function rotateKeys(opts: { keepPrevious?: boolean } = {}): Promise<void> {
    const { key, jwk } = await newSigningKey();
    // oidc-provider signs with the first matching key, so the new one goes first.
    jwks = opts.keepPrevious ? [jwk, ...jwks] : [jwk];
    currentKey = key;
    build();
  }

  // Spent interactions (uid → their authorization request): Back from the RP lands on a sign-in page whose
  // interaction is gone; re-running its request beats a dead-end error (the RP sees a replayed state).
  const spent = new Map<string, string>();
  function markSpent(details: InteractionDetails): void {
    const again = new URL(`${issuer}${routes.authorization}`);
    for (const [k, v] of Object.entries(details.params)) if (typeof v === 'string') again.searchParams.set(k, v);
    spent.set(details.uid, again.href);
    if (spent.size > 1000) spent.delete(spent.keys().next().value!);
  }

  async function interaction(p: OidcProvider, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const details = await p.interactionDetails(req, res);
    const clientId = details.params.client_id ?? '';
    const scope = details.params.scope ?? 'openid';
    const action = `${interactionPrefix}${details.uid}/login`;
    const accountId = details.session?.accountId;
    if (details.prompt.name !== 'login' && accountId) {
      // Only consent is left (e.g. prompt=consent): grant it without a screen.
      const grantId = await grantAll(p, accountId, clientId, scope, details.grantId);
      markSpent(details);
      return p.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }
    const render = (status: number, username?: string, error?: boolean) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(
        loginPage({ title, action, clientId, username, error, ...(options.showDemoAccounts ? { demoAccounts: options.users } : {}) }),
      );
    };
    if (req.method !== 'POST' || !path.endsWith('/login')) return render(200);
    const form = await readForm(req);
    const username = form.get('username') ?? '';
    const user = options.users.find((u) => u.username === username);
    // Check a password even for unknown users so the response time does not reveal which names exist.
    const ok = sameSecret(form.get('password') ?? '', user?.password ?? randomBytes(16).toString('hex')) && user;
    if (!ok) return render(401, username, true);
    markSpent(details);
    // No grant here: loadExistingGrant picks one on resume, from the provider session as it is by then. A new
    // grant made now would replace the one another tab just got in the same session, and oidc-provider voids
    // that tab's code and tokens (they must match the session's one grant per client).
    await p.interactionFinished(req, res, { login: { accountId: subjectOf(ok) } }, { mergeWithLastSubmission: false });
  }

  function front(req: IncomingMessage, res: ServerResponse): void {
    if (!provider) {
      // The server listens before the provider exists (its issuer needs the port): a request can't come
      // from us that early, but answer instead of crashing if something else connects.
      res.writeHead(503).end();
      return;
    }
    const path = new URL(req.url ?? '/', origin).pathname;
    if (path.startsWith(interactionPrefix)) {
      interaction(provider, req, res, path).catch((err: unknown) => {
        // Usually an expired or foreign interaction cookie; the page says so instead of hanging.
        if (res.headersSent) return res.destroy();
        const again = req.method === 'GET' ? spent.get(path.slice(interactionPrefix.length).split('/')[0] ?? '') : undefined;
        if (again) return res.writeHead(303, { location: again, 'cache-control': 'no-store' }).end();
        res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
        res.end(
          errorPage(title, { error: 'invalid_request', error_description: err instanceof Error ? err.message : 'interaction failed' }),
        );
      });
      return;
    }
    if (path.startsWith(avatarPrefix) && path.endsWith('.svg')) {
      const svg = avatarSvg(decodeURIComponent(path.slice(avatarPrefix.length, -4)));
      res.writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=3600' });
      res.end(svg);
      return;
    }
    if (basePath) {
      if (path !== basePath && !path.startsWith(`${basePath}/`)) {
        res.writeHead(404).end();
        return;
      }
      // Mount the provider under the issuer path; oidc-provider derives its URLs from originalUrl.
      Object.assign(req, { originalUrl: req.url });
      req.url = (req.url ?? '/').slice(basePath.length) || '/';
    }
    callback(req, res);
  }

  await rotateKeys();

  return {
    issuer,
    origin,
    basePath,
    url: (path: string) => `${origin}${path}`,
    get provider(): OidcProvider {
      if (!provider) throw new Error('provider not built');
      return provider;
    },
    events,
    users: options.users,
    subjectOf,
    findUser,
    signingKey: () => currentKey,
    rotateKeys,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
