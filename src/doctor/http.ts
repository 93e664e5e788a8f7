// One bounded HTTP request for the doctor, with failures sorted into the few causes a user can act on. It goes
// through the app's own providerFetch, so the doctor reaches the provider exactly as the app will. A failed
// request hides its cause in `err.cause.code`; this is the one place that reads it.
import { providerFetch, type ProviderRequestInit } from '../oidc/providerFetch.ts';

export type NetFailure = 'dns' | 'refused' | 'timeout' | 'tls' | 'network';

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body, or undefined when it is not JSON. */
  json: unknown;
  /** Local clock at the midpoint of the exchange, to compare with the server's Date header. */
  localMidMs: number;
  ms: number;
}

export type Outcome = { ok: true; answer: Answer } | { ok: false; failure: NetFailure; detail: string };

export function classifyNetError(err: unknown): { failure: NetFailure; detail: string } {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string; name?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.cause?.name === 'TimeoutError') {
    return { failure: 'timeout', detail: 'timeout' };
  }
  const code = e.cause?.code ?? '';
  // OpenSSL's failures all come as EPROTO; its reason ("wrong version number": plain http on that port) is the news.
  const sslReason = /SSL routines:[^:]*:([^:]+):/.exec(e.cause?.message ?? '')?.[1];
  const detail = (sslReason ? `${code} (${sslReason})` : code) || e.cause?.message || e.message || String(err);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return { failure: 'dns', detail };
  if (code === 'ECONNREFUSED') return { failure: 'refused', detail };
  if (code === 'ETIMEDOUT') return { failure: 'timeout', detail };
  if (/SSL|TLS|CERT|EPROTO|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code)) return { failure: 'tls', detail };
  return { failure: 'network', detail };
}

/**
 * A GET with a hard deadline; never throws. Redirects are not followed (a provider endpoint must answer itself),
 * and a body over providerFetch's limit is a network failure.
 */
export async function probe(url: string, timeoutSec: number, init: ProviderRequestInit = {}): Promise<Outcome> {
  const started = Date.now();
  try {
    const res = await providerFetch(url, { ...init, signal: AbortSignal.timeout(timeoutSec * 1000) });
    const text = await res.text();
    const ended = Date.now();
    const json = parseJson(text);
    return {
      ok: true,
      answer: { status: res.status, headers: res.headers, text, json, localMidMs: (started + ended) / 2, ms: ended - started },
    };
  } catch (err) {
    return { ok: false, ...classifyNetError(err) };
  }
}

/** The JSON value of a body, or undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
