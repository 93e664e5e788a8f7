// runDoctor against the real in-process providers (certified, Lazycat's Dex, Casdoor), configured right and
// broken on purpose, one way at a time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderMiddleware } from '../../devprovider/providerApp.ts';
import { runDoctor } from '../../src/doctor/run.ts';
import { freePort } from '../fixtures/app.ts';
import { startProvider, type TestProvider } from '../fixtures/provider.ts';
import { check, fails, goodEnv, outputs, withProvider } from './findings.ts';
import { editDiscovery } from '../fixtures/discovery.ts';

describe.each(['certified', 'dex', 'casdoor'] as const)('%s provider', (profile) => {
  let provider: TestProvider;
  beforeAll(async () => {
    provider = await startProvider(profile);
  });
  afterAll(() => provider.close());

  it('configured correctly: every check passes or warns', async () => {
    const env = goodEnv(provider, { OIDC_SCOPES: 'openid profile email' });
    const findings = await runDoctor(env);
    expect(fails(findings)).toEqual([]);
    for (const id of [
      'config',
      'discovery',
      'issuer',
      'endpoints',
      'scopes',
      'pkce',
      'jwks',
      'credentials',
      'redirect',
      'clock',
    ] as const) {
      expect(check(findings, id).status, id).toBe('ok');
    }
    outputs(findings, env);
  });

  it('a wrong client id fails the credentials check', async () => {
    const env = goodEnv(provider, { LAZYCAT_AUTH_OIDC_CLIENT_ID: 'no-such-client' });
    const findings = await runDoctor(env);
    expect(fails(findings)).toEqual(['credentials']);
    expect(check(findings, 'credentials').message.key).toBe('credentials.rejected');
    expect(outputs(findings, env).en).toContain('Check LAZYCAT_AUTH_OIDC_CLIENT_ID and LAZYCAT_AUTH_OIDC_CLIENT_SECRET');
  });
});

