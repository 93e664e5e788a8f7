import * as oc from 'openid-client';
import type { JWTVerifyGetKey } from 'jose';
// jose by its parts, not its index: the index loads all of it (JWE, key generation…), ~8 MB of RSS this app never uses.
import { createRemoteJWKSet, customFetch } from 'jose/jwks/remote';
import type { OidcConfig } from '../config/types.ts';
import { isLoopbackHost } from '../config/load.ts';
import { AppError } from '../errors/AppError.ts';
import type { Logger } from '../log/logger.ts';
import { createClientAuth, type ClientAuth } from './clientAuth.ts';
import { providerFetch, type ProviderRequestInit } from './providerFetch.ts';

/** What the rest of the app needs from a discovered provider. */
export interface ProviderHandle {
  /** openid-client's Configuration with the client authentication in use. */
  readonly config: oc.Configuration;
  /** Token-endpoint requests go through clientAuth.tokenRequest, which may switch the method once (auto mode). */
  clientAuth: ClientAuth;
  /** Kept here because config.serverMetadata() deep-clones the whole document on every call. */
  issuer: string;
  jwksUri: string;
  userinfoEndpoint: string | undefined;
  /** Scopes to request: the configured ones the provider advertises, `openid` always. */
  scopes: string[];
  /** Signature algorithms we accept for ID tokens: asymmetric only, never `none`, never HS*. */
  idTokenAlgs: string[];
  jwks: JWTVerifyGetKey;
  /**
   * The same keys for back-channel logout tokens, which anyone can POST: a 30 s refetch cooldown so forged kids
   * cannot make us hammer the provider.
   */
  logoutJwks: JWTVerifyGetKey;
  endSessionEndpoint: string | undefined;
  revocationEndpoint: string | undefined;
}

export interface OidcClient {
  /** Throws AppError('OIDC_PROVIDER_UNAVAILABLE') until discovery has succeeded. */
  provider(): ProviderHandle;
  isReady(): boolean;
  /**
   * Throws AppError('OIDC_PROVIDER_UNAVAILABLE') when the provider stopped answering since discovery,
   * so /login shows the "unavailable" page instead of sending the browser to a dead provider.
   * Cached briefly: one probe serves a burst of sign-ins.
   */
  assertReachable(): Promise<void>;
  /** Starts discovery, retrying with backoff until it succeeds; resolves on the first success. */
  start(): Promise<void>;
  /** Resolves once the first discovery attempt has ended, whatever its outcome (start() must have been called). */
  firstAttempt(): Promise<void>;
  stop(): void;
}

const PROBE_TTL_MS = 3_000;
const PROBE_FAILURE_TTL_MS = 1_000;
/** Asymmetric JWS algorithms by key type: the only ones accepted for ID and logout tokens. */
export const KTY_ALGS: Readonly<Record<string, readonly string[]>> = {
  RSA: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
  EC: ['ES256', 'ES384', 'ES512'],
  OKP: ['EdDSA', 'Ed25519'],
};
const ASYMMETRIC_ALGS = Object.values(KTY_ALGS).flat();

/**
 * The configured issuer has any trailing slash stripped (the common mistake); a provider whose issuer
 * really ends in "/" then differs only by that slash, and its exact spelling is accepted.
 */
export function issuerMatchesBySlash(configured: string, actual: string): boolean {
  return actual.replace(/\/+$/, '') === configured && actual !== configured;
}

/** Every provider URL the configuration names (issuer and explicit endpoints). */
function providerUrls(cfg: OidcConfig): URL[] {
  return [cfg.issuer, ...Object.values(cfg.endpoints)].filter((u): u is string => Boolean(u)).map((u) => new URL(u));
}

function usesPlainHttp(cfg: OidcConfig): boolean {
  return providerUrls(cfg).some((u) => u.protocol === 'http:');
}

async function discover(cfg: OidcConfig): Promise<oc.ServerMetadata> {
  const options = {
    execute: usesPlainHttp(cfg) ? [oc.allowInsecureRequests] : [],
    timeout: cfg.httpTimeoutSec,
    [oc.customFetch]: providerFetch,
  };
  const from = async (issuer: string) =>
    (await oc.discovery(new URL(issuer), cfg.clientId, undefined, oc.None(), options)).serverMetadata();
  try {
    return await from(cfg.issuer);
  } catch (err) {
    const actual = (err as { cause?: { body?: { issuer?: unknown } } }).cause?.body?.issuer;
    if (typeof actual === 'string' && issuerMatchesBySlash(cfg.issuer, actual)) {
      return from(actual);
    }
    throw err;
  }
}

/**
 * The key-set fetch behind both remote JWKS: failing to get the keys (no connection, a timeout, an answer that
 * is not a 200 JSON key set) says nothing about the token being checked, so it is an outage (503) that a
 * refresh rides out, never "token rejected". jose would report some of these as generic JOSE errors.
 */
async function fetchKeySet(url: string, init: ProviderRequestInit): Promise<Response> {
  let body: string;
  let res: Response;
  try {
    res = await providerFetch(url, init);
    body = await res.text();
  } catch (err) {
    throw new AppError('OIDC_PROVIDER_UNAVAILABLE', { message: 'JWKS not reachable', cause: err });
  }
  let keys: unknown;
  try {
    keys = (JSON.parse(body) as { keys?: unknown }).keys;
  } catch {
    // Not JSON: keys stays undefined.
  }
  if (res.status !== 200 || !Array.isArray(keys)) {
    throw new AppError('OIDC_PROVIDER_UNAVAILABLE', { message: 'JWKS answered without a key set', details: { status: res.status } });
  }
  return new Response(body, { status: 200, headers: res.headers });
}

