// Who may say which box user is at the browser: only lzc-ingress, i.e. only on Lazycat and only through the trusted proxy.
import express, { type Request } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { boxUserOf } from '../../src/http/middleware/boxIdentity.ts';
import { proxyTrust } from '../../src/http/proxyTrust.ts';

/** What the app would take as the box user for a request from 127.0.0.1 carrying `header`. */
async function seen(enabled: boolean, trustProxy: boolean | string, header?: string): Promise<string | null> {
  const userOf = boxUserOf(enabled, proxyTrust(trustProxy));
  const app = express().get('/', (req, res) => res.json({ user: userOf(req) ?? null }));
  const req = request(app).get('/');
  return (await (header === undefined ? req : req.set('X-HC-User-ID', header))).body.user;
}

describe('box identity', () => {
  it('believes X-HC-User-ID on Lazycat from the trusted proxy', async () => {
    expect(await seen(true, 'loopback', 'alice')).toBe('alice');
    expect(await seen(true, 'loopback')).toBeNull();
    expect(await seen(true, 'loopback', '')).toBeNull();
  });

  it('ignores it off the box, and from a peer that is not a trusted proxy', async () => {
    expect(await seen(false, 'loopback', 'alice')).toBeNull();
    expect(await seen(true, false, 'alice')).toBeNull();
    expect(await seen(true, '10.0.0.0/8', 'alice')).toBeNull();
  });

  it('the default TRUST_PROXY (loopback) does not trust a LAN address, which could forge X-Forwarded-* and X-HC-*', () => {
    const trust = proxyTrust('loopback');
    const from = (remoteAddress: string) => ({ socket: { remoteAddress } }) as unknown as Request;
    expect(trust.viaTrustedProxy(from('127.0.0.1'))).toBe(true);
    expect(trust.viaTrustedProxy(from('::1'))).toBe(true);
    for (const lan of ['192.168.1.20', '10.1.2.3', 'fd00::5', 'fe80::1', '169.254.1.1'])
      expect(trust.viaTrustedProxy(from(lan))).toBe(false);
  });
});
