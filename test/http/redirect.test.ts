import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { redirect } from '../../src/http/redirect.ts';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const TARGETS = [
  'https://provider.example/auth?client_id=app&redirect_uri=https%3A%2F%2Fapp.example%2Fcallback&state=a&nonce=b',
  '/profile?tab=claims&x=1',
  '/ünïcode path/"quoted"<tag>\'single\'',
  '/?signed_out=1',
];

const app = express();
app.all('/express', (req, res) => res.redirect(Number(req.query.status), req.query.to as string));
app.all('/ours', (req, res) => redirect(res, Number(req.query.status) as 302 | 303, req.query.to as string));

/** What a browser sees of a redirect. */
async function seen(method: 'get' | 'head', path: string, status: number, to: string) {
  const res = await request(app)[method](path).query({ status, to }).set('Accept', BROWSER_ACCEPT);
  return {
    status: res.status,
    location: res.headers.location,
    type: res.headers['content-type'],
    length: res.headers['content-length'],
    body: res.text,
  };
}

describe('redirect()', () => {
  for (const status of [302, 303]) {
    it.each(TARGETS)(`answers a browser as res.redirect(${status}) does: %s`, async (to) => {
      for (const method of ['get', 'head'] as const) {
        const ours = await seen(method, '/ours', status, to);
        expect(ours).toEqual(await seen(method, '/express', status, to));
        expect(ours.status).toBe(status);
      }
    });
  }
});
