// runDoctor against real providers whose discovery document (or the user's redirect URI) is wrong in one way
// the other doctor tests leave out: PKCE, endpoint hosts, an unreachable JWKS, the redirect URI's path and
// scheme; and the informational sign-out / revocation / refresh verdicts of each provider profile.
import { describe, expect, it } from 'vitest';
import type { ProviderMiddleware } from '../../devprovider/providerApp.ts';
import { runDoctor } from '../../src/doctor/run.ts';
import { freePort } from '../fixtures/app.ts';
import type { ProviderProfile } from '../fixtures/provider.ts';
import { check, fails, goodEnv, outputs, withProvider } from './findings.ts';
import { editDiscovery } from '../fixtures/discovery.ts';

describe('PKCE', () => {
  it.each([
    ['certified', 'pkce.unadvertised.fix'],
    ['casdoor', 'pkce.unadvertised.casdoorFix'],
  ] as const)("not advertised (%s): a warning, with the profile's fix", async (profile, fixKey) => {
    const middleware = editDiscovery((doc) => delete doc.code_challenge_methods_supported);
    await withProvider(profile, { middleware: [middleware] }, async (provider) => {
      const env = goodEnv(provider);
      const findings = await runDoctor(env);
      expect(fails(findings)).toEqual([]);
      expect(check(findings, 'pkce')).toMatchObject({ status: 'warn', message: { key: 'pkce.unadvertised' }, fix: { key: fixKey } });
      expect(outputs(findings, env).en).toContain('does not list code_challenge_methods_supported; the app still sends S256');
    });
  });

  it('advertised without S256: fails, naming what is offered', async () => {
    const middleware = editDiscovery((doc) => {
      doc.code_challenge_methods_supported = ['plain'];
    });
    await withProvider('certified', { middleware: [middleware] }, async (provider) => {
      const env = goodEnv(provider);
      const findings = await runDoctor(env);
      expect(fails(findings)).toEqual(['pkce']);
      expect(check(findings, 'pkce')).toMatchObject({
        message: { key: 'pkce.noS256', vars: { methods: 'plain' } },
        fix: { key: 'pkce.noS256.fix' },
      });
      expect(outputs(findings, env).en).toMatch(/✘ PKCE\s+The provider lists only plain for PKCE, not S256/);
    });
  });
});

describe('endpoints on another host than the issuer', () => {
  it.each([
    ['certified', 'endpoints.otherHost.fix'],
    ['casdoor', 'endpoints.otherHost.casdoorFix'],
  ] as const)("%s: a warning listing each one, with the profile's fix", async (profile, fixKey) => {
    // Same port, other host name: "localhost" is not the issuer's 127.0.0.1 to a browser or a cookie.
    let elsewhere: string[] = [];
    const middleware = editDiscovery((doc) => {
      const moved = ['userinfo_endpoint', 'end_session_endpoint'].filter((name) => typeof doc[name] === 'string');
      for (const name of moved) doc[name] = (doc[name] as string).replace('//127.0.0.1:', '//localhost:');
      elsewhere = moved.map((name) => `${name}=${doc[name] as string}`);
    });
    await withProvider(profile, { middleware: [middleware] }, async (provider) => {
      const findings = await runDoctor(goodEnv(provider));
      expect(fails(findings)).toEqual([]);
      expect(elsewhere).toHaveLength(2);
      expect(check(findings, 'endpoints')).toMatchObject({
        status: 'warn',
        message: { key: 'endpoints.otherHost', vars: { host: new URL(provider.issuer).host, list: elsewhere.join(', ') } },
        fix: { key: fixKey },
      });
    });
  });
});

describe('JWKS unreachable', () => {
  it('nothing listens at jwks_uri: fails as connection refused, pointing at OIDC_JWKS_URI', async () => {
    const port = await freePort();
    const jwksUri = `http://127.0.0.1:${port}/jwks`;
    const middleware = editDiscovery((doc) => {
      doc.jwks_uri = jwksUri;
    });
    await withProvider('certified', { middleware: [middleware] }, async (provider) => {
      const env = goodEnv(provider);
      const findings = await runDoctor(env);
      expect(fails(findings)).toEqual(['jwks']);
      expect(check(findings, 'jwks')).toMatchObject({
        message: { key: 'net.refused', vars: { url: jwksUri } },
        fix: { key: 'fix.net.refused', vars: { variable: 'OIDC_JWKS_URI' } },
      });
      expect(outputs(findings, env).en).toContain(`Connection refused by 127.0.0.1:${port} (${jwksUri})`);
    });
  });

  it('jwks_uri answers HTTP 500 with a page: fails as no key set', async () => {
    const broken: ProviderMiddleware = async (ctx, next) => {
      if (ctx.path !== '/.well-known/jwks') return next();
      ctx.status = 500;
      ctx.body = '<html>Internal Server Error</html>';
    };
    await withProvider('casdoor', { middleware: [broken] }, async (provider) => {
      const findings = await runDoctor(goodEnv(provider));
      expect(fails(findings)).toEqual(['jwks']);
      expect(check(findings, 'jwks')).toMatchObject({
        message: { key: 'jwks.invalid', vars: { status: '500' } },
        fix: { key: 'jwks.fix' },
      });
    });
  });
});

