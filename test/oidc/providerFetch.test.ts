// providerFetch against real local servers (http and https on 127.0.0.1): what it sends, what it returns, and that
// its failures look like fetch's where the app reads them (fromOidcError, openid-client's timeout, jose).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oc from 'openid-client';
import { fromOidcError } from '../../src/oidc/errors.ts';
import { MAX_RESPONSE_BYTES, providerFetch } from '../../src/oidc/providerFetch.ts';
import { freePort } from '../fixtures/app.ts';
import { selfSignedCert, trustCertificate, type TlsFiles } from '../fixtures/tls.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Array<http.Server | https.Server> = [];
async function listen(handler: Handler, tls?: TlsFiles): Promise<string> {
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** A userinfo request through openid-client with the given fetch, its failure as the app reports it. */
async function userinfoFailure(userinfoUrl: string, fetchImpl: oc.CustomFetch | undefined, timeoutSec?: number): Promise<unknown> {
  const config = new oc.Configuration({ issuer: 'http://127.0.0.1', userinfo_endpoint: userinfoUrl }, 'client');
  oc.allowInsecureRequests(config);
  if (fetchImpl) config[oc.customFetch] = fetchImpl;
  if (timeoutSec !== undefined) config.timeout = timeoutSec;
  return fromOidcError(await rejection(oc.fetchUserInfo(config, 'at', 'alice')));
}

describe('providerFetch', () => {
  let echo: string;
  let seen: Array<{ method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string; port: number }>;

  beforeAll(async () => {
    seen = [];
    echo = await listen((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body, port: req.socket.remotePort! });
        res.writeHead(201, 'Made', { 'content-type': 'application/json', 'x-extra': 'yes' }).end('{"ok":true}');
      });
    });
  });

  it('sends the method, only the given headers (and Host, Connection, Content-Length) and the body; returns status, headers and body', async () => {
    const res = await providerFetch(`${echo}/token?x=1`, {
      method: 'post',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'c d' }),
      redirect: 'manual',
    });
    expect(res).toBeInstanceOf(Response);
    expect({ status: res.status, statusText: res.statusText, extra: res.headers.get('x-extra'), json: await res.json() }).toEqual({
      status: 201,
      statusText: 'Made',
      extra: 'yes',
      json: { ok: true },
    });
    const request = seen.at(-1)!;
    expect({ method: request.method, url: request.url, body: request.body }).toEqual({
      method: 'POST',
      url: '/token?x=1',
      body: 'grant_type=authorization_code&code=c+d',
    });
    expect(Object.keys(request.headers).sort()).toEqual(['accept', 'connection', 'content-length', 'content-type', 'host']);
    expect(request.headers['content-length']).toBe(String(request.body.length));
  });

  it('takes headers as a Headers object too (jose passes one)', async () => {
    await (await providerFetch(echo, { headers: new Headers({ 'user-agent': 'jose' }) })).text();
    expect(seen.at(-1)!.headers['user-agent']).toBe('jose');
  });

  it('keeps the connection open for the next request', async () => {
    await (await providerFetch(echo)).text();
    await (await providerFetch(echo)).text();
    const [first, second] = seen.slice(-2);
    expect(second!.port).toBe(first!.port);
  });

  it('returns a redirect as it is and never follows it', async () => {
    const hits: string[] = [];
    const url = await listen((req, res) => {
      hits.push(req.url!);
      if (req.url === '/moved') res.writeHead(302, { location: '/elsewhere' }).end();
      else res.end('followed');
    });
    const res = await providerFetch(`${url}/moved`, { redirect: 'manual' });
    expect({ status: res.status, location: res.headers.get('location') }).toEqual({ status: 302, location: '/elsewhere' });
    expect(hits).toEqual(['/moved']);
  });

  it('answers a 204 with no body, as a Response must', async () => {
    const url = await listen((_req, res) => res.writeHead(204).end());
    const res = await providerFetch(url, { method: 'POST', body: 'token=x' });
    expect({ status: res.status, body: res.body }).toEqual({ status: 204, body: null });
  });

  describe('a body over MAX_RESPONSE_BYTES', () => {
    let url: string;
    beforeAll(async () => {
      url = await listen((req, res) => {
        const size = req.url === '/exact' ? MAX_RESPONSE_BYTES : MAX_RESPONSE_BYTES + 1;
        // Announced by Content-Length, or only found out while reading (chunked).
        if (req.url === '/chunked') {
          res.write(Buffer.alloc(MAX_RESPONSE_BYTES, 'a'));
          res.end('a');
        } else res.writeHead(200, { 'content-length': size }).end(Buffer.alloc(size, 'a'));
      });
    });

    it.each(['/declared', '/chunked'])('is refused as "fetch failed", saying why (%s)', async (route) => {
      const err = await rejection(providerFetch(url + route));
      expect(err).toBeInstanceOf(TypeError);
      expect((err as TypeError).message).toBe('fetch failed');
      expect((err as TypeError).cause).toBeInstanceOf(RangeError);
      expect(String((err as TypeError).cause)).toContain(`${MAX_RESPONSE_BYTES}-byte limit`);
    });

    it('is the provider unavailable for the app', async () => {
      expect(await userinfoFailure(`${url}/chunked`, providerFetch)).toMatchObject({ code: 'OIDC_PROVIDER_UNAVAILABLE' });
    });

    it('is not refused at exactly the limit', async () => {
      expect((await (await providerFetch(`${url}/exact`)).arrayBuffer()).byteLength).toBe(MAX_RESPONSE_BYTES);
    });
  });

  describe('a provider that never answers', () => {
    let url: string;
    let arrived: Promise<IncomingMessage>;
    let arrive: (req: IncomingMessage) => void = () => undefined;
    beforeAll(async () => {
      url = await listen((req) => arrive(req));
    });
    const nextRequest = (): void => {
      arrived = new Promise((resolve) => (arrive = resolve));
    };

    it("rejects with the signal's reason when it aborts, and drops the connection", async () => {
      nextRequest();
      const controller = new AbortController();
      const pending = rejection(providerFetch(url, { signal: controller.signal }));
      const req = await arrived;
      const reason = new DOMException('the provider took too long', 'TimeoutError');
      controller.abort(reason);
      expect(await pending).toBe(reason);
      await once(req.socket, 'close');
    });

    it("is openid-client's OAUTH_TIMEOUT, and so the provider unavailable, when its timeout ends", async () => {
      nextRequest();
      const err = await userinfoFailure(url, providerFetch, 0.2);
      expect(err).toMatchObject({ code: 'OIDC_PROVIDER_UNAVAILABLE', cause: { code: 'OAUTH_TIMEOUT' } });
    });

    it('rejects with the reason of a signal that had aborted already', async () => {
      const reason = new Error('stop');
      expect(await rejection(providerFetch(url, { signal: AbortSignal.abort(reason) }))).toBe(reason);
    });
  });

  it('connection refused: "fetch failed" with the network error as cause, the same app error as with Node\'s fetch', async () => {
    const url = `http://127.0.0.1:${await freePort()}/userinfo`;
    const err = await rejection(providerFetch(url));
    expect(err).toBeInstanceOf(TypeError);
    expect(err).toMatchObject({ message: 'fetch failed', cause: { code: 'ECONNREFUSED' } });
    const ours = await userinfoFailure(url, providerFetch);
    const nodes = await userinfoFailure(url, undefined);
    expect(ours).toMatchObject({ code: 'OIDC_PROVIDER_UNAVAILABLE' });
    expect((ours as { code: string }).code).toBe((nodes as { code: string }).code);
  });

  it('https: trusts what the process trusts (system CAs, NODE_EXTRA_CA_CERTS) and refuses an unknown certificate as fetch does', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lzc-fetch-tls-'));
    const trusted = selfSignedCert(mkdtempSync(path.join(dir, 'a-')));
    const unknown = selfSignedCert(mkdtempSync(path.join(dir, 'b-')));
    trustCertificate(trusted.cert);
    const good = await listen((_req, res) => res.end('over tls'), trusted);
    const bad = await listen((_req, res) => res.end('never'), unknown);

    expect(await (await providerFetch(good)).text()).toBe('over tls');
    const ours = await rejection(providerFetch(bad));
    const nodes = await rejection(fetch(bad));
    expect(ours).toBeInstanceOf(TypeError);
    expect(ours).toMatchObject({ message: 'fetch failed', cause: { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' } });
    expect((ours as TypeError).cause).toMatchObject({ code: ((nodes as TypeError).cause as { code: string }).code });
  });

  it("goes through the proxy Node's agents take from the environment (NODE_USE_ENV_PROXY), as fetch did", async () => {
    const proxied: string[] = [];
    const proxy = await listen((req, res) => {
      proxied.push(`${req.method} ${req.url}`);
      res.end('from the proxy');
    });
    // The variables are read when Node starts, so in a process of its own.
    const module = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/oidc/providerFetch.ts');
    const script = `const { providerFetch } = await import(${JSON.stringify(module)});
      process.stdout.write(await (await providerFetch('http://provider.invalid/jwks')).text());`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH ?? '', NODE_USE_ENV_PROXY: '1', HTTP_PROXY: proxy },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const [exitCode] = (await once(child, 'exit')) as [number];
    expect({ exitCode, out, proxied }).toEqual({ exitCode: 0, out: 'from the proxy', proxied: ['GET http://provider.invalid/jwks'] });
  });
});
