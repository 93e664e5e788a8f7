import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { SessionUser } from '../sessions/record.ts';
import type { SessionWrites } from '../sessions/writes.ts';
import type { OidcContext, OidcSessionInfo, OidcUser } from './oidcContext.ts';

/** What requireAuth() needs from the lazycatAuth() instance that handled the request. */
export interface InstanceSettings {
  loginPath: string;
  /** The instance's error boundary: its built-in page, or the host's error handler. */
  refuse: ErrorRequestHandler;
}

const INSTANCE = Symbol('lzc-oidc.instance');
type WithInstance = Request & { [INSTANCE]?: InstanceSettings };

export function instanceOf(req: Request): InstanceSettings | undefined {
  return (req as WithInstance)[INSTANCE];
}

function toOidcUser(u: SessionUser): OidcUser {
  const user: OidcUser = { sub: u.sub, groups: u.groups, issuer: u.issuer };
  if (u.name) user.name = u.name;
  if (u.preferred_username) user.username = u.preferred_username;
  if (u.email) user.email = u.email;
  if (u.picture) user.picture = u.picture;
  return user;
}

const dateOf = (ms: number | undefined): Date | undefined => (ms === undefined ? undefined : new Date(ms));

/** Builds req.oidc from the session; the shape is computed on first read, so a request that never asks pays nothing. */
class RequestContext implements OidcContext {
  readonly #req: Request;
  readonly #writes: SessionWrites;
  readonly #ensureFresh: (req: Request) => Promise<void>;
  #user: OidcUser | undefined | null = null;
  constructor(req: Request, writes: SessionWrites, ensureFresh: (req: Request) => Promise<void>) {
    this.#req = req;
    this.#writes = writes;
    this.#ensureFresh = ensureFresh;
  }
  get user(): OidcUser | undefined {
    if (this.#user === null) {
      const stored = this.#req.session?.user;
      this.#user = stored ? toOidcUser(stored) : undefined;
    }
    return this.#user;
  }
  isAuthenticated(): boolean {
    return Boolean(this.#req.session?.user);
  }
  async accessToken(): Promise<string | undefined> {
    if (!this.isAuthenticated()) return undefined;
    // The refresh step already ran for this request; run it again in case the token aged since.
    await this.#ensureFresh(this.#req);
    if (!this.isAuthenticated()) return undefined;
    const tokens = await this.#writes.tokens(this.#req.sessionID);
    if (!tokens || (tokens.expiresAt !== undefined && tokens.expiresAt <= Date.now())) return undefined;
    this.#user = null;
    return tokens.accessToken;
  }
  get idTokenClaims(): OidcContext['idTokenClaims'] {
    return this.#req.session?.user?.claims;
  }
  get session(): OidcSessionInfo | undefined {
    const s = this.#req.session;
    if (!s?.user) return undefined;
    return {
      signedInAt: new Date(s.user.signedInAt),
      expiresAt: s.cookie.expires ? new Date(s.cookie.expires) : undefined,
      tokenExpiresAt: dateOf(s.tokenInfo?.expiresAt),
      refreshable: Boolean(s.tokenInfo?.refreshable),
    };
  }
  get csrfToken(): string | undefined {
    return this.#req.session?.user ? this.#req.session.csrf : undefined;
  }
}

/** Installs req.oidc (and the instance settings requireAuth() reads) on every request through lazycatAuth(). */
export function requestContext(
  settings: InstanceSettings,
  writes: SessionWrites,
  ensureFresh: (req: Request) => Promise<void>,
): RequestHandler {
  return (req, _res, next) => {
    (req as WithInstance)[INSTANCE] = settings;
    req.oidc = new RequestContext(req, writes, ensureFresh);
    next();
  };
}

/**
 * req.oidc for a request that carries no session cookie of ours: nobody is signed in, whatever else is in
 * req.session (a host app's own express-session may have put a `user` there; it is not ours to read).
 */
const SIGNED_OUT: OidcContext = Object.freeze({
  user: undefined,
  isAuthenticated: () => false,
  accessToken: () => Promise.resolve(undefined),
  idTokenClaims: undefined,
  session: undefined,
  csrfToken: undefined,
});

/** Installs the signed-out req.oidc (and the instance settings): one shared object, nothing built per request. */
export function signedOutContext(settings: InstanceSettings): RequestHandler {
  return (req, _res, next) => {
    (req as WithInstance)[INSTANCE] = settings;
    req.oidc = SIGNED_OUT;
    next();
  };
}
