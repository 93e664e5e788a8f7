// Claim shapes as the providers send them (docs/providers.md): Lazycat's Dex, Casdoor's default "JWT" token
// format and its userinfo, and a certified provider (oidc-provider).
import { describe, expect, it } from 'vitest';
import type { JWTPayload } from 'jose';
import { toSessionUser } from '../../src/oidc/sessionUser.ts';

const NOW = 1_790_000_000_000;
const iat = NOW / 1000;
const registered = { aud: 'app', azp: 'app', exp: iat + 3600, iat, nbf: iat, jti: 'j1', nonce: 'n1', at_hash: 'ah', c_hash: 'ch' };

const dex: JWTPayload = {
  ...registered,
  iss: 'https://box.heiyu.space/sys/oauth',
  sub: 'CgVhZG1pbhIHaHBvcnRhbA',
  email: 'admin',
  email_verified: true,
  groups: ['ADMIN'],
  name: 'admin',
  preferred_username: 'admin',
};

const casdoor: JWTPayload = {
  ...registered,
  aud: ['casdoor-client'],
  iss: 'http://localhost:8000',
  sub: '0f0e8a36-7c4e-4f7b-9d6b-1a2b3c4d5e6f',
  owner: 'built-in',
  name: 'alice',
  displayName: 'Alice Liddell',
  avatar: 'https://cdn.casbin.org/img/casbin.svg',
  email: 'alice@example.com',
  groups: ['built-in/admins'],
  roles: [{ owner: 'built-in', name: 'reader', users: ['built-in/alice'] }],
  properties: { oauth_GitHub_id: '1' },
  isAdmin: true,
  tokenType: 'access-token',
  passwordSalt: '',
  totpSecret: 'JBSWY3DPEHPK3PXP',
  recoveryCodes: ['r1', 'r2'],
  password: '',
};

const certified: JWTPayload = {
  ...registered,
  iss: 'https://idp.example',
  sub: 'user-42',
  sid: 'provider-session-7',
  name: 'Bob Builder',
  preferred_username: 'bob',
  email: 'bob@example.com',
  picture: 'https://idp.example/avatars/bob.png',
  locale: 'en-GB',
};

