// The doctor's checks on what is already known (configuration, discovered metadata): pure functions that
// return a verdict with a message key and, when something is wrong, the key of the exact fix.
// The checks that talk to the provider live in probes.ts; the texts in messages.ts.
import type * as oc from 'openid-client';
import { isLoopbackHost, lazycatRedirectUri, type Env } from '../config/load.ts';
import { issuerMatchesBySlash } from '../oidc/client.ts';
import type { OidcConfig } from '../config/types.ts';
import type { DoctorKey } from './messages.en.ts';

export type Status = 'ok' | 'warn' | 'fail' | 'skip';
export type CheckId =
  | 'config'
  | 'discovery'
  | 'issuer'
  | 'endpoints'
  | 'scopes'
  | 'pkce'
  | 'jwks'
  | 'credentials'
  | 'redirect'
  | 'clock'
  | 'logout'
  | 'revocation'
  | 'refresh';
export interface Text {
  key: DoctorKey;
  vars?: Record<string, string>;
}
export interface Finding {
  id: CheckId;
  status: Status;
  message: Text;
  fix?: Text;
}
/** Casdoor and Lazycat's Dex have their own pitfalls (docs/providers.md); everything else is "generic". */
export type ProviderKind = 'casdoor' | 'dex' | 'generic';

export const finding = (id: CheckId, status: Status, key: DoctorKey, vars?: Record<string, string>, fix?: Text): Finding => ({
  id,
  status,
  message: { key, ...(vars && { vars }) },
  ...(fix && { fix }),
});
const fixOf = (key: DoctorKey, vars?: Record<string, string>): Text => ({ key, ...(vars && { vars }) });

/** Recognised by endpoint shape, which neither provider lets you change. */
export function providerKind(meta: oc.ServerMetadata): ProviderKind {
  const token = meta.token_endpoint ?? '';
  if (token.endsWith('/api/login/oauth/access_token')) return 'casdoor';
  if (token === `${meta.issuer}/token` && meta.jwks_uri === `${meta.issuer}/keys`) return 'dex';
  return 'generic';
}

/** How openid-client compares issuers: by URL href, so only an origin issuer may differ by its "/". */
const sameIssuer = (a: string, b: string): boolean => {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return false;
  }
};

export function checkIssuer(oidc: OidcConfig, rawIssuer: string | undefined, discovered: string, kind: ProviderKind): Finding {
  const configured = oidc.issuer;
  if (sameIssuer(configured, discovered) || issuerMatchesBySlash(configured, discovered)) {
    if (rawIssuer?.endsWith('/') && new URL(configured).pathname !== '/') {
      return finding(
        'issuer',
        'warn',
        'issuer.trailingSlash',
        { raw: rawIssuer, issuer: configured },
        fixOf('issuer.trailingSlash.fix', { issuer: configured }),
      );
    }
    return finding('issuer', 'ok', 'issuer.ok', { issuer: discovered });
  }
  const vars = { configured, discovered };
  const fix = kind === 'casdoor' ? fixOf('issuer.casdoor.fix', vars) : fixOf('issuer.mismatch.fix', vars);
  let c: URL | undefined;
  let d: URL | undefined;
  try {
    c = new URL(configured);
    d = new URL(discovered);
  } catch {
    // An unparsable discovered issuer is simply a mismatch.
  }
  const schemeOnly = c && d && c.protocol !== d.protocol && c.host === d.host && c.pathname === d.pathname;
  return finding('issuer', 'fail', schemeOnly ? 'issuer.scheme' : 'issuer.mismatch', vars, fix);
}

const ENDPOINTS = [
  'authorization_endpoint',
  'token_endpoint',
  'userinfo_endpoint',
  'jwks_uri',
  'end_session_endpoint',
  'revocation_endpoint',
] as const;

export function checkEndpoints(oidc: OidcConfig, meta: oc.ServerMetadata, kind: ProviderKind): Finding {
  const missing = (['authorization_endpoint', 'token_endpoint'] as const).filter((n) => !meta[n]);
  if (missing.length)
    return finding('endpoints', 'fail', 'endpoints.missing', { names: missing.join(', ') }, fixOf('endpoints.missing.fix'));
  const issuer = new URL(oidc.issuer);
  const auth = new URL(meta.authorization_endpoint!);
  // Casdoor's shipped runmode=dev sends browsers to :7001 when the Host is localhost:8000 (casdoor#3591).
  if (auth.port === '7001' && issuer.port !== '7001') {
    const devFix = kind === 'generic' ? fixOf('endpoints.devPort.genericFix') : fixOf('endpoints.devPort.fix', { issuer: oidc.issuer });
    return finding('endpoints', 'fail', 'endpoints.devPort', { url: auth.href }, devFix);
  }
  const elsewhere = ENDPOINTS.filter((n) => {
    const value = meta[n];
    return typeof value === 'string' && URL.canParse(value) && new URL(value).host !== issuer.host;
  }).map((n) => `${n}=${meta[n]!}`);
  if (elsewhere.length) {
    return finding(
      'endpoints',
      'warn',
      'endpoints.otherHost',
      { host: issuer.host, list: elsewhere.join(', ') },
      fixOf(kind === 'casdoor' ? 'endpoints.otherHost.casdoorFix' : 'endpoints.otherHost.fix'),
    );
  }
  return finding('endpoints', 'ok', 'endpoints.ok', { host: issuer.host });
}

