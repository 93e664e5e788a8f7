// One bounded HTTP request for the doctor, with failures sorted into the few causes a user can act on.
// fetch() hides the cause in `err.cause.code`; this is the one place that reads it.

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

// Providers answer discovery and JWKS in well under a second; nothing legitimate is bigger than this.
const MAX_BODY_CHARS = 1_000_000;

export function classifyNetError(err: unknown): { failure: NetFailure; detail: string } {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string; name?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.cause?.name === 'TimeoutError') {
    return { failure: 'timeout', detail: 'timeout' };
  }
  const code = e.cause?.code ?? '';
  const detail = code || e.cause?.message || e.message || String(err);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return { failure: 'dns', detail };
  if (code === 'ECONNREFUSED') return { failure: 'refused', detail };
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return { failure: 'timeout', detail };
  if (/SSL|TLS|CERT|EPROTO|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code)) return { failure: 'tls', detail };
  return { failure: 'network', detail };
}

/** GET or POST with a hard deadline; never throws. Redirects are not followed: a provider endpoint must answer itself. */
export async function probe(url: string, timeoutSec: number, init: RequestInit = {}): Promise<Outcome> {
  const started = Date.now();
  try {
    const res = await fetch(url, { redirect: 'manual', ...init, signal: AbortSignal.timeout(timeoutSec * 1000) });
    const text = (await res.text()).slice(0, MAX_BODY_CHARS);
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