describe('toSessionUser', () => {
  it('Dex (Lazycat): opaque sub, the user id as name and email, ADMIN in groups, no picture or sid', () => {
    const user = toSessionUser(dex, undefined, NOW);
    expect(user).toMatchObject({
      sub: 'CgVhZG1pbhIHaHBvcnRhbA',
      issuer: 'https://box.heiyu.space/sys/oauth',
      name: 'admin',
      preferred_username: 'admin',
      email: 'admin',
      groups: ['ADMIN'],
      signedInAt: NOW,
    });
    expect(user).not.toHaveProperty('picture');
    expect(user).not.toHaveProperty('sid');
    expect(user.claims).toMatchObject({ email_verified: true, groups: ['ADMIN'] });
  });

  it("Casdoor's JWT format: displayName is the name, name the username, avatar the picture; internals hidden", () => {
    const user = toSessionUser(casdoor, undefined, NOW);
    expect(user).toMatchObject({
      name: 'Alice Liddell',
      preferred_username: 'alice',
      picture: 'https://cdn.casbin.org/img/casbin.svg',
      groups: ['built-in/admins'],
    });
    for (const hidden of ['tokenType', 'passwordSalt', 'totpSecret', 'recoveryCodes', 'password', 'aud', 'azp']) {
      expect(user.claims).not.toHaveProperty(hidden);
    }
    // Objects (roles, properties) are not display material; scalars are.
    expect(user.claims).not.toHaveProperty('roles');
    expect(user.claims).not.toHaveProperty('properties');
    expect(user.claims).toMatchObject({ owner: 'built-in', isAdmin: true });
  });

  it("Casdoor's userinfo shape (preferred_username, picture) fills in what its JWT lacks", () => {
    const { displayName: _d, avatar: _a, ...jwtStandard } = casdoor;
    const userinfo = { sub: jwtStandard.sub, preferred_username: 'alice', picture: 'https://cdn.casbin.org/a.png' };
    const user = toSessionUser({ ...jwtStandard, name: 'Alice Liddell' }, userinfo, NOW);
    expect(user).toMatchObject({ name: 'Alice Liddell', preferred_username: 'alice', picture: 'https://cdn.casbin.org/a.png' });
  });

  it('a certified provider: standard claims, the provider session id for back-channel logout', () => {
    const user = toSessionUser(certified, undefined, NOW);
    expect(user).toMatchObject({
      sub: 'user-42',
      issuer: 'https://idp.example',
      sid: 'provider-session-7',
      name: 'Bob Builder',
      preferred_username: 'bob',
      email: 'bob@example.com',
      picture: 'https://idp.example/avatars/bob.png',
      groups: [],
    });
    expect(user.claims.locale).toBe('en-GB');
  });

  it('userinfo adds and updates profile claims but never overrides iss, sub or aud', () => {
    const userinfo = { iss: 'https://evil.example', sub: 'mallory', aud: 'other-app', name: 'Robert', sid: 'forged' };
    const user = toSessionUser(certified, userinfo, NOW);
    expect(user.sub).toBe('user-42');
    expect(user.issuer).toBe('https://idp.example');
    expect(user.claims).toMatchObject({ iss: 'https://idp.example', sub: 'user-42', name: 'Robert' });
    expect(user.claims).not.toHaveProperty('aud');
    expect(user.name).toBe('Robert');
    // The back-channel logout id comes from the verified ID token only.
    expect(user.sid).toBe('provider-session-7');
  });

  it.each([
    ['strings', ['ADMIN', 'users'], ['ADMIN', 'users']],
    ['objects with a name', [{ name: 'ADMIN', id: 1 }, { id: 2 }, 'users'], ['ADMIN', 'users']],
    ['one string', 'ADMIN', ['ADMIN']],
    ['neither', { ADMIN: true }, []],
    ['missing', undefined, []],
  ])('groups as %s', (_shape, groups, expected) => {
    expect(toSessionUser({ ...dex, groups }, undefined, NOW).groups).toEqual(expected);
  });

  it('keeps at most 100 groups', () => {
    const groups = Array.from({ length: 150 }, (_, i) => `g${i}`);
    expect(toSessionUser({ ...dex, groups }, undefined, NOW).groups).toEqual(groups.slice(0, 100));
  });

  it.each([
    ['javascript:alert(1)', undefined],
    ['data:image/svg+xml;base64,PHN2Zz4=', undefined],
    ['//evil.example/x.png', undefined],
    ['ftp://host/x.png', undefined],
    ['http://idp.example/x.png', 'http://idp.example/x.png'],
    ['https://idp.example/x.png', 'https://idp.example/x.png'],
  ])('shows picture %s only when it is http(s)', (picture, shown) => {
    expect(toSessionUser({ ...certified, picture }, undefined, NOW).picture).toBe(shown);
    const { picture: _p, ...noPicture } = certified;
    expect(toSessionUser({ ...noPicture, avatar: picture }, undefined, NOW).picture).toBe(shown);
  });

  it('trims long values, long lists and many claims, and drops empty strings', () => {
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`c${String(i).padStart(2, '0')}`, i]));
    const list = Array.from({ length: 80 }, (_, i) => `v${i}`);
    const user = toSessionUser({ ...certified, name: 'x'.repeat(1000), list, empty: '', ...many }, undefined, NOW);
    expect(user.name).toHaveLength(256);
    expect(user.claims.name).toHaveLength(256);
    expect(user.claims.list).toHaveLength(50);
    expect(user.claims).not.toHaveProperty('empty');
    expect(Object.keys(user.claims)).toHaveLength(40);
    expect(user.claims).toHaveProperty('sub');
    expect(user.claims).not.toHaveProperty('c59');
  });

  it('hides registered JWT claims that mean nothing to a reader', () => {
    const user = toSessionUser(certified, undefined, NOW);
    for (const hidden of ['aud', 'azp', 'nonce', 'at_hash', 'c_hash', 'jti', 'nbf']) expect(user.claims).not.toHaveProperty(hidden);
    expect(user.claims).toMatchObject({ exp: iat + 3600, iat });
  });
});
