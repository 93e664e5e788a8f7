import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.ts';
import { ROOT, buildLpk, execRoute, manifestEnv, unpackLpk, type UnpackedLpk } from './lpk.ts';
import { startProvider, type TestProvider } from '../fixtures/provider.ts';
import { loginAtProvider, ProviderBrowser } from '../fixtures/providerLogin.ts';
import { freePort } from '../fixtures/app.ts';
import { selfSignedCert, trustCertificate } from '../fixtures/tls.ts';
import { renderManifestEnv, snapshotTree, startPackagedApp, startTlsProxy, type RunningApp, type TlsProxy } from './lazycatBox.ts';
import { productionPackageDirs } from './nativeAddons.ts';

/**
 * Every OIDC variable Lazycat documents (its developer docs, lazycatapps/lzc-developer-doc: docs/advanced-envs.md);
 * each exists only if mapped.
 */
const LAZYCAT_OIDC_VARS = [
  'LAZYCAT_AUTH_OIDC_CLIENT_ID',
  'LAZYCAT_AUTH_OIDC_CLIENT_SECRET',
  'LAZYCAT_AUTH_OIDC_ISSUER_URI',
  'LAZYCAT_AUTH_OIDC_AUTH_URI',
  'LAZYCAT_AUTH_OIDC_TOKEN_URI',
  'LAZYCAT_AUTH_OIDC_USERINFO_URI',
];
/** Read by the app as a fallback but never injected by current lzcos. */
const LEGACY_ONLY = new Set(['LAZYCAT_AUTH_OIDC_ISSUER_URL']);
const PACKAGE_RE = /^[a-z][a-z0-9]*([-][a-z0-9]+)*(?:\.[a-z][a-z0-9]*([-][a-z0-9]+)*)*$/;

const pkgJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

let workDir: string;
let lpk: UnpackedLpk;

