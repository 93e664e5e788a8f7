import http from 'node:http';
import https from 'node:https';

/** Largest response body taken from the provider: its JSON documents are a few kB, and the whole body is held in memory. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

// A response to these carries no body, and a Response refuses to be built with one.
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

/** The part of fetch's options that openid-client, oauth4webapi and jose pass. */
export interface ProviderRequestInit {
  method?: string;
  headers?: Headers | Record<string, string>;
  /** Typed as openid-client's customFetch may be called; it only ever sends a form or a string. */
  body?: string | URLSearchParams | Uint8Array | ArrayBuffer | ReadableStream | null;
  /** Redirects are never followed: a 3xx comes back as it is, as fetch returns it with `redirect: 'manual'`. */
  redirect?: 'manual';
  signal?: AbortSignal | undefined;
}

/** The rejection fetch gives for a request that got no usable answer, which callers recognise by its message. */
const fetchFailed = (cause: unknown): TypeError => new TypeError('fetch failed', { cause });

function requestBody(body: ProviderRequestInit['body']): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof URLSearchParams) return body.toString();
  throw new TypeError('providerFetch sends only string and form bodies');
}

/**
 * fetch for the provider's back channel (discovery, JWKS, token, userinfo, revocation) on node:http(s). Node's
 * fetch (undici: Request and Response objects, web streams, a WASM parser) was the largest part of the RP's
 * CPU per sign-in; these answers are small JSON documents, read whole into a standard Response.
 *
 * Requests go through Node's global agents: they keep connections alive (closing idle ones before the server's
 * Keep-Alive timeout), and they follow NODE_USE_ENV_PROXY as fetch did. https trusts what fetch trusted: the
 * bundled or system CAs and NODE_EXTRA_CA_CERTS. Kept from fetch: the AbortSignal's reason is the rejection
 * (openid-client and jose turn a TimeoutError into their timeout errors), a redirect is returned, never
 * followed, and a request that got no usable answer rejects with a TypeError "fetch failed" whose cause says
 * why (the network error, or a body over MAX_RESPONSE_BYTES). Only the given headers are sent, with Host,
 * Connection and Content-Length.
 */
export async function providerFetch(url: string, init: ProviderRequestInit = {}): Promise<Response> {
  const signal = init.signal ?? undefined;
  if (signal?.aborted) throw signal.reason;
  const target = new URL(url);
  const request = target.protocol === 'https:' ? https.request : target.protocol === 'http:' ? http.request : undefined;
  if (!request) throw fetchFailed(new Error(`unsupported protocol ${target.protocol}`));
  const body = requestBody(init.body);
  const headers: http.OutgoingHttpHeaders =
    init.headers instanceof Headers ? Object.fromEntries(init.headers) : { ...(init.headers ?? {}) };
  const method = (init.method ?? 'GET').toUpperCase();

  return new Promise<Response>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const fail = (err: unknown): void => settle(() => reject(fetchFailed(err)));
    const onAbort = (): void => {
      settle(() => reject(signal!.reason as Error));
      req.destroy();
    };
    const req = request(target, { method, headers }, (res) => {
      const declared = Number(res.headers['content-length']);
      if (declared > MAX_RESPONSE_BYTES) {
        fail(new RangeError(`response body of ${declared} bytes, over the ${MAX_RESPONSE_BYTES}-byte limit`));
        return res.destroy();
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          fail(new RangeError(`response body over the ${MAX_RESPONSE_BYTES}-byte limit`));
          return res.destroy();
        }
        chunks.push(chunk);
      });
      res.on('error', fail);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const pairs: Array<[string, string]> = [];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
        try {
          const content = NULL_BODY_STATUSES.has(status) ? null : Buffer.concat(chunks, size);
          const response = new Response(content, { status, statusText: res.statusMessage ?? '', headers: pairs });
          settle(() => resolve(response));
        } catch (err) {
          // A status or header fetch would not accept either (a status outside 200–599).
          fail(err);
        }
      });
    });
    req.on('error', fail);
    signal?.addEventListener('abort', onAbort, { once: true });
    req.end(body);
  });
}
