// The committed packaging files, read as they are (no build): what the box is told about
// the app must match what the app and the platform actually do, and the LPK v2 package.yml
// must say the same as the LPK v1 manifest we build today.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT, execRoute, type LpkManifest } from './lpk.ts';

interface Manifest extends LpkManifest {
  min_os_version: string;
  author?: string;
  license?: string;
  application: LpkManifest['application'] & {
    upstreams?: unknown[];
    injects?: unknown[];
    run_as?: string | number;
  };
}

const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8');
const manifestText = read('lzc-manifest.yml');
const manifest = parse(manifestText) as Manifest;
const packageYml = parse(read('package.yml')) as Record<string, unknown>;
const pkgJson = JSON.parse(read('package.json')) as { version: string; license: string };

/** -1, 0 or 1 as a is older than, equal to or newer than b ("1.3.8" vs "1.4.1"). */
function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

/**
 * Manifest features and the lzcos version that brought each (Lazycat developer docs, lazycatapps/lzc-developer-doc:
 * changelog.md, advanced-manifest-render.md, advanced-route.md, spec/manifest.md). A box older than that
 * does not know the feature, so min_os_version must cover every one used.
 */
const FEATURES: Array<{ name: string; since: string; used: (m: Manifest, text: string) => boolean }> = [
  { name: 'locales', since: '1.3.0', used: (m) => m.locales !== undefined },
  { name: 'deploy-time templates ({{ stable_secret }})', since: '1.3.8', used: (_m, text) => text.includes('{{') },
  { name: 'application.upstreams', since: '1.3.8', used: (m) => m.application.upstreams !== undefined },
  { name: 'application.health_check.timeout', since: '1.4.1', used: (m) => m.application.health_check?.timeout !== undefined },
  { name: 'application.injects', since: '1.5.0', used: (m) => m.application.injects !== undefined },
  { name: 'application.run_as', since: '1.6.0', used: (m) => m.application.run_as !== undefined },
];

/** An LPK v2 package installs only on this lzcos or newer (Lazycat developer docs: spec/lpk-format.md). */
const LPK_V2_MIN_OS = '1.5.0';
/** The top-level keys of package.yml (Lazycat developer docs: spec/package.md §2). */
const PACKAGE_YML_KEYS = [
  'package',
  'version',
  'name',
  'description',
  'author',
  'license',
  'homepage',
  'admin_only',
  'hidden_from_launcher',
  'min_os_version',
  'unsupported_platforms',
  'locales',
  'permissions',
  'import_resources',
];
/** Static fields that LPK v1 reads from the manifest and LPK v2 from package.yml: they must agree. */
const SHARED_STATIC_FIELDS = [
  'package',
  'version',
  'name',
  'description',
  'author',
  'license',
  'homepage',
  'admin_only',
  'unsupported_platforms',
  'locales',
];

/** A Docker Hub node image named anywhere: node:<version…>[@sha256:…], optionally docker.io/library/. */
const NODE_IMAGE_RE = /(?<![\w./-])(?:docker\.io\/)?(?:library\/)?node:\d[\w.-]*(?:@sha256:[0-9a-f]*)?/g;
const PINNED_NODE_IMAGE_RE = /^node:(\d+)\.\d+\.\d+-alpine\d+\.\d+@sha256:[0-9a-f]{64}$/;
const CJK_RE = /[\u4e00-\u9fff]/;

