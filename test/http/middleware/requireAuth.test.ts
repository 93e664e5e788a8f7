import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/errors/AppError.ts';
import { requestContext } from '../../../src/http/context.ts';
import { errorBoundary, errorRenderer } from '../../../src/http/errorPages.ts';
import { requireAuth, requireGroup } from '../../../src/http/middleware/requireAuth.ts';
import type { AuthPaths } from '../../../src/http/paths.ts';
import { createLogger } from '../../../src/log/logger.ts';
import { sessionStack, SIGN_IN_PATH, type SessionStack } from '../../fixtures/sessionStack.ts';

const paths: AuthPaths = {
  login: '/signin',
  callback: '/callback',
  logout: '/logout',
  logoutDone: '/logout/done',
  backchannel: '/backchannel-logout',
  stylesheet: '/lzc-oidc.css',
};
// req.oidc.accessToken() would run it; requireAuth never asks for a token.
const noRefresh = async (): Promise<void> => {};

/** What a host app's own error handler sees: the AppError's code and status, or any other error's message. */
const hostErrorHandler: ErrorRequestHandler = (err, _req, res, _next) => {
  if (err instanceof AppError) res.status(err.status).json({ host: { code: err.code, details: err.details ?? null } });
  else res.status(500).json({ host: { message: (err as Error).message } });
};

let stacks: SessionStack[] = [];

async function app(pages: 'builtin' | 'host') {
  const stack = await sessionStack();
  stacks.push(stack);
  const { app, writes, cfg } = stack;
  const refuse = errorBoundary(pages, errorRenderer(createLogger('silent'), paths, cfg.cookieName));
  app.use(requestContext({ loginPath: paths.login, refuse }, writes, noRefresh));
  const ok: RequestHandler = (req, res) => {
    res.json({ sub: req.oidc.user?.sub });
  };
  app.get('/reports', requireAuth(), ok);
  app.post('/reports', requireAuth(), ok);
  app.get('/admin', requireGroup('ADMIN'), ok);
  app.use(hostErrorHandler);
  return app;
}

async function signedIn(pages: 'builtin' | 'host', groups = '') {
  const agent = request.agent(await app(pages));
  await agent.post(`${SIGN_IN_PATH}?groups=${groups}`).expect(204);
  return agent;
}

const BROWSER = { Accept: 'text/html,application/xhtml+xml', 'Sec-Fetch-Mode': 'navigate' };

let host: express.Express;
beforeAll(async () => {
  host = await app('host');
});
afterAll(async () => {
  await Promise.all(stacks.map((s) => s.close()));
  stacks = [];
});

describe('requireAuth', () => {
  it('sends a signed-out browser navigation to sign in, coming back to the same URL', async () => {
    const res = await request(host).get('/reports?month=2026-11&q=a%20b').set(BROWSER).expect(302);
    expect(res.headers.location).toBe(`/signin?returnTo=${encodeURIComponent('/reports?month=2026-11&q=a%20b')}`);
  });

  it('drops a returnTo that /login would refuse (too long) rather than send an unreadable Location', async () => {
    const res = await request(host)
      .get(`/reports?pad=${'x'.repeat(3000)}`)
      .set(BROWSER)
      .expect(302);
    expect(res.headers.location).toBe('/signin');
  });

  it.each([
    ['Accept: application/json', { Accept: 'application/json' }],
    ['XMLHttpRequest', { 'X-Requested-With': 'XMLHttpRequest' }],
    ['fetch() (Sec-Fetch-Mode: cors)', { 'Sec-Fetch-Mode': 'cors', Accept: '*/*' }],
  ])('gives an API caller (%s) an AUTH_REQUIRED AppError, never a redirect', async (_kind, headers) => {
    const res = await request(host).get('/reports').set(headers).expect(401);
    expect(res.body).toEqual({ host: { code: 'AUTH_REQUIRED', details: null } });
  });

  it('never redirects a form post: a redirect would turn it into a GET', async () => {
    const res = await request(host).post('/reports').set(BROWSER).expect(401);
    expect(res.body.host.code).toBe('AUTH_REQUIRED');
  });

  it("answers 401 JSON itself with pages: 'builtin'", async () => {
    const res = await request(await app('builtin'))
      .get('/reports')
      .set('Accept', 'application/json')
      .expect(401);
    expect(res.body.error).toMatchObject({ code: 'AUTH_REQUIRED' });
    expect(res.body.error.requestId).toMatch(/\S/);
    expect(res.body).not.toHaveProperty('host');
  });

  it('lets a signed-in user through, with req.oidc.user set', async () => {
    const agent = await signedIn('host');
    expect((await agent.get('/reports').set(BROWSER).expect(200)).body).toEqual({ sub: 'alice' });
    expect((await agent.post('/reports').set('Accept', 'application/json').expect(200)).body).toEqual({ sub: 'alice' });
  });

  it('tells the developer to mount lazycatAuth() first', async () => {
    const bare = express();
    bare.get('/reports', requireAuth(), (_req, res) => res.end());
    bare.use(hostErrorHandler);
    const res = await request(bare).get('/reports').expect(500);
    expect(res.body.host.message).toMatch(/app\.use\(lazycatAuth\(\)\) before/);
  });
});

describe('requireGroup', () => {
  it('sends a signed-out browser to sign in first', async () => {
    const res = await request(host).get('/admin').set(BROWSER).expect(302);
    expect(res.headers.location).toBe('/signin?returnTo=%2Fadmin');
  });

  it('refuses a signed-in user outside the group with FORBIDDEN, naming the group for the log', async () => {
    const agent = await signedIn('host', 'users');
    const res = await agent.get('/admin').set(BROWSER).expect(403);
    expect(res.body).toEqual({ host: { code: 'FORBIDDEN', details: { group: 'ADMIN' } } });
  });

  it("renders the 403 page itself with pages: 'builtin'", async () => {
    const agent = await signedIn('builtin', 'users');
    const res = await agent.get('/admin').set(BROWSER).expect(403);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('FORBIDDEN');
  });

  it('lets a member in', async () => {
    const agent = await signedIn('host', 'users,ADMIN');
    expect((await agent.get('/admin').set(BROWSER).expect(200)).body).toEqual({ sub: 'alice' });
  });
});