describe.each(['certified', 'dex'] as const)('%s provider, wrong client secret', (profile) => {
  it('fails the credentials check without printing either secret', async () => {
    await withProvider(profile, {}, async (provider) => {
      const env = goodEnv(provider, { LAZYCAT_AUTH_OIDC_CLIENT_SECRET: 'wrong-secret-value-0123456789' });
      const findings = await runDoctor(env);
      expect(fails(findings)).toEqual(['credentials']);
      const { en } = outputs(findings, env);
      expect(en).not.toContain(provider.clientSecret);
      expect(en).toMatch(/✘ Client credentials\s+The provider rejected the client credentials \(HTTP 401 invalid_client/);
    });
  });
});

describe('Casdoor', () => {
  it('HTTP-200 {"status":"error"} from the token endpoint: the msg decides', async () => {
    await withProvider('casdoor', {}, async (provider) => {
      provider.controls.tokenStatusError = 'Invalid client_id';
      let findings = await runDoctor(goodEnv(provider));
      expect(check(findings, 'credentials')).toMatchObject({ status: 'fail', message: { key: 'credentials.casdoorStatus' } });
      provider.controls.tokenStatusError = 'database is locked';
      findings = await runDoctor(goodEnv(provider));
      expect(check(findings, 'credentials')).toMatchObject({ status: 'warn', fix: { key: 'credentials.casdoorStatus.fix' } });
    });
  });

  it('origin not set: a foreign issuer and the dev-mode :7001 authorization endpoint, both with Casdoor fixes', async () => {
    const middleware = editDiscovery((doc) => {
      doc.issuer = 'https://casdoor.lan';
      doc.authorization_endpoint = 'http://localhost:7001/login/oauth/authorize';
    });
    await withProvider('casdoor', { middleware: [middleware] }, async (provider) => {
      const env = goodEnv(provider);
      const findings = await runDoctor(env);
      expect(fails(findings)).toEqual(['issuer', 'endpoints']);
      expect(check(findings, 'issuer').fix?.key).toBe('issuer.casdoor.fix');
      expect(check(findings, 'endpoints').message.key).toBe('endpoints.devPort');
      const { en, zh } = outputs(findings, env);
      expect(en).toContain(
        `Set Casdoor's origin to the one URL that both the browser and this app use (e.g. docker run -e origin=${provider.issuer}`,
      );
      expect(en).toContain('https://casdoor.lan');
      expect(zh).toContain('请把 Casdoor 的 origin 设置为浏览器和本应用共同使用的那个地址');
    });
  });
});

describe('issuer spelling', () => {
  it('a trailing slash on a path issuer (Lazycat) is stripped by the app and flagged', async () => {
    await withProvider('dex', {}, async (provider) => {
      const findings = await runDoctor(goodEnv(provider, { LAZYCAT_AUTH_OIDC_ISSUER_URI: `${provider.issuer}/` }));
      expect(fails(findings)).toEqual([]);
      expect(check(findings, 'issuer')).toMatchObject({
        status: 'warn',
        fix: { key: 'issuer.trailingSlash.fix', vars: { issuer: provider.issuer } },
      });
    });
  });

  it('https configured for a provider that serves plain http: discovery fails with the http URL as the fix', async () => {
    await withProvider('dex', {}, async (provider) => {
      const https = provider.issuer.replace(/^http:/, 'https:');
      const findings = await runDoctor(goodEnv(provider, { LAZYCAT_AUTH_OIDC_ISSUER_URI: https }));
      expect(check(findings, 'discovery')).toMatchObject({
        status: 'fail',
        message: { key: 'net.tls' },
        fix: { key: 'fix.net.plainHttp', vars: { suggested: provider.issuer } },
      });
      expect(check(findings, 'issuer').status).toBe('skip');
    });
  });

  it('http configured while the provider calls itself https: the issuer check names both', async () => {
    const port = await freePort();
    const issuer = `https://127.0.0.1:${port}`;
    await withProvider('certified', { options: { issuer } }, async (provider) => {
      const configured = `http://127.0.0.1:${port}`;
      const findings = await runDoctor(goodEnv(provider, { LAZYCAT_AUTH_OIDC_ISSUER_URI: configured }));
      expect(check(findings, 'issuer')).toMatchObject({
        status: 'fail',
        message: { key: 'issuer.scheme', vars: { configured, discovered: issuer } },
      });
    });
  });
});

describe('provider and environment problems', () => {
  it('provider down: discovery fails as connection refused, the provider checks are skipped', async () => {
    const provider = await startProvider('certified');
    await provider.close();
    const findings = await runDoctor(goodEnv(provider));
    expect(check(findings, 'discovery')).toMatchObject({
      status: 'fail',
      message: { key: 'net.refused' },
      fix: { key: 'fix.net.refused' },
    });
    expect(check(findings, 'jwks').status).toBe('skip');
  });

  it('non-200 discovery (issuer set to a wrong path)', async () => {
    await withProvider('dex', {}, async (provider) => {
      const findings = await runDoctor(goodEnv(provider, { LAZYCAT_AUTH_OIDC_ISSUER_URI: provider.url('/sys') }));
      expect(check(findings, 'discovery')).toMatchObject({
        status: 'fail',
        message: { key: 'discovery.status' },
        fix: { key: 'fix.discovery.issuer' },
      });
    });
  });

  it('scope phone on Dex: warned, with the OIDC_SCOPES the app actually sends', async () => {
    await withProvider('dex', {}, async (provider) => {
      const findings = await runDoctor(goodEnv(provider, { OIDC_SCOPES: 'openid profile phone groups' }));
      expect(fails(findings)).toEqual([]);
      expect(check(findings, 'scopes')).toMatchObject({
        status: 'warn',
        message: { key: 'scopes.dex', vars: { dropped: 'phone' } },
        fix: { vars: { scopes: 'openid profile groups' } },
      });
    });
  });

  it('missing variables: one failure listing each problem', async () => {
    const findings = await runDoctor({ NODE_ENV: 'production' });
    expect(findings).toHaveLength(1);
    const { en } = outputs(findings, {});
    for (const v of ['LAZYCAT_AUTH_OIDC_ISSUER_URI', 'LAZYCAT_AUTH_OIDC_CLIENT_ID', 'LAZYCAT_APP_DOMAIN', 'SESSION_SECRET'])
      expect(en).toContain(v);
    expect(en).toMatch(/^✘ Configuration\s+4 configuration problem/m);
  });

  it('redirect URI not the one Lazycat registers for LAZYCAT_APP_DOMAIN', async () => {
    await withProvider('dex', {}, async (provider) => {
      const findings = await runDoctor(goodEnv(provider, { LAZYCAT_APP_DOMAIN: 'app.box.heiyu.space' }));
      expect(check(findings, 'redirect')).toMatchObject({
        status: 'fail',
        fix: { key: 'redirect.domain.fix', vars: { expected: 'https://app.box.heiyu.space/callback' } },
      });
    });
  });

  it('clock skew beyond the tolerance fails; no usable signing key fails', async () => {
    const skewed: ProviderMiddleware = async (ctx, next) => {
      await next();
      ctx.set('date', new Date(Date.now() - 5 * 60_000).toUTCString());
      // Paths inside the provider are relative to the issuer's path.
      if (ctx.path === '/keys') ctx.body = { keys: [{ kty: 'RSA', use: 'enc', kid: 'enc-only', n: 'AQAB', e: 'AQAB' }] };
    };
    await withProvider('dex', { middleware: [skewed] }, async (provider) => {
      const findings = await runDoctor(goodEnv(provider, { OIDC_CLOCK_TOLERANCE: '60' }));
      expect(check(findings, 'clock')).toMatchObject({ status: 'fail', message: { key: 'clock.fail' } });
      expect(Number(check(findings, 'clock').message.vars?.skew)).toBeGreaterThanOrEqual(298);
      expect(check(findings, 'jwks')).toMatchObject({ status: 'fail', message: { key: 'jwks.noKeys' } });
    });
  });
});

describe('a token endpoint that does not URL-decode Basic credentials', () => {
  const client = { clientId: 'cloud.lazycat.app.lzc-oidc' };

  it.each(['invalid_client', 'unauthorized_client'] as const)(
    'auto mode (%s): a warning that explains it and says the app copes',
    async (refusal) => {
      await withProvider('certified', { client, rawBasicClientId: refusal }, async (provider) => {
        const env = goodEnv(provider);
        const findings = await runDoctor(env);
        expect(fails(findings)).toEqual([]);
        expect(check(findings, 'credentials')).toMatchObject({
          status: 'warn',
          message: { key: 'credentials.basicUndecoded', vars: { clientId: client.clientId, error: refusal } },
          fix: { key: 'credentials.basicUndecoded.autoFix' },
        });
        const { en, zh } = outputs(findings, env);
        expect(en).toContain('it does not URL-decode Basic credentials (RFC 6749 §2.3.1)');
        expect(en).toContain('Set OIDC_CLIENT_AUTH=client_secret_post to skip the refused first attempt');
        expect(zh).toContain('它没有对 Basic 凭据做 URL 解码（RFC 6749 §2.3.1）');
        const basicThenPost = provider.events.token.map((t) => `${t.clientAuth} ${t.status}`);
        expect(basicThenPost).toEqual([`client_secret_basic ${refusal === 'invalid_client' ? 401 : 400}`, 'client_secret_post 400']);
      });
    },
  );

  it('OIDC_CLIENT_AUTH=client_secret_basic: a failure whose fix is client_secret_post', async () => {
    await withProvider('certified', { client, rawBasicClientId: 'invalid_client' }, async (provider) => {
      const findings = await runDoctor(goodEnv(provider, { OIDC_CLIENT_AUTH: 'client_secret_basic' }));
      expect(fails(findings)).toEqual(['credentials']);
      expect(check(findings, 'credentials')).toMatchObject({
        message: { key: 'credentials.basicUndecoded' },
        fix: { key: 'credentials.basicUndecoded.fix' },
      });
    });
  });

  it('a wrong secret is still just rejected credentials, whichever way it is sent', async () => {
    await withProvider('certified', { client, rawBasicClientId: 'invalid_client' }, async (provider) => {
      const findings = await runDoctor(goodEnv(provider, { LAZYCAT_AUTH_OIDC_CLIENT_SECRET: 'wrong-secret-value-0123456789' }));
      expect(check(findings, 'credentials')).toMatchObject({ status: 'fail', message: { key: 'credentials.rejected' } });
    });
  });
});
