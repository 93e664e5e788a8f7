// The doctor's checks that talk to the provider: discovery, the JWKS, and a harmless token-endpoint probe.
// Each request is bounded by OIDC_HTTP_TIMEOUT, like the app's own.
import * as oc from 'openid-client';
import type { OidcConfig } from '../config/types.ts';
import { buildHandle, KTY_ALGS, type ProviderHandle } from '../oidc/client.ts';
import { providerFetch } from '../oidc/providerFetch.ts';
import { finding, type CheckId, type Finding, type ProviderKind } from './checks.ts';
import { classifyNetError, isObject, parseJson, probe, type Answer, type NetFailure } from './http.ts';

/** A network failure as a finding: the message says what happened, the fix what to do about it. */
function unreachable(id: CheckId, url: string, failure: NetFailure, detail: string, timeoutSec: number, variable: string): Finding {
  const u = new URL(url);
  const vars = { url, host: u.host, detail, sec: String(timeoutSec), variable };
  // An https URL on a port that speaks plain http: the one TLS failure with an obvious fix.
  const plainHttp = failure === 'tls' && /wrong.version|packet length/i.test(detail) && u.protocol === 'https:';
  const fixVars = plainHttp
    ? { ...vars, suggested: url.replace(/^https:/, 'http:').replace(/\/\.well-known\/openid-configuration$/, '') }
    : vars;
  return finding(id, 'fail', `net.${failure}`, vars, { key: plainHttp ? 'fix.net.plainHttp' : `fix.net.${failure}`, vars: fixVars });
}

export interface Discovered {
  finding: Finding;
  doc?: oc.ServerMetadata;
  answer?: Answer;
}

export async function probeDiscovery(oidc: OidcConfig): Promise<Discovered> {
  const url = `${oidc.issuer}/.well-known/openid-configuration`;
  const out = await probe(url, oidc.httpTimeoutSec, { headers: { accept: 'application/json' } });
  if (!out.ok)
    return { finding: unreachable('discovery', url, out.failure, out.detail, oidc.httpTimeoutSec, 'LAZYCAT_AUTH_OIDC_ISSUER_URI') };
  const { answer } = out;
  const fix = { key: 'fix.discovery.issuer' as const };
  if (answer.status !== 200) {
    const location = answer.headers.get('location');
    return {
      finding: finding(
        'discovery',
        'fail',
        'discovery.status',
        { url, status: String(answer.status), location: location ? ` → ${location}` : '' },
        fix,
      ),
      answer,
    };
  }
  if (!isObject(answer.json)) {
    return {
      finding: finding('discovery', 'fail', 'discovery.notJson', { url, type: answer.headers.get('content-type') ?? '?' }, fix),
      answer,
    };
  }
  if (typeof answer.json.issuer !== 'string') return { finding: finding('discovery', 'fail', 'discovery.noIssuer', { url }, fix), answer };
  return {
    finding: finding('discovery', 'ok', 'discovery.ok', { url, ms: String(answer.ms) }),
    doc: answer.json as oc.ServerMetadata,
    answer,
  };
}

const EC_CURVE_ALG: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };

/** Algorithms a JWK can verify: its `alg` when set, else what its key type (and curve) allows. */
function algsOf(jwk: Record<string, unknown>): string[] {
  if (typeof jwk.alg === 'string') return [jwk.alg];
  if (jwk.kty === 'EC' && typeof jwk.crv === 'string') return EC_CURVE_ALG[jwk.crv] ? [EC_CURVE_ALG[jwk.crv]!] : [];
  return [...(KTY_ALGS[String(jwk.kty)] ?? [])];
}

export async function probeJwks(oidc: OidcConfig, jwksUri: string, algs: string[]): Promise<{ finding: Finding; answer?: Answer }> {
  const out = await probe(jwksUri, oidc.httpTimeoutSec, { headers: { accept: 'application/json' } });
  if (!out.ok) return { finding: unreachable('jwks', jwksUri, out.failure, out.detail, oidc.httpTimeoutSec, 'OIDC_JWKS_URI') };
  const keys = isObject(out.answer.json) && Array.isArray(out.answer.json.keys) ? out.answer.json.keys : undefined;
  if (out.answer.status !== 200 || !keys) {
    return {
      finding: finding('jwks', 'fail', 'jwks.invalid', { url: jwksUri, status: String(out.answer.status) }, { key: 'jwks.fix' }),
      answer: out.answer,
    };
  }
  const usable = keys.filter(
    (k): k is Record<string, unknown> => isObject(k) && (k.use === undefined || k.use === 'sig') && algsOf(k).some((a) => algs.includes(a)),
  );
  const vars = { url: jwksUri, algs: algs.join(', '), count: String(usable.length), total: String(keys.length) };
  if (!usable.length) return { finding: finding('jwks', 'fail', 'jwks.noKeys', vars, { key: 'jwks.fix' }), answer: out.answer };
  return {
    finding: finding('jwks', 'ok', 'jwks.ok', { ...vars, kids: usable.map((k) => (typeof k.kid === 'string' ? k.kid : '?')).join(', ') }),
    answer: out.answer,
  };
}

