import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { wantsJson } from '../../src/http/clientKind.ts';

const app = express();
app.all('/probe', (req, res) => {
  res.json({ wantsJson: wantsJson(req) });
});

// Header sets as real clients send them.
const rows: Array<[string, Record<string, string>, boolean]> = [
  ['a browser navigation', { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'Sec-Fetch-Mode': 'navigate' }, false],
  ['an older browser without Sec-Fetch headers', { Accept: 'text/html,application/xhtml+xml' }, false],
  ['curl (Accept: */*)', { Accept: '*/*' }, false],
  ['no Accept at all', {}, false],
  ['fetch() from a page', { Accept: '*/*', 'Sec-Fetch-Mode': 'cors' }, true],
  ['an <img> or stylesheet load', { Accept: 'image/avif,image/webp,*/*', 'Sec-Fetch-Mode': 'no-cors' }, true],
  ['a same-origin fetch', { Accept: 'text/html', 'Sec-Fetch-Mode': 'same-origin' }, true],
  ['jQuery-style XHR', { Accept: 'text/html', 'X-Requested-With': 'XMLHttpRequest' }, true],
  ['XHR header in lower case', { 'X-Requested-With': 'xmlhttprequest' }, true],
  ['an API client (Accept: application/json)', { Accept: 'application/json' }, true],
  ['JSON preferred over HTML by q-value', { Accept: 'text/html;q=0.5, application/json' }, true],
  ['HTML preferred over JSON', { Accept: 'text/html, application/json;q=0.9' }, false],
  ['a navigation whose Accept prefers JSON', { Accept: 'application/json', 'Sec-Fetch-Mode': 'navigate' }, true],
];

describe('wantsJson', () => {
  it.each(rows)('%s → %s', async (_client, headers, expected) => {
    const res = await request(app).get('/probe').set(headers).expect(200);
    expect(res.body.wantsJson).toBe(expected);
  });

  // Answers are remembered per Accept value: each value keeps its own, in any order, and a value too long to be
  // remembered is still negotiated.
  it('answers each Accept value by itself, whatever was asked before', async () => {
    const long = `text/html, ${Array.from({ length: 40 }, (_, i) => `application/x-${i};q=0.1`).join(', ')}`;
    const sequence: Array<[string, boolean]> = [
      ['application/json', true],
      ['text/html', false],
      ['application/json', true],
      [long, false],
      [`application/json, ${long.slice('text/html, '.length)}`, true],
      ['text/html', false],
    ];
    for (const [accept, expected] of sequence) {
      const res = await request(app).get('/probe').set('Accept', accept).expect(200);
      expect([accept.slice(0, 40), res.body.wantsJson]).toEqual([accept.slice(0, 40), expected]);
    }
  });
});
