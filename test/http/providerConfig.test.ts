import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { JWTPayload } from 'jose';
import { startStack, signIn, envFor, type Stack } from '../fixtures/stack.ts';
import { startProvider, type TestProvider } from '../fixtures/provider.ts';
import { startApp, type RunningApp } from '../fixtures/app.ts';
import { resign } from '../fixtures/tokens.ts';
import request from 'supertest';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

/** A pass-through proxy on 127.0.0.1 that counts what went through it: proof an endpoint override is used. */
async function countingProxy(target: string): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const forward = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    hits++;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)),
    ) as Record<string, string>;
    const upstream = await fetch(target, {
      method: req.method,
      headers,
      body: chunks.length ? Buffer.concat(chunks) : undefined,
      redirect: 'manual',
    });
    res.writeHead(
      upstream.status,
      Object.fromEntries([...upstream.headers].filter(([k]) => !['content-encoding', 'content-length', 'transfer-encoding'].includes(k))),
    );
    res.end(Buffer.from(await upstream.arrayBuffer()));
  };
  const server = http.createServer((req, res) => void forward(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/proxied`, hits: () => hits };
}

async function stackOf(provider: TestProvider, app: RunningApp): Promise<Stack> {
  return { provider, app, browser: () => request.agent(app.url), close: async () => {} };
}

describe('provider configuration', () => {
  it('an explicit *_URI overrides the discovered endpoint', async () => {
    const provider = await startProvider('certified');
    cleanup.push(() => provider.close());
    const discovered = (await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json()) as {
      userinfo_endpoint: string;
      token_endpoint: string;
    };
    const userinfo = await countingProxy(discovered.userinfo_endpoint);
    const token = await countingProxy(discovered.token_endpoint);
    const app = await startApp({
      ...envFor(provider),
      LAZYCAT_AUTH_OIDC_USERINFO_URI: userinfo.url,
      LAZYCAT_AUTH_OIDC_TOKEN_URI: token.url,
    });
    cleanup.push(() => app.close());
    const res = await signIn(await stackOf(provider, app), request.agent(app.url));
    expect(res.status).toBe(303);
    expect(token.hits()).toBe(1);
    expect(userinfo.hits()).toBe(1);
  });

  it('without discovery, the explicit endpoints are the whole configuration (manual mode)', async () => {
    const provider = await startProvider('dex');
    cleanup.push(() => provider.close());
    const base = provider.issuer;
    const app = await startApp({
      ...envFor(provider),
      OIDC_DISCOVERY: 'false',
      LAZYCAT_AUTH_OIDC_AUTH_URI: `${base}/auth`,
      LAZYCAT_AUTH_OIDC_TOKEN_URI: `${base}/token`,
      LAZYCAT_AUTH_OIDC_USERINFO_URI: `${base}/userinfo`,
      OIDC_JWKS_URI: `${base}/keys`,
      OIDC_SCOPES: 'openid profile email groups',
    });
    cleanup.push(() => app.close());
    expect(app.config.oidc.discovery).toBe(false);
    const res = await signIn(await stackOf(provider, app), request.agent(app.url));
    expect(res.status).toBe(303);
    expect(app.oidc.provider().endSessionEndpoint).toBeUndefined();
  });
});

describe('clock tolerance (OIDC_CLOCK_TOLERANCE)', () => {
  async function signInWithSkew(tolerance: string, change: (c: JWTPayload) => JWTPayload) {
    // The provider re-signs with its own keys, and exists only once the stack does.
    const signer: { provider?: TestProvider } = {};
    const stack = await startStack('certified', {
      env: { OIDC_CLOCK_TOLERANCE: tolerance },
      provider: {
        mutateTokenResponse: async (body) =>
          typeof body.id_token === 'string' && signer.provider
            ? { ...body, id_token: await resign(signer.provider, body.id_token, change) }
            : body,
      },
    });
    signer.provider = stack.provider;
    cleanup.push(() => stack.close());
    return signIn(stack, stack.browser());
  }
  const ahead = (seconds: number) => Math.floor(Date.now() / 1000) + seconds;

  it.each([
    ['iat', (c: JWTPayload) => ({ ...c, iat: ahead(30) })],
    ['nbf', (c: JWTPayload) => ({ ...c, nbf: ahead(30) })],
  ])('accepts %s 30 s ahead with a 60 s tolerance and rejects it with 10 s', async (_claim, change) => {
    expect((await signInWithSkew('60', change)).status).toBe(303);
    const rejected = await signInWithSkew('10', change);
    expect(rejected.status).toBe(401);
    expect(rejected.text).toContain('OIDC_TOKEN_REJECTED');
  });
});