/** Builds the openid-client Configuration from discovered (or manual) metadata plus explicit endpoint overrides. */
export function buildHandle(cfg: OidcConfig, discovered: oc.ServerMetadata | undefined, logger?: Logger): ProviderHandle {
  const e = cfg.endpoints;
  const metadata: oc.ServerMetadata = {
    ...(discovered ?? { issuer: cfg.issuer }),
    ...(e.authorization && { authorization_endpoint: e.authorization }),
    ...(e.token && { token_endpoint: e.token }),
    ...(e.userinfo && { userinfo_endpoint: e.userinfo }),
    ...(e.jwks && { jwks_uri: e.jwks }),
    ...(e.endSession && { end_session_endpoint: e.endSession }),
    ...(e.revocation && { revocation_endpoint: e.revocation }),
  };
  if (!metadata.jwks_uri) {
    throw new AppError('OIDC_PROVIDER_UNAVAILABLE', { message: 'provider has no jwks_uri; set OIDC_JWKS_URI' });
  }
  const auth = createClientAuth(cfg, metadata, usesPlainHttp(cfg), logger);
  const advertised = metadata.scopes_supported;
  const scopes = cfg.scopes.filter((s) => s === 'openid' || !advertised || advertised.includes(s));
  const algs = (metadata.id_token_signing_alg_values_supported ?? ['RS256']).filter((a) => ASYMMETRIC_ALGS.includes(a));
  return {
    get config() {
      return auth.config;
    },
    clientAuth: auth,
    issuer: metadata.issuer,
    jwksUri: metadata.jwks_uri,
    userinfoEndpoint: metadata.userinfo_endpoint,
    scopes,
    idTokenAlgs: algs.length ? algs : ['RS256'],
    // No cooldown: a signing-key rotation must be picked up by the very next sign-in; jose de-duplicates concurrent fetches.
    jwks: createRemoteJWKSet(new URL(metadata.jwks_uri), {
      cooldownDuration: 0,
      timeoutDuration: cfg.httpTimeoutSec * 1000,
      [customFetch]: fetchKeySet,
    }),
    logoutJwks: createRemoteJWKSet(new URL(metadata.jwks_uri), {
      cooldownDuration: 30_000,
      timeoutDuration: cfg.httpTimeoutSec * 1000,
      [customFetch]: fetchKeySet,
    }),
    endSessionEndpoint: metadata.end_session_endpoint,
    revocationEndpoint: metadata.revocation_endpoint,
  };
}

/** Discovery with retry: the server starts even when the provider is down, and becomes ready when it answers. */
export function createOidcClient(cfg: OidcConfig, logger: Logger): OidcClient {
  let handle: ProviderHandle | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let started: Promise<void> | undefined;
  let attempted!: () => void;
  const firstAttempt = new Promise<void>((resolve) => (attempted = resolve));

  if (cfg.allowInsecureHttp && providerUrls(cfg).some((u) => u.protocol === 'http:' && !isLoopbackHost(u.hostname))) {
    logger.warn('OIDC_ALLOW_INSECURE_HTTP is on: provider traffic is not protected by TLS');
  }

  const attempt = async (): Promise<void> => {
    handle = buildHandle(cfg, cfg.discovery ? await discover(cfg) : undefined, logger);
  };

  let probe: { until: number; result: Promise<boolean> } | undefined;
  const probeOnce = async (url: string): Promise<boolean> => {
    try {
      // Any HTTP answer means the provider is up; only a failed connection or a timeout means it is not.
      await providerFetch(url, { signal: AbortSignal.timeout(Math.min(cfg.httpTimeoutSec, 3) * 1000) });
      return true;
    } catch {
      return false;
    }
  };

  return {
    provider() {
      if (!handle) throw new AppError('OIDC_PROVIDER_UNAVAILABLE');
      return handle;
    },
    async assertReachable() {
      const { jwksUri } = this.provider();
      const now = Date.now();
      if (!probe || probe.until < now) {
        const result = probeOnce(jwksUri);
        probe = { until: now + PROBE_TTL_MS, result };
        // A failure is re-checked sooner than a success, so recovery shows quickly.
        void result.then((ok) => {
          if (!ok && probe?.result === result) probe.until = Date.now() + PROBE_FAILURE_TTL_MS;
        });
      }
      if (!(await probe.result)) throw new AppError('OIDC_PROVIDER_UNAVAILABLE', { message: 'provider not reachable' });
    },
    isReady: () => handle !== undefined,
    firstAttempt: () => firstAttempt,
    start() {
      started ??= new Promise<void>((resolve) => {
        let delay = cfg.discoveryRetryMinMs;
        const run = (): void => {
          if (stopped) return;
          attempt().then(
            () => {
              logger.info({ issuer: cfg.issuer, scopes: handle?.scopes }, 'OIDC provider ready');
              attempted();
              resolve();
            },
            (err: unknown) => {
              attempted();
              logger.warn({ err, issuer: cfg.issuer, retryInMs: delay }, 'OIDC provider discovery failed; retrying');
              timer = setTimeout(run, delay);
              timer.unref();
              delay = Math.min(delay * 2, cfg.discoveryRetryMaxMs);
            },
          );
        };
        run();
      });
      return started;
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
