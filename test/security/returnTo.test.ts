import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isSafeReturnTo, safeReturnTo } from '../../src/security/returnTo.ts';

// The corpus stores control characters escaped so the file stays one payload a line.
const unescape = (line: string): string => line.replace(/\\n/g, '\n').replace(/\\r/g, '\r').replace(/\\t/g, '\t').replace(/\\0/g, '\0');
const corpus = readFileSync(new URL('./openredirects.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((l, i, all) => i < all.length - 1 || l !== '')
  .map(unescape);

describe('returnTo', () => {
  it.each([
    ['/', true],
    ['/profile', true],
    ['/profile?tab=groups#claims', true],
    ['/a/b/c', true],
    ['/%E4%BD%A0%E5%A5%BD', true],
    ['/search?q=a%20b', true],
    ['/path/with/./dot', false],
    ['/%E2%88%95evil.com', true],
    ['//redirect', false],
    ['/\\evil.com', false],
    ['/\t/evil.com', false],
    ['/./../../\\evil.com', false],
    ['http://foo.bar.evil.corp/redirect', false],
    ['https://localhost/x', false],
    ['/%2F%2Fevil.com', false],
    ['/%252F%252Fevil.com', false],
    ['%2F%2Fevil.com', false],
    ['javascript:alert(1)', false],
    [' /profile', false],
    ['/profile\n', false],
  ])('%j → %s', (value, safe) => {
    expect(isSafeReturnTo(value)).toBe(safe);
  });

  it(`rejects every payload of the open-redirect corpus (${corpus.length} lines)`, () => {
    expect(corpus.length).toBeGreaterThan(250);
    const accepted = corpus.filter((p) => isSafeReturnTo(p));
    expect(accepted).toEqual([]);
  });

  it('never resolves to another origin, whatever it accepts', () => {
    for (const p of corpus) expect(new URL(safeReturnTo(p), 'https://app.example').origin).toBe('https://app.example');
  });

  it('sends auth routes and non-strings back home', () => {
    expect(safeReturnTo('/login?returnTo=/x')).toBe('/');
    expect(safeReturnTo('/callback')).toBe('/');
    expect(safeReturnTo(['/a', '/b'])).toBe('/');
    expect(safeReturnTo(undefined)).toBe('/');
    expect(safeReturnTo('/profile')).toBe('/profile');
  });
});
