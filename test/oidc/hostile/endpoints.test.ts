// A provider whose token endpoint, or discovery document, answers wrongly: the RP must show a stable error
// page, keep no session and stay up; with a wrong issuer it must never become ready at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { startApp, type RunningApp } from '../../fixtures/app.ts';
import { envFor } from '../../fixtures/stack.ts';
import { startProvider, type TestProvider } from '../../fixtures/provider.ts';
import { until } from '../../fixtures/until.ts';
import { expectSignInRejected, useHostileStack, tokenAnswers } from './hostileStack.ts';
import { STACK_TRACE } from '../../fixtures/leaks.ts';
import { editDiscovery } from '../../fixtures/discovery.ts';
import { MAX_RESPONSE_BYTES } from '../../../src/oidc/providerFetch.ts';

describe('hostile provider: token endpoint', () => {
  const h = useHostileStack();

  it.each([
    ['HTTP 500', tokenAnswers.status500],
    ['a non-JSON page', tokenAnswers.notJson],
    ['HTTP 200 with {"status":"error","msg":...} (Casdoor)', tokenAnswers.statusError],
  ])('shows a provider error when it answers %s', async (_name, answer) => {
    h().tokenEndpoint = answer;
    const before = h().stack.provider.events.token.length;
    await expectSignInRejected(h().stack, 502, 'OIDC_PROVIDER_ERROR');
    // The answer really came from the hostile endpoint, once: no retry of a spent code.
    expect(h().stack.provider.events.token.length).toBe(before + 1);
  });
});

describe('hostile provider: an answer over the size limit', () => {
  const h = useHostileStack();
  const padded = (body: unknown) => ({ ...(body as object), padding: 'x'.repeat(MAX_RESPONSE_BYTES) });

  it('from the token endpoint, otherwise valid, is the provider unavailable', async () => {
    h().tokenEndpoint = async (ctx, next) => {
      await next();
      ctx.body = padded(ctx.body);
    };
    await expectSignInRejected(h().stack, 503, 'OIDC_PROVIDER_UNAVAILABLE');
  });

  it('from userinfo, otherwise valid, is the provider unavailable', async () => {
    h().userinfo = padded;
    await expectSignInRejected(h().stack, 503, 'OIDC_PROVIDER_UNAVAILABLE', { userinfoCalls: 1 });
  });
});

describe('hostile provider: token endpoint that never answers', () => {
  const h = useHostileStack({ env: { OIDC_HTTP_TIMEOUT: '2' } });

  it('gives up on its configured deadline with a provider-unavailable page', async () => {
    let reached = 0;
    h().tokenEndpoint = (ctx, next) => {
      reached++;
      return h().hang(ctx, next);
    };
    const logged = h().stack.app.logs.length;
    // No duration asserted: finishing at all (inside the 30 s test timeout) shows the RP gave up by itself.
    await expectSignInRejected(h().stack, 503, 'OIDC_PROVIDER_UNAVAILABLE');
    expect(reached).toBe(1);
    // ...and on its own clock: the logged cause is openid-client's timeout (the AbortSignal.timeout that
    // OIDC_HTTP_TIMEOUT arms), not a connection the test closed or any other failure.
    const failures = h()
      .stack.app.logs.slice(logged)
      .map((line) => JSON.parse(line) as { code?: string; msg?: string; err?: { code?: string; cause?: { type?: string } } })
      .filter((entry) => entry.code === 'OIDC_PROVIDER_UNAVAILABLE');
    expect(failures.map((f) => ({ msg: f.msg, code: f.err?.code, cause: f.err?.cause?.type }))).toEqual([
      { msg: 'request failed', code: 'OAUTH_TIMEOUT', cause: 'TimeoutError' },
    ]);
  });
});

describe('hostile provider: discovery names another issuer', () => {
  let provider: TestProvider;
  let app: RunningApp;
  let served = 0;
  // Rewrites the discovery document's issuer: a provider impersonating another, or a misconfigured one.
  const wrongIssuer = editDiscovery((doc) => {
    served++;
    doc.issuer = 'https://evil.example';
  });
  beforeAll(async () => {
    provider = await startProvider('certified', { middleware: [wrongIssuer] });
    app = await startApp(envFor(provider), { waitReady: false });
  });
  afterAll(async () => {
    await app?.close();
    await provider?.close();
  });

  it('never becomes ready: /readyz 503 and /login shows OIDC_PROVIDER_UNAVAILABLE', async () => {
    // Wait for a discovery that reached the provider and was refused, so "not ready" is not just "not yet".
    await until(() => served > 0 && app.logs.some((l) => l.includes('discovery failed')), 'a refused discovery');
    expect(app.oidc.isReady()).toBe(false);
    const ready = await request(app.url).get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.provider).toBe(false);
    const login = await request(app.url).get('/login');
    expect(login.status).toBe(503);
    expect(login.headers.location).toBeUndefined();
    expect(login.text).toContain('data-error-code="OIDC_PROVIDER_UNAVAILABLE"');
    expect(login.text).not.toMatch(STACK_TRACE);
    expect(provider.events.authorization).toEqual([]);
    expect((await request(app.url).get('/healthz')).status).toBe(200);
  });
});

describe('hostile provider: authorization response', () => {
  const h = useHostileStack();

  it.each([
    // RFC 9207 mix-up defence: the response names another issuer.
    ['an iss of another issuer', (p: URLSearchParams) => p.set('iss', 'https://evil.example')],
    ['no iss although the provider advertises it', (p: URLSearchParams) => p.delete('iss')],
    ['no code', (p: URLSearchParams) => p.delete('code')],
    ['the code twice', (p: URLSearchParams) => p.append('code', 'second-code')],
  ])('rejects a callback with %s as a bad callback, before any token request', async (_name, edit) => {
    h().callback = edit;
    const before = h().stack.provider.events.token.length;
    await expectSignInRejected(h().stack, 400, 'OIDC_INVALID_CALLBACK');
    expect(h().stack.provider.events.token.length).toBe(before);
  });
});
