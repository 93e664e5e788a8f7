import { type IncomingMessage, type ServerResponse } from 'node:http';
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
    response: {
        get(field: string): string;
    };
    /** Request header. */
    get(field: string): string;
    /** Response header. */
    set(field: string, value: string): void;
    remove(field: string): void;
    redirect(url: string): void;
    oidc?: {
        route?: string;
        body?: Record<string, unknown>;
        params?: Record<string, unknown>;
    };
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
    prompt: {
        name: string;
    };
    params: Record<string, string | undefined>;
    session?: {
        accountId?: string;
    };
    grantId?: string;
}
/** The parts of oidc-provider's Provider that this project uses. */
export interface OidcProvider {
    issuer: string;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    use(fn: ProviderMiddleware): void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, opts?: {
        mergeWithLastSubmission?: boolean;
    }): Promise<void>;
    Client: {
        find(id: string): Promise<OidcClient | undefined>;
    };
    AccessToken: {
        find(value: string): Promise<OidcToken | undefined>;
    };
    RefreshToken: {
        find(value: string): Promise<OidcToken | undefined>;
    };
    Grant: {
        new (init: {
            accountId: string;
            clientId: string;
        }): OidcGrant;
        find(id: string): Promise<OidcGrant | undefined>;
    };
    Session: {
        get(ctx: ProviderContext): Promise<OidcSession>;
    };
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
    rotateKeys(opts?: {
        keepPrevious?: boolean;
    }): Promise<void>;
    close(): Promise<void>;
}
/** Reads a small urlencoded form body (sign-in form, Casdoor's POST /api/logout). */
export declare function readForm(req: IncomingMessage): Promise<URLSearchParams>;
export declare function createProviderApp(options: ProviderAppOptions): Promise<ProviderApp>;
export {};
