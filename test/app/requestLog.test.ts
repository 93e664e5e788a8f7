import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { requestLog } from '../../src/app/requestLog.ts';
import { capturingLogger } from '../fixtures/logs.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function app() {
  const { logger, logs } = capturingLogger('info');
  const app = express();
  app.use(requestLog(logger));
  app.get('/callback', (req, res) => {
    res.json({ id: req.id, locale: req.locale, title: req.t('app.title'), localsLocale: res.locals.locale });
  });
  const requests = () => logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => l.msg === 'request');
  return { app, logs, requests };
}

describe('requestLog', () => {
  it('gives each request an id, answers it in X-Request-Id and logs it', async () => {
    const { app: a, requests } = app();
    const res = await request(a).get('/callback').expect(200);
    expect(res.body.id).toMatch(UUID);
    expect(res.headers['x-request-id']).toBe(res.body.id);
    expect(requests()[0]?.reqId).toBe(res.body.id);
    const again = await request(a).get('/callback').expect(200);
    expect(again.body.id).not.toBe(res.body.id);
  });

  it("keeps a proxy's request id when it is a safe token", async () => {
    const { app: a } = app();
    const res = await request(a).get('/callback').set('X-Request-Id', 'ingress-7f3a.b_2').expect(200);
    expect(res.body.id).toBe('ingress-7f3a.b_2');
    expect(res.headers['x-request-id']).toBe('ingress-7f3a.b_2');
  });

  it.each([
    ['with spaces and markup', 'id <script>'],
    ['over 64 characters', 'a'.repeat(65)],
    ['with a CR/LF smuggling attempt, encoded', 'abc%0d%0aSet-Cookie:x=1'],
  ])('replaces an incoming request id %s', async (_what, incoming) => {
    const { app: a, logs } = app();
    const res = await request(a).get('/callback').set('X-Request-Id', incoming).expect(200);
    expect(res.body.id).toMatch(UUID);
    expect(logs.join('\n')).not.toContain(incoming);
  });

  it.each([
    ['zh-CN', 'zh-CN', '懒猫登录'],
    ['zh-TW,zh;q=0.9', 'zh-CN', '懒猫登录'],
    ['fr, zh;q=0.5, en;q=0.4', 'zh-CN', '懒猫登录'],
    ['en-GB,en;q=0.9', 'en', 'Lazycat sign-in'],
    ['de', 'en', 'Lazycat sign-in'],
  ])('Accept-Language %s → %s, for the handler, the views and the response', async (accept, locale, title) => {
    const { app: a } = app();
    const res = await request(a).get('/callback').set('Accept-Language', accept).expect(200);
    expect(res.body).toMatchObject({ locale, title, localsLocale: locale });
    expect(res.headers['content-language']).toBe(locale);
    expect(res.headers.vary).toMatch(/Accept-Language/);
  });

  it('writes one line per response, with the path and never the query (it carries codes)', async () => {
    const { app: a, logs, requests } = app();
    await request(a).get('/callback?code=auth-code-SECRET&state=st4te').expect(200);
    await request(a).get('/nowhere?token=SECRET2').expect(404);
    await request(a).post('/callback').expect(404);
    expect(requests().map(({ method, path, status }) => ({ method, path, status }))).toEqual([
      { method: 'GET', path: '/callback', status: 200 },
      { method: 'GET', path: '/nowhere', status: 404 },
      { method: 'POST', path: '/callback', status: 404 },
    ]);
    for (const line of requests()) expect(line.ms).toEqual(expect.any(Number));
    expect(logs).toHaveLength(3);
    const all = logs.join('\n');
    for (const secret of ['auth-code-SECRET', 'st4te', 'SECRET2', '?']) expect(all).not.toContain(secret);
  });
});
