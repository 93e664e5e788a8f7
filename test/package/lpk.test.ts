import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { ROOT, buildLpk, execRoute, manifestEnv, unpackLpk, type UnpackedLpk } from './lpk.ts';
import { findNativeProductionDeps, productionPackageDirs } from './nativeAddons.ts';

/** Every OIDC variable Lazycat documents (advanced-envs.md); each exists only if mapped. */
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

  it('registers the app callback route as oidc_redirect_path', () => {
    expect(lpk.manifest.application.oidc_redirect_path).toBe('/callback');
    expect(lpk.manifest.application.oidc_redirect_path).toBe(appCallbackPath());
  });

  it('maps every Lazycat OIDC variable, and every LAZYCAT_* name the app reads, from the deploy-time value', () => {
    const env = manifestEnv(lpk.manifest);
    const readByApp = new Set<string>();
    for (const file of fs.readdirSync(path.join(lpk.contentDir, 'src'), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts')) continue;
      for (const m of fs.readFileSync(path.join(lpk.contentDir, 'src', file), 'utf8').matchAll(/\bLAZYCAT_[A-Z_]+[A-Z]\b/g)) readByApp.add(m[0]);
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
    expect(fs.readFileSync(launcher, 'utf8')).toContain('node src/server.ts');
    expect(Number(manifestEnv(lpk.manifest).get('PORT'))).toBe(route.port);
    expect(lpk.manifest.application.image).toMatch(/(^|\/)node:24\.\d+\.\d+-alpine[\d.]*$|^registry\.lazycat\.cloud\//);
  });

  it('health-checks /readyz on the app port', () => {
    const url = new URL(lpk.manifest.application.health_check?.test_url ?? '');
    expect(url.pathname).toBe('/readyz');
    expect(url.hostname).toBe('127.0.0.1');
    expect(Number(url.port)).toBe(execRoute(lpk.manifest).port);
  });

  it('ships the sources, views and production node_modules', () => {
    expect(lpk.contentEntries).toEqual(expect.arrayContaining(['package.json', 'src/server.ts', 'views/', 'node_modules/express/package.json']));
    for (const dep of Object.keys(pkgJson.dependencies)) {
      expect(fs.existsSync(path.join(lpk.contentDir, 'node_modules', dep, 'package.json')), dep).toBe(true);
    }
  });

  it('ships no devDependencies and no tests', () => {
    const shipped = new Set(lpk.contentEntries.map((e) => e.match(/^node_modules\/((?:@[^/]+\/)?[^/]+)\//)?.[1]).filter(Boolean));
    expect(shipped.size).toBeGreaterThan(0);
    for (const dev of ['vitest', 'oidc-provider', 'typescript', '@lazycatcloud/lzc-cli']) expect(shipped.has(dev), dev).toBe(false);
    // Any other devDependency may ship only as a transitive production dependency.
    const prodNames = new Set(productionPackageDirs(ROOT).map((dir) => path.relative(path.join(ROOT, 'node_modules'), dir)));
    const leaked = Object.keys(pkgJson.devDependencies).filter((dev) => shipped.has(dev) && !prodNames.has(dev));
    expect(leaked).toEqual([]);
    // Our own tests only: dependencies' tarballs are what npm installed.
    expect(lpk.contentEntries.filter((e) => !e.startsWith('node_modules/') && (e.startsWith('test/') || e.endsWith('.test.ts')))).toEqual([]);
  });

  it('ships no native addon (npm ls over the unpacked content)', () => {
    expect(findNativeProductionDeps(lpk.contentDir)).toEqual([]);
  }, 60_000);
});