beforeAll(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lzc-lpk-'));
  lpk = unpackLpk(buildLpk(workDir), workDir);
}, 300_000);
afterAll(() => {
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

/** The path the app itself registers as its callback, from its own config loader. */
function appCallbackPath(): string {
  const config = loadConfig({
    NODE_ENV: 'production',
    LAZYCAT_APP_DOMAIN: 'app.box.heiyu.space',
    LAZYCAT_BOX_DOMAIN: 'box.heiyu.space',
    LAZYCAT_AUTH_OIDC_ISSUER_URI: 'https://box.heiyu.space/sys/oauth',
    LAZYCAT_AUTH_OIDC_CLIENT_ID: 'cloud.lazycat.app.lzc-oidc',
    LAZYCAT_AUTH_OIDC_CLIENT_SECRET: 'secret',
    SESSION_SECRET: 'x'.repeat(32),
  });
  return new URL(config.oidc.redirectUri).pathname;
}

describe('lpk', () => {
  it('is an LPK v1 zip with manifest.yml, content.tar and icon.png', () => {
    expect(lpk.members).toEqual(expect.arrayContaining(['manifest.yml', 'content.tar', 'icon.png']));
    expect(fs.statSync(lpk.lpkPath).size).toBeLessThan(20 * 1024 * 1024);
  });

  it('names a valid package, the package.json version and a subdomain', () => {
    expect(lpk.manifest.package).toMatch(PACKAGE_RE);
    expect(String(lpk.manifest.version)).toBe(pkgJson.version);
    expect(lpk.manifest.application.subdomain).toBeTruthy();
  });

  it('keeps the metadata of lzc-manifest.yml, aliases resolved (lzc-cli re-dumps it)', () => {
    const committed = parse(fs.readFileSync(path.join(ROOT, 'lzc-manifest.yml'), 'utf8')) as Record<string, unknown>;
    const packaged = lpk.manifest as unknown as Record<string, unknown>;
    for (const key of ['name', 'description', 'author', 'license', 'min_os_version', 'usage', 'locales']) {
      expect(packaged[key], key).toEqual(committed[key]);
    }
    expect(lpk.manifest.locales?.en?.usage).toBeTruthy();
  });

  it('registers the app callback route as oidc_redirect_path', () => {
    expect(lpk.manifest.application.oidc_redirect_path).toBe('/callback');
    expect(lpk.manifest.application.oidc_redirect_path).toBe(appCallbackPath());
  });

  it('maps every Lazycat OIDC variable, and every LAZYCAT_* name the app reads, from the deploy-time value', () => {
    const env = manifestEnv(lpk.manifest);
    const readByApp = new Set<string>();
    for (const file of fs.readdirSync(path.join(lpk.contentDir, 'dist'), { recursive: true, encoding: 'utf8' })) {
      if (!/\.m?js$/.test(file)) continue;
      for (const m of fs.readFileSync(path.join(lpk.contentDir, 'dist', file), 'utf8').matchAll(/\bLAZYCAT_[A-Z_]+[A-Z]\b/g))
        readByApp.add(m[0]);
    }
    for (const name of new Set([...LAZYCAT_OIDC_VARS, 'LAZYCAT_APP_DOMAIN', 'LAZYCAT_BOX_DOMAIN', ...readByApp])) {
      if (LEGACY_ONLY.has(name)) continue;
      expect(env.get(name), name).toBe(`\${${name}}`);
    }
  });

  it('runs in production with persistent data and a stable session secret', () => {
    const env = manifestEnv(lpk.manifest);
    expect(env.get('NODE_ENV')).toBe('production');
    expect(env.get('DATA_DIR')).toBe('/lzcapp/var');
    // Rendered on the box per box and app; a literal secret would ship in the package.
    expect(env.get('SESSION_SECRET')).toMatch(/^\{\{ stable_secret "[\w.-]+" \}\}$/);
  });

  it('starts the server from the content dir on a Node 24 image, keeping every path', () => {
    const route = execRoute(lpk.manifest);
    // `/=` strips nothing, so /login and /callback reach the app unchanged.
    expect(route.location).toBe('/');
    expect(route.launcher.startsWith('/lzcapp/pkg/content/')).toBe(true);
    const launcher = path.join(lpk.contentDir, path.relative('/lzcapp/pkg/content', route.launcher));
    expect(fs.statSync(launcher).mode & 0o111).not.toBe(0);
    // The bundled app with V8's heap kept near what is live (its memory under a burst of requests), and as
    // npm's start:production starts it.
    const exec = /^exec node (.*)$/m.exec(fs.readFileSync(launcher, 'utf8'))?.[1];
    expect(exec).toBe('--max-semi-space-size=8 --heap-growing-percent=30 dist/lzcapp/server.mjs');
    expect(pkgJson.scripts['start:production']).toContain(`node ${exec}`);
    expect(Number(manifestEnv(lpk.manifest).get('PORT'))).toBe(route.port);
    // The committed image pinned by digest (manifest.test.ts), or a store copy from LZC_APP_IMAGE.
    expect(lpk.manifest.application.image).toMatch(/^node:24\.\d+\.\d+-alpine[\d.]+@sha256:[0-9a-f]{64}$|^registry\.lazycat\.cloud\//);
  });

  it('health-checks liveness (/healthz) on the app port, not readiness', () => {
    const url = new URL(lpk.manifest.application.health_check?.test_url ?? '');
    expect(url.pathname).toBe('/healthz');
    expect(url.hostname).toBe('127.0.0.1');
    expect(Number(url.port)).toBe(execRoute(lpk.manifest).port);
  });

  it('ships the bundled app, views and public files, and no node_modules, TypeScript sources, tests or dev provider', () => {
    expect(lpk.contentEntries).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'run.sh',
        'dist/lzcapp/server.mjs',
        'dist/lzcapp/THIRD-PARTY-LICENSES.txt',
        'views/profile.ejs',
        'public/app.css',
      ]),
    );
    const unexpected = lpk.contentEntries.filter(
      (e) =>
        e.startsWith('node_modules/') ||
        e.startsWith('src/') ||
        e.startsWith('devprovider/') ||
        e.startsWith('test/') ||
        e.endsWith('.ts') ||
        e.endsWith('.node'),
    );
    expect(unexpected).toEqual([]);
  });

  it('bundles every production dependency with its license, and no devDependency', () => {
    const notices = fs.readFileSync(path.join(lpk.contentDir, 'dist', 'lzcapp', 'THIRD-PARTY-LICENSES.txt'), 'utf8');
    const bundled = new Set([...notices.matchAll(/^((?:@[^/\s]+\/)?[^@\s]+)@\d\S* \(/gm)].map((m) => m[1]!));
    for (const dep of Object.keys(pkgJson.dependencies)) expect(bundled.has(dep), dep).toBe(true);
    // Any devDependency may ship only as a transitive production dependency.
    const prodNames = new Set(productionPackageDirs(ROOT).map((dir) => path.relative(path.join(ROOT, 'node_modules'), dir)));
    expect(Object.keys(pkgJson.devDependencies).filter((dev) => bundled.has(dev) && !prodNames.has(dev))).toEqual([]);
    // pino-pretty is loaded only where it is installed (a development run): the box's logs are JSON.
    for (const dev of ['vitest', 'oidc-provider', 'typescript', 'pino-pretty']) expect(bundled.has(dev), dev).toBe(false);
    // Each with its license text and copyright notice, not only its name (MIT asks for both in every copy).
    const entries = notices.split(`\n${'-'.repeat(78)}\n`);
    expect(entries).toHaveLength([...notices.matchAll(/^\S+@\d\S* \(/gm)].length);
    expect(entries.filter((entry) => !/copyright/i.test(entry)).map((entry) => entry.trim().split('\n')[0])).toEqual([]);
    expect(notices).toContain('Apache License');
  });
});

/**
 * The unpacked content.tar run the way a box runs it: the manifest's launcher and rendered
 * environment, behind TLS with X-Forwarded-Proto: https, in front of a Dex-like provider
 * that knows the app only by its exact https redirect URI.
 */
describe('the unpacked app on a Lazycat-like box', () => {
  const creds = { username: 'admin', password: 'admin-password' };
  let boxDir: string;
  let proxy: TlsProxy;
  let provider: TestProvider | undefined;
  let app: RunningApp | undefined;
  let appPort: number;
  let contentBefore: Map<string, string>;

  beforeAll(async () => {
    contentBefore = snapshotTree(lpk.contentDir);
    boxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lzc-box-'));
    const tlsFiles = selfSignedCert(boxDir);
    trustCertificate(tlsFiles.cert);
    appPort = await freePort();
    proxy = await startTlsProxy(tlsFiles, appPort);
    provider = await startDex(randomBytes(20).toString('hex'));
    app = await startBoxApp(provider);
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    await provider?.close();
    await proxy?.close();
    if (boxDir) fs.rmSync(boxDir, { recursive: true, force: true });
  });

  /** lzcos registers exactly https://${LAZYCAT_APP_DOMAIN}${oidc_redirect_path}, with a fresh secret per app start. */
  const startDex = (clientSecret: string, issuer?: string) =>
    startProvider('dex', {
      client: {
        clientId: lpk.manifest.package,
        clientSecret,
        redirectUris: [`${proxy.origin}${lpk.manifest.application.oidc_redirect_path}`],
        anyLoopbackPort: false,
      },
      ...(issuer && { options: { issuer } }),
    });

  /** What lzcinit does on a (re)start: render the manifest's environment and run its exec:// launcher. */
  async function startBoxApp(dex: TestProvider): Promise<RunningApp> {
    const discovery = (await (await fetch(`${dex.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
    return launchBoxApp(
      {
        LAZYCAT_AUTH_OIDC_CLIENT_ID: dex.clientId,
        LAZYCAT_AUTH_OIDC_CLIENT_SECRET: dex.clientSecret,
        LAZYCAT_AUTH_OIDC_ISSUER_URI: dex.issuer,
        LAZYCAT_AUTH_OIDC_AUTH_URI: discovery.authorization_endpoint!,
        LAZYCAT_AUTH_OIDC_TOKEN_URI: discovery.token_endpoint!,
        LAZYCAT_AUTH_OIDC_USERINFO_URI: discovery.userinfo_endpoint!,
      },
      // Sign-ins follow at once, so wait until discovery is done too.
      `${proxy.origin}/readyz`,
    );
  }

  function launchBoxApp(oidcValues: Record<string, string>, readyUrl: string): Promise<RunningApp> {
    const deployValues = { LAZYCAT_APP_DOMAIN: `127.0.0.1:${proxy.port}`, LAZYCAT_BOX_DOMAIN: '127.0.0.1', ...oidcValues };
    const env = renderManifestEnv(lpk.manifest, deployValues, (seed) => `stable-secret-of-this-box-for-${seed}`);
    return startPackagedApp({
      manifest: lpk.manifest,
      contentDir: lpk.contentDir,
      // The box's port and persistent dir are fixed; here they are free ones on this machine.
      env: { ...env, PORT: String(appPort), DATA_DIR: path.join(boxDir, 'var') },
      readyUrl,
    });
  }

  /** The manifest's health_check.test_url, on the port this test box gives the app. */
  function boxHealthCheckUrl(): string {
    const url = new URL(lpk.manifest.application.health_check!.test_url!);
    url.port = String(appPort);
    return url.href;
  }

  /** /login → the provider's form → /callback, as one browser; returns the app's answer to the callback. */
  async function signIn(browser: ProviderBrowser): Promise<Response> {
    const login = await browser.request(`${proxy.origin}/login`);
    expect(login.status).toBe(303);
    const authorize = new URL(login.headers.get('location')!);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${proxy.origin}/callback`);
    const callback = await loginAtProvider(authorize.href, creds);
    expect(callback.startsWith(`${proxy.origin}/callback?`)).toBe(true);
    return browser.request(callback);
  }

  /**
   * A browser following a link. Not fetch: it always sends Sec-Fetch-Mode: cors, and the app
   * answers such callers with JSON instead of a page.
   */
  async function navigate(url: string, language: string): Promise<{ status: number; contentType: string; body: string }> {
    const req = https.get(url, { headers: { accept: 'text/html', 'accept-language': language, 'sec-fetch-mode': 'navigate' } });
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    let body = '';
    for await (const chunk of res) body += String(chunk);
    return { status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '', body };
  }

  async function profileOf(browser: ProviderBrowser): Promise<{ status: number; user?: { name?: string; groups: string[] } }> {
    const res = await browser.request(`${proxy.origin}/profile`);
    return { status: res.status, ...((await res.json()) as { user?: { name?: string; groups: string[] } }) };
  }

  it('signs in end to end over https, with a __Host- session cookie', async () => {
    const browser = new ProviderBrowser();
    const callback = await signIn(browser);
    expect(callback.status).toBe(303);
    expect(callback.headers.get('location')).toBe('/profile');
    expect(browser.names()).toContain('__Host-lzc-oidc.sid');
    const profile = await profileOf(browser);
    expect(profile.status).toBe(200);
    expect(profile.user).toMatchObject({ name: 'admin', groups: ['ADMIN'] });
  }, 60_000);

  it('keeps sessions and signs in again after a restart that rotates the client secret', async () => {
    const before = new ProviderBrowser();
    expect((await signIn(before)).status).toBe(303);

    // Container restart: lzcos registers a new secret for the same client id and redirect URI.
    await app!.stop();
    const issuer = provider!.issuer;
    const oldSecret = provider!.clientSecret;
    await provider!.close();
    provider = await startDex(randomBytes(20).toString('hex'), issuer);
    expect(provider.clientSecret).not.toBe(oldSecret);
    app = await startBoxApp(provider);

    // SQLite in DATA_DIR plus the stable_secret-signed cookie: the old session is still valid.
    expect((await profileOf(before)).status).toBe(200);
    // And a new sign-in redeems its code with the new secret.
    const after = new ProviderBrowser();
    expect((await signIn(after)).status).toBe(303);
    expect((await profileOf(after)).user).toMatchObject({ name: 'admin' });
  }, 90_000);

  it('passes the box health check while the box provider is down, so users reach our provider-unavailable page', async () => {
    await app!.stop();
    // Nothing listens on this port: the box's Dex is down when the app starts.
    const downIssuer = `http://127.0.0.1:${await freePort()}/sys/oauth`;
    // Resolves only once the manifest's test_url answers 200, as the box waits before it stops showing "app starting".
    app = await launchBoxApp(
      {
        LAZYCAT_AUTH_OIDC_CLIENT_ID: lpk.manifest.package,
        LAZYCAT_AUTH_OIDC_CLIENT_SECRET: randomBytes(20).toString('hex'),
        LAZYCAT_AUTH_OIDC_ISSUER_URI: downIssuer,
        LAZYCAT_AUTH_OIDC_AUTH_URI: `${downIssuer}/auth`,
        LAZYCAT_AUTH_OIDC_TOKEN_URI: `${downIssuer}/token`,
        LAZYCAT_AUTH_OIDC_USERINFO_URI: `${downIssuer}/userinfo`,
      },
      boxHealthCheckUrl(),
    );

    // Orchestrators still learn that the app cannot sign anyone in.
    const ready = await fetch(`${proxy.origin}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ checks: { provider: false } });

    // And a user who starts a sign-in gets our page, in their language, not the box's "app starting".
    const login = await navigate(`${proxy.origin}/login`, 'en');
    expect(login.status).toBe(503);
    expect(login.contentType).toMatch(/^text\/html/);
    expect(login.body).toContain('data-error-code="OIDC_PROVIDER_UNAVAILABLE"');
    expect(login.body).toContain('The sign-in provider is unavailable right now.');
    // The bundle keeps the Chinese texts (it escapes them as \u sequences in the JavaScript it writes).
    const zh = await navigate(`${proxy.origin}/login`, 'zh-CN,zh;q=0.9');
    expect(zh.body).toContain('登录服务暂时不可用，请稍后再试。');
    expect((await navigate(`${proxy.origin}/`, 'zh-CN')).body).toContain('懒猫登录');
  }, 60_000);

  it('writes nothing into the content dir, which is read-only on the box', () => {
    expect(snapshotTree(lpk.contentDir)).toEqual(contentBefore);
    expect(fs.readdirSync(path.join(boxDir, 'var')).length).toBeGreaterThan(0);
  });
});
