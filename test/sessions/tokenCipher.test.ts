import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tokenCipher } from '../../src/sessions/tokenCipher.ts';

const OLD = 'old-session-secret-old-session-secret-0001';
const NEW = 'new-session-secret-new-session-secret-0002';
const CONTEXT = 'tokens:session-id';
const PLAINTEXT = JSON.stringify({ accessToken: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln', refreshToken: '令牌-refresh' });

describe('tokenCipher', () => {
  it('opens what it sealed, with a fresh IV every time, in a versioned hex envelope', () => {
    const cipher = tokenCipher([NEW]);
    const a = cipher.seal(CONTEXT, PLAINTEXT);
    const b = cipher.seal(CONTEXT, PLAINTEXT);
    expect(a).toMatch(/^v1\.[0-9a-f]{24}\.[0-9a-f]+\.[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
    expect(cipher.open(CONTEXT, a)).toBe(PLAINTEXT);
    expect(cipher.open(CONTEXT, b)).toBe(PLAINTEXT);
  });

  it('is AES-256-GCM under HKDF-SHA256(secret, info), the record name as associated data: checked with WebCrypto', async () => {
    const sealed = tokenCipher([NEW]).seal(CONTEXT, PLAINTEXT);
    const [, iv, data, tag] = sealed.split('.') as [string, string, string, string];
    const secret = await webcrypto.subtle.importKey('raw', Buffer.from(NEW), 'HKDF', false, ['deriveKey']);
    const key = await webcrypto.subtle.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: Buffer.from('lzc-oidc tokens at rest: AES-256-GCM v1') },
      secret,
      { name: 'AES-GCM', length: 256 },
      false,
      ['decrypt'],
    );
    const plaintext = await webcrypto.subtle.decrypt(
      { name: 'AES-GCM', iv: Buffer.from(iv, 'hex'), additionalData: Buffer.from(CONTEXT), tagLength: 128 },
      key,
      Buffer.concat([Buffer.from(data, 'hex'), Buffer.from(tag, 'hex')]),
    );
    expect(Buffer.from(plaintext).toString('utf8')).toBe(PLAINTEXT);
  });

  it('rotates: the newest secret seals, every listed one opens, a dropped one no longer does', () => {
    const sealedByOld = tokenCipher([OLD]).seal(CONTEXT, PLAINTEXT);
    const rotated = tokenCipher([NEW, OLD]);
    expect(rotated.open(CONTEXT, sealedByOld)).toBe(PLAINTEXT);
    const sealedByRotated = rotated.seal(CONTEXT, PLAINTEXT);
    expect(tokenCipher([NEW]).open(CONTEXT, sealedByRotated)).toBe(PLAINTEXT);
    expect(tokenCipher([OLD]).open(CONTEXT, sealedByRotated)).toBeUndefined();
    expect(tokenCipher([NEW]).open(CONTEXT, sealedByOld)).toBeUndefined();
  });

  it('does not open a sealed value altered, moved to another record, or in an unknown format', () => {
    const cipher = tokenCipher([NEW]);
    const sealed = cipher.seal(CONTEXT, PLAINTEXT);
    const [version, iv, data, tag] = sealed.split('.') as [string, string, string, string];
    const flip = (hex: string) => (hex.startsWith('0') ? '1' : '0') + hex.slice(1);
    expect(cipher.open('tokens:another-session', sealed)).toBeUndefined();
    for (const altered of [
      [version, flip(iv), data, tag],
      [version, iv, flip(data), tag],
      [version, iv, data, flip(tag)],
      ['v2', iv, data, tag],
      [version, iv, data],
      [version, iv, data, tag, tag],
      [version, iv, data, tag.slice(2)],
      [version, iv, `${data}zz`, tag],
    ]) {
      expect(cipher.open(CONTEXT, altered.join('.'))).toBeUndefined();
    }
    expect(cipher.open(CONTEXT, '')).toBeUndefined();
    expect(cipher.open(CONTEXT, PLAINTEXT)).toBeUndefined();
  });

  it('needs a secret', () => {
    expect(() => tokenCipher([])).toThrow('a sealer needs at least one secret');
  });
});