describe('lzc-manifest.yml', () => {
  it('health-checks liveness, so a provider outage does not hide the app behind "app starting"', () => {
    const url = new URL(manifest.application.health_check?.test_url ?? '');
    // /readyz answers 503 while the provider is down; the box would wait on it forever.
    expect(url.pathname).toBe('/healthz');
    expect(url.hostname).toBe('127.0.0.1');
    expect(Number(url.port)).toBe(execRoute(manifest).port);
  });

  it('asks for an lzcos at least as new as every feature it uses', () => {
    expect(manifest.min_os_version).toMatch(/^\d+\.\d+\.\d+$/);
    const tooNew = FEATURES.filter((f) => f.used(manifest, manifestText) && compareVersions(f.since, manifest.min_os_version) > 0);
    expect(tooNew.map((f) => `${f.name} needs ${f.since}`)).toEqual([]);
  });

  it('uses the feature that sets its min_os_version, so the floor is no higher than needed', () => {
    const needed = FEATURES.filter((f) => f.used(manifest, manifestText)).reduce(
      (max, f) => (compareVersions(f.since, max) > 0 ? f.since : max),
      '0.0.0',
    );
    expect(manifest.min_os_version).toBe(needed);
  });

  it('pins the Node image by the digest, with the Node major of .nvmrc', () => {
    const image = manifest.application.image ?? '';
    const match = PINNED_NODE_IMAGE_RE.exec(image);
    expect(match, image).not.toBeNull();
    expect(match![1]).toBe(read('.nvmrc').trim());
  });

  it('is the only Node image the repository names: every mention is the same pinned reference', () => {
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
      .split('\0')
      // Tests make up references of their own; the lock file names npm packages, not images.
      .filter(
        (file) =>
          file &&
          !file.startsWith('test/') &&
          file !== 'package-lock.json' &&
          fs.statSync(path.join(ROOT, file), { throwIfNoEntry: false })?.isFile(),
      );
    const mentions: string[] = [];
    for (const file of files) {
      for (const m of read(file).matchAll(NODE_IMAGE_RE)) mentions.push(`${file}: ${m[0]}`);
    }
    expect(mentions.length).toBeGreaterThan(1);
    expect(mentions.filter((mention) => !mention.endsWith(`: ${manifest.application.image}`))).toEqual([]);
  });

  it('tells each user how to use the app, in Chinese and in English', () => {
    expect(manifest.usage).toMatch(CJK_RE);
    expect(manifest.locales?.zh?.usage).toBe(manifest.usage);
    expect(manifest.locales?.en?.usage?.length).toBeGreaterThan(80);
    expect(manifest.locales?.en?.usage).not.toMatch(CJK_RE);
    for (const lang of ['zh', 'en']) {
      expect(manifest.locales?.[lang]?.name, lang).toBeTruthy();
      expect(manifest.locales?.[lang]?.description, lang).toBeTruthy();
    }
  });

  it('names the MIT license and, as author, its copyright holder', () => {
    const license = read('LICENSE');
    expect(license.split('\n')[0]).toBe('MIT License');
    const holder = /^Copyright \(c\) \d{4} (.+)$/m.exec(license)?.[1];
    expect(holder).toBe('lzc-oidc contributors');
    expect(manifest.author).toBe(holder);
    expect(manifest.license).toBe('MIT');
    expect(pkgJson.license).toBe('MIT');
  });

  it('carries the package.json version', () => {
    expect(String(manifest.version)).toBe(pkgJson.version);
  });
});

describe('package.yml (LPK v2)', () => {
  it('has only keys of the package.yml spec', () => {
    expect(Object.keys(packageYml).filter((key) => !PACKAGE_YML_KEYS.includes(key))).toEqual([]);
  });

  it('says what the manifest says: package id, version, name, description, author, license, locales…', () => {
    const manifestFields = manifest as unknown as Record<string, unknown>;
    for (const key of SHARED_STATIC_FIELDS) expect(packageYml[key], key).toEqual(manifestFields[key]);
    expect(packageYml.package).toBeTruthy();
    expect(String(packageYml.version)).toBe(pkgJson.version);
  });

  it('asks for the lzcos that reads LPK v2, and no less than the manifest needs', () => {
    const min = String(packageYml.min_os_version);
    expect(compareVersions(min, LPK_V2_MIN_OS)).toBeGreaterThanOrEqual(0);
    expect(compareVersions(min, manifest.min_os_version)).toBeGreaterThanOrEqual(0);
  });
});

describe('compareVersions', () => {
  it.each([
    ['1.3.8', '1.4.1', -1],
    ['1.4.1', '1.3.8', 1],
    ['1.10.0', '1.9.9', 1],
    ['1.5.0', '1.5.0', 0],
    ['1.5', '1.5.0', 0],
  ])('%s vs %s is %i', (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
  });
});

describe('NODE_IMAGE_RE', () => {
  it.each([
    ['image: node:24.20.0-alpine3.24@sha256:abc0', 'node:24.20.0-alpine3.24@sha256:abc0'],
    ['copy-image docker.io/library/node:24-alpine --arch', 'docker.io/library/node:24-alpine'],
    ['`node:24.1.0`.', 'node:24.1.0'],
  ])('finds the image in %j', (text, image) => {
    expect([...text.matchAll(NODE_IMAGE_RE)].map((m) => m[0])).toEqual([image]);
  });

  it.each([["import fs from 'node:fs';"], ['registry.lazycat.cloud/me/library/node:1f2e3d'], ['user node:node']])(
    'finds none in %j',
    (text) => {
      expect([...text.matchAll(NODE_IMAGE_RE)]).toEqual([]);
    },
  );
});
