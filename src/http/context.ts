import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
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
  readonly #res: Response;
  readonly #writes: SessionWrites;
  readonly #refresh: RequestHandler;
  #user: OidcUser | undefined | null = null;
  constructor(req: Request, res: Response, writes: SessionWrites, refresh: RequestHandler) {
    this.#req = req;
    this.#res = res;
    this.#writes = writes;
    this.#refresh = refresh;
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
    // The refresh middleware already ran for this request; run it again in case the token aged since.
    await new Promise<void>((resolve, reject) =>
      this.#refresh(this.#req, this.#res, (err?: unknown) => (err === undefined ? resolve() : reject(err))),
    );
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
export function requestContext(settings: InstanceSettings, writes: SessionWrites, refresh: RequestHandler): RequestHandler {
  return (req, res, next) => {
    (req as WithInstance)[INSTANCE] = settings;
    req.oidc = new RequestContext(req, res, writes, refresh);
    next();
  };
}
