// Runs every doctor check in order and renders the verdicts (text or JSON) in one language.
import type * as oc from 'openid-client';
import { ConfigError, loadConfig, rawIssuerOf, type Env } from '../config/load.ts';
import type { Locale } from '../i18n/index.ts';
import { buildHandle, type ProviderHandle } from '../oidc/client.ts';
import {
  checkClock,
  checkEndpoints,
  checkIssuer,
  checkLifecycle,
  checkPkce,
  checkRedirect,
  checkScopes,
  finding,
  providerKind,
  type CheckId,
  type Finding,
} from './checks.ts';
import type { Answer } from './http.ts';
import type { DoctorKey } from './messages.en.ts';
import { text } from './messages.ts';
import { probeCredentials, probeDiscovery, probeJwks } from './probes.ts';

const ORDER: CheckId[] = [
  'config',
  'discovery',
  'issuer',
  'endpoints',
  'scopes',
  'pkce',
  'jwks',
  'credentials',
  'redirect',
  'clock',
  'logout',
  'revocation',
  'refresh',
];

const skipped = (ids: CheckId[], key: DoctorKey): Finding[] => ids.map((id) => finding(id, 'skip', key));

export async function runDoctor(env: Env): Promise<Finding[]> {
  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const problems = err.problems.map((p) => `\n    - ${p}`).join('');
    return [finding('config', 'fail', 'config.invalid', { count: String(err.problems.length), problems }, { key: 'config.fix' })];
  }
  const oidc = config.oidc;
  if (config.devProvider) return [finding('config', 'warn', 'config.dev', { issuer: oidc.issuer }, { key: 'config.dev.fix' })];

  const out: Finding[] = [finding('config', 'ok', 'config.ok', { issuer: oidc.issuer, clientId: oidc.clientId }), checkRedirect(oidc, env)];
  let doc: oc.ServerMetadata | undefined;
  let dated: Answer | undefined;
  if (oidc.discovery) {
    const discovered = await probeDiscovery(oidc);
    out.push(discovered.finding);
    if (!discovered.doc)
      return sorted([
        ...out,
        ...skipped(
          ORDER.slice(2).filter((id) => id !== 'redirect'),
          'skip.discovery',
        ),
      ]);
    doc = discovered.doc;
    dated = discovered.answer;
    // The raw variable, before loadConfig strips a trailing slash, so the doctor can tell the user about it.
    const rawIssuer = rawIssuerOf(env);
    out.push(checkIssuer(oidc, rawIssuer, doc.issuer, providerKind(doc)));
  } else {
    out.push(finding('discovery', 'ok', 'discovery.manual'));
  }

  // The app's own construction: the same endpoint overrides, client authentication, scope filter and algorithms.
  let handle: ProviderHandle | undefined;
  try {
    handle = buildHandle(oidc, doc);
  } catch {
    // Only a missing jwks_uri makes buildHandle throw; reported by the JWKS check below.
  }
  const meta = handle?.config.serverMetadata() ?? doc ?? { issuer: oidc.issuer };
  const kind = providerKind(meta);
  out.push(checkEndpoints(oidc, meta, kind), checkPkce(meta, kind), ...checkLifecycle(oidc, meta, kind));
  if (!handle) {
    out.push(
      finding('jwks', 'fail', 'jwks.missing', undefined, { key: 'jwks.missing.fix' }),
      ...skipped(['scopes', 'credentials'], 'skip.handle'),
    );
  } else {
    out.push(checkScopes(oidc, meta, handle.scopes, kind));
    const [jwks, credentials] = await Promise.all([
      probeJwks(oidc, meta.jwks_uri!, handle.idTokenAlgs),
      meta.token_endpoint ? probeCredentials(oidc, handle, kind) : finding('credentials', 'skip', 'skip.handle'),
    ]);
    out.push(jwks.finding, credentials);
    dated ??= jwks.answer;
  }
  out.push(dated ? checkClock(oidc, dated.headers.get('date'), dated.localMidMs) : finding('clock', 'skip', 'clock.unknown'));
  return sorted(out);
}

const sorted = (findings: Finding[]): Finding[] => [...findings].sort((a, b) => ORDER.indexOf(a.id) - ORDER.indexOf(b.id));

export const failed = (findings: Finding[]): boolean => findings.some((f) => f.status === 'fail');

export interface RenderedFinding {
  id: CheckId;
  status: Finding['status'];
  title: string;
  message: string;
  fix?: string;
}

/**
 * Localises the findings and blanks every secret the environment holds. The checks never put one in a
 * message, but provider error texts are echoed, and a provider could echo what it was sent.
 */
export function render(findings: Finding[], locale: Locale, env: Env): RenderedFinding[] {
  const secrets = [env.LAZYCAT_AUTH_OIDC_CLIENT_SECRET, ...(env.SESSION_SECRET ?? '').split(',')]
    .map((s) => s?.trim())
    .filter((s): s is string => Boolean(s && s.length >= 4));
  const redact = (s: string): string => secrets.reduce((acc, secret) => acc.split(secret).join('[redacted]'), s);
  return findings.map((f) => ({
    id: f.id,
    status: f.status,
    title: text(locale, `title.${f.id}`),
    message: redact(text(locale, f.message.key, f.message.vars)),
    ...(f.fix && f.status !== 'ok' && { fix: redact(text(locale, f.fix.key, f.fix.vars)) }),
  }));
}

const ICONS = { ok: '✔', warn: '⚠', fail: '✘', skip: '–' } as const;

/** Terminal columns: CJK characters take two, so zh-CN titles line up too. */
const columns = (s: string): number => [...s].reduce((n, ch) => n + (/[\u3000-\u9fff\uff00-\uffef]/.test(ch) ? 2 : 1), 0);

export function renderText(rendered: RenderedFinding[], locale: Locale): string {
  const width = Math.max(...rendered.map((r) => columns(r.title)));
  const lines = [text(locale, 'ui.header'), ''];
  for (const r of rendered) {
    lines.push(`${ICONS[r.status]} ${r.title}${' '.repeat(width - columns(r.title))}  ${r.message}`);
    if (r.fix) lines.push(`  ${' '.repeat(width)}  → ${text(locale, 'ui.fix')}: ${r.fix}`);
  }
  const fails = rendered.filter((r) => r.status === 'fail').length;
  const warns = rendered.filter((r) => r.status === 'warn').length;
  const vars = { fails: String(fails), warns: String(warns) };
  lines.push('', text(locale, fails ? 'ui.blocked' : warns ? 'ui.warnings' : 'ui.allGood', vars));
  return lines.join('\n') + '\n';
}