const PROBE_CODE = 'lzc-oidc-doctor-probe';

interface Captured {
  status: number;
  body: unknown;
}

/** Redeems the dummy code with `config`'s client authentication; what the token endpoint answered, or why nothing. */
async function redeemProbe(oidc: OidcConfig, config: oc.Configuration): Promise<{ captured?: Captured; netError?: unknown }> {
  let captured: Captured | undefined;
  let netError: unknown;
  // Our own fetch sees every answer, including the shapes openid-client turns into different error classes.
  config[oc.customFetch] = async (url, options) => {
    try {
      const res = await providerFetch(url, options);
      captured = { status: res.status, body: parseJson(await res.clone().text()) };
      return res;
    } catch (err) {
      netError = err;
      throw err;
    }
  };
  await oc.genericGrantRequest(config, 'authorization_code', { code: PROBE_CODE, redirect_uri: oidc.redirectUri }).catch(() => undefined);
  return { ...(captured && { captured }), netError };
}

const textOf = (value: unknown): string => (typeof value === 'string' ? value : '');
const errorOf = (body: unknown): string => (isObject(body) && typeof body.error === 'string' ? body.error : '');
/** The token endpoint got past client authentication: it refused only the dummy code. */
const codeRefused = ({ body }: Captured): boolean => {
  const b = isObject(body) ? body : {};
  return errorOf(body) === 'invalid_grant' || (errorOf(body) === 'invalid_request' && /code/i.test(textOf(b.error_description ?? b.msg)));
};

/**
 * Redeems a code that cannot exist, with the app's own client authentication (the handle's Configuration),
 * so the provider authenticates the client and then rejects the code. Nothing is created on the provider.
 * Basic credentials refused while the provider lists client_secret_post are tried once more in the body, as
 * the app does: a provider that does not URL-decode Basic credentials (RFC 6749 §2.3.1) shows up that way.
 */
export async function probeCredentials(oidc: OidcConfig, handle: ProviderHandle, kind: ProviderKind): Promise<Finding> {
  const meta = handle.config.serverMetadata();
  const tokenUrl = meta.token_endpoint!;
  const { captured, netError } = await redeemProbe(oidc, handle.config);
  if (!captured) {
    const { failure, detail } = classifyNetError(netError);
    return unreachable('credentials', tokenUrl, failure, detail, oidc.httpTimeoutSec, 'LAZYCAT_AUTH_OIDC_TOKEN_URI');
  }
  const { status, body } = captured;
  const b = isObject(body) ? body : {};
  const error = errorOf(body);
  const vars = { clientId: oidc.clientId, status: String(status), error, detail: textOf(b.error_description ?? b.msg).slice(0, 200) };
  const credentialsFix = { key: 'credentials.fix' as const };
  if (codeRefused(captured)) {
    // Casdoor looks the code up before it compares the secret (token_oauth.go), so only the client id was proven.
    return finding('credentials', 'ok', kind === 'casdoor' ? 'credentials.casdoorOk' : 'credentials.ok', vars);
  }
  const refused = error === 'invalid_client' || error === 'unauthorized_client' || status === 401;
  if (
    refused &&
    handle.clientAuth.method === 'client_secret_basic' &&
    meta.token_endpoint_auth_methods_supported?.includes('client_secret_post')
  ) {
    const post = await redeemProbe(oidc, buildHandle({ ...oidc, clientAuth: 'client_secret_post' }, meta).config);
    if (post.captured && codeRefused(post.captured)) {
      const auto = oidc.clientAuth === 'auto';
      return finding('credentials', auto ? 'warn' : 'fail', 'credentials.basicUndecoded', vars, {
        key: auto ? 'credentials.basicUndecoded.autoFix' : 'credentials.basicUndecoded.fix',
      });
    }
  }
  if (error === 'invalid_client' || status === 401) return finding('credentials', 'fail', 'credentials.rejected', vars, credentialsFix);
  if (error === 'unauthorized_client' || error === 'unsupported_grant_type') {
    return finding('credentials', 'fail', 'credentials.grant', vars, { key: 'credentials.grant.fix' });
  }
  if (b.status === 'error') {
    // Casdoor's internal failures: HTTP 200 {"status":"error","msg":…}; a client lookup failure is the credentials.
    const aboutClient = /client|secret|application/i.test(vars.detail);
    return finding(
      'credentials',
      aboutClient ? 'fail' : 'warn',
      'credentials.casdoorStatus',
      vars,
      aboutClient ? credentialsFix : { key: 'credentials.casdoorStatus.fix' },
    );
  }
  return finding('credentials', 'warn', 'credentials.unexpected', vars);
}
