// The committed packaging files, read as they are (no build): what the box is told about
// the app must match what the app and the platform actually do.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT, execRoute, type LpkManifest } from './lpk.ts';

interface Manifest extends LpkManifest {
  min_os_version: string;
  application: LpkManifest['application'] & {
    health_check?: { test_url?: string; start_period?: string; timeout?: string };
    upstreams?: unknown[];
    injects?: unknown[];
    run_as?: string | number;
  };
  locales?: Record<string, unknown>;
}

const manifestText = fs.readFileSync(path.join(ROOT, 'lzc-manifest.yml'), 'utf8');
const manifest = parse(manifestText) as Manifest;

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
 * Manifest features and the lzcos version that brought each (developer docs: changelog.md,
 * advanced-manifest-render.md, advanced-route.md, spec/manifest.md). A box older than that
 * does not know the feature, so min_os_version must cover every one used.
 */
const FEATURES: { name: string; since: string; used: (m: Manifest, text: string) => boolean }[] = [
  { name: 'locales', since: '1.3.0', used: (m) => m.locales !== undefined },
  { name: 'deploy-time templates ({{ stable_secret }})', since: '1.3.8', used: (_m, text) => /\{\{/.test(text) },
  { name: 'application.upstreams', since: '1.3.8', used: (m) => m.application.upstreams !== undefined },
  { name: 'application.health_check.timeout', since: '1.4.1', used: (m) => m.application.health_check?.timeout !== undefined },
  { name: 'application.injects', since: '1.5.0', used: (m) => m.application.injects !== undefined },
  { name: 'application.run_as', since: '1.6.0', used: (m) => m.application.run_as !== undefined },
];

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
    const needed = FEATURES.filter((f) => f.used(manifest, manifestText)).reduce((max, f) => (compareVersions(f.since, max) > 0 ? f.since : max), '0.0.0');
    expect(manifest.min_os_version).toBe(needed);
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