describe('redirect URI', () => {
  it.each([
    ['a path other than /callback', 'http://127.0.0.1:3000/auth/callback', 'redirect.path', 'http://127.0.0.1:3000/callback'],
    ['a query after /callback', 'http://127.0.0.1:3000/callback?next=1', 'redirect.path', 'http://127.0.0.1:3000/callback'],
    ['plain http on a non-loopback host', 'http://app.example.com/callback', 'redirect.http', 'https://app.example.com/callback'],
  ])('%s: fails with the URI to use', async (_name, uri, key, suggested) => {
    await withProvider('certified', {}, async (provider) => {
      const env = goodEnv(provider, { OIDC_REDIRECT_URI: uri });
      const findings = await runDoctor(env);
      expect(fails(findings)).toEqual(['redirect']);
      expect(check(findings, 'redirect')).toMatchObject({ message: { key, vars: { uri } }, fix: { vars: { suggested } } });
      expect(outputs(findings, env).en).toContain(suggested);
    });
  });
});

describe('sign-out, revocation and refresh verdicts', () => {
  type Verdict = [status: string, key: string, fix?: string];
  const EXPECTED: Array<[ProviderProfile, Record<'logout' | 'revocation' | 'refresh', Verdict>, string]> = [
    [
      'certified',
      { logout: ['ok', 'logout.ok'], revocation: ['ok', 'revocation.ok'], refresh: ['ok', 'refresh.ok'] },
      'sign-out also ends the session at the provider',
    ],
    // Lazycat's Dex: no end-session endpoint, so sign-out is local only, and that is expected there.
    [
      'dex',
      { logout: ['warn', 'logout.none', 'logout.none.dexFix'], revocation: ['ok', 'revocation.none'], refresh: ['ok', 'refresh.dex'] },
      'sign-out is local only',
    ],
    [
      'casdoor',
      { logout: ['ok', 'logout.ok'], revocation: ['ok', 'revocation.casdoor'], refresh: ['ok', 'refresh.casdoor'] },
      'its /api/logout expires the token',
    ],
  ];

  it.each(EXPECTED)('%s', async (profile, expected, phrase) => {
    await withProvider(profile, {}, async (provider) => {
      const env = goodEnv(provider, { OIDC_SCOPES: 'openid profile offline_access' });
      const findings = await runDoctor(env);
      const verdicts = Object.fromEntries(
        (['logout', 'revocation', 'refresh'] as const).map((id) => {
          const f = check(findings, id);
          return [id, [f.status, f.message.key, ...(f.fix ? [f.fix.key] : [])]];
        }),
      );
      expect(verdicts).toEqual(expected);
      expect(outputs(findings, env).en).toContain(phrase);
    });
  });

  it('generic provider: refresh warns without offline_access requested, and without the refresh_token grant', async () => {
    await withProvider('certified', {}, async (provider) => {
      const findings = await runDoctor(goodEnv(provider, { OIDC_SCOPES: 'openid profile' }));
      expect(check(findings, 'refresh')).toMatchObject({
        status: 'warn',
        message: { key: 'refresh.offline' },
        fix: { vars: { scopes: 'openid profile offline_access' } },
      });
    });
    const middleware = editDiscovery((doc) => {
      doc.grant_types_supported = ['authorization_code'];
      delete doc.end_session_endpoint;
      delete doc.revocation_endpoint;
    });
    await withProvider('certified', { middleware: [middleware] }, async (provider) => {
      const findings = await runDoctor(goodEnv(provider, { OIDC_SCOPES: 'openid profile offline_access' }));
      expect(check(findings, 'refresh')).toMatchObject({ status: 'warn', message: { key: 'refresh.none' } });
      expect(check(findings, 'logout')).toMatchObject({ status: 'warn', message: { key: 'logout.none' }, fix: { key: 'logout.none.fix' } });
      expect(check(findings, 'revocation')).toMatchObject({ status: 'ok', message: { key: 'revocation.none' } });
    });
  });
});