/** `kept` is what the app will actually send (buildHandle's filtering), so the doctor and the app agree. */
export function checkScopes(oidc: OidcConfig, meta: oc.ServerMetadata, kept: string[], kind: ProviderKind): Finding {
  if (!meta.scopes_supported) return finding('scopes', 'ok', 'scopes.unadvertised', { scopes: kept.join(' ') });
  const dropped = oidc.scopes.filter((s) => !kept.includes(s));
  if (dropped.length) {
    return finding(
      'scopes',
      'warn',
      kind === 'dex' ? 'scopes.dex' : 'scopes.unsupported',
      { dropped: dropped.join(' '), supported: meta.scopes_supported.join(' ') },
      fixOf('scopes.fix', { scopes: kept.join(' ') }),
    );
  }
  return finding('scopes', 'ok', 'scopes.ok', { scopes: kept.join(' ') });
}

export function checkPkce(meta: oc.ServerMetadata, kind: ProviderKind): Finding {
  const methods = meta.code_challenge_methods_supported;
  if (!methods)
    return finding(
      'pkce',
      'warn',
      'pkce.unadvertised',
      undefined,
      fixOf(kind === 'casdoor' ? 'pkce.unadvertised.casdoorFix' : 'pkce.unadvertised.fix'),
    );
  if (!methods.includes('S256')) return finding('pkce', 'fail', 'pkce.noS256', { methods: methods.join(', ') }, fixOf('pkce.noS256.fix'));
  return finding('pkce', 'ok', 'pkce.ok');
}

export function checkRedirect(oidc: OidcConfig, env: Env): Finding {
  const uri = new URL(oidc.redirectUri);
  const appDomain = env.LAZYCAT_APP_DOMAIN?.trim();
  const expected = appDomain ? lazycatRedirectUri(appDomain) : undefined;
  // On Lazycat the platform registers https://$LAZYCAT_APP_DOMAIN + oidc_redirect_path; Dex compares byte for byte.
  if (expected && uri.href !== expected) {
    return finding('redirect', 'fail', 'redirect.domain', { uri: uri.href, expected }, fixOf('redirect.domain.fix', { expected }));
  }
  if (uri.pathname !== '/callback' || uri.search || uri.hash) {
    return finding(
      'redirect',
      'fail',
      'redirect.path',
      { uri: uri.href },
      fixOf('redirect.path.fix', { suggested: `${uri.origin}/callback` }),
    );
  }
  if (uri.protocol === 'http:' && !isLoopbackHost(uri.hostname)) {
    return finding(
      'redirect',
      'fail',
      'redirect.http',
      { uri: uri.href },
      fixOf('redirect.http.fix', { suggested: `https://${uri.host}/callback` }),
    );
  }
  return finding('redirect', 'ok', 'redirect.ok', { uri: uri.href });
}

const SKEW_WARN_SEC = 30;

/** `date` is the provider's Date header; `localMidMs` our clock halfway through that exchange. */
export function checkClock(oidc: OidcConfig, date: string | null, localMidMs: number): Finding {
  const serverMs = date ? Date.parse(date) : NaN;
  if (Number.isNaN(serverMs)) return finding('clock', 'skip', 'clock.unknown');
  // The Date header has one-second resolution: differences under a second say nothing.
  const skew = Math.max(0, Math.round((Math.abs(serverMs - localMidMs) - 1000) / 1000));
  const vars = { skew: String(skew), tolerance: String(oidc.clockToleranceSec) };
  if (skew > oidc.clockToleranceSec) return finding('clock', 'fail', 'clock.fail', vars, fixOf('clock.fix'));
  if (skew > SKEW_WARN_SEC) return finding('clock', 'warn', 'clock.warn', vars, fixOf('clock.fix'));
  return finding('clock', 'ok', 'clock.ok', vars);
}

/** Informational: what sign-out and long sessions will look like with this provider. */
export function checkLifecycle(oidc: OidcConfig, meta: oc.ServerMetadata, kind: ProviderKind): Finding[] {
  const out: Finding[] = [];
  if (meta.end_session_endpoint) out.push(finding('logout', 'ok', 'logout.ok', { url: meta.end_session_endpoint }));
  else out.push(finding('logout', 'warn', 'logout.none', undefined, fixOf(kind === 'dex' ? 'logout.none.dexFix' : 'logout.none.fix')));

  if (meta.revocation_endpoint) out.push(finding('revocation', 'ok', 'revocation.ok'));
  else out.push(finding('revocation', 'ok', kind === 'casdoor' ? 'revocation.casdoor' : 'revocation.none'));

  const grants = meta.grant_types_supported ?? ['authorization_code', 'implicit'];
  if (kind === 'dex') out.push(finding('refresh', 'ok', 'refresh.dex'));
  else if (kind === 'casdoor') out.push(finding('refresh', 'ok', 'refresh.casdoor'));
  else if (!grants.includes('refresh_token')) out.push(finding('refresh', 'warn', 'refresh.none'));
  else if (meta.scopes_supported?.includes('offline_access') && !oidc.scopes.includes('offline_access')) {
    out.push(
      finding(
        'refresh',
        'warn',
        'refresh.offline',
        undefined,
        fixOf('scopes.fix', { scopes: [...oidc.scopes, 'offline_access'].join(' ') }),
      ),
    );
  } else out.push(finding('refresh', 'ok', 'refresh.ok'));
  return out;
}
