// The manifest block the README tells app authors to copy must be true of the manifest we build and test.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
interface Manifest {
  application: Record<string, unknown> & { environment: string[]; health_check: Record<string, unknown> };
}

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const block = /```yaml\n(application:[\s\S]*?)```/.exec(readme)?.[1];
const manifest = parse(readFileSync(path.join(ROOT, 'lzc-manifest.yml'), 'utf8')) as Manifest;

describe("the README's lzc-manifest.yml block", () => {
  it('exists and is a subset of our lzc-manifest.yml, line for line', () => {
    expect(block).toBeDefined();
    const snippet = parse(block!) as Manifest;
    const app = snippet.application;
    for (const key of ['image', 'oidc_redirect_path', 'routes'] as const) expect(app[key], key).toEqual(manifest.application[key]);
    expect(app.health_check.test_url).toBe(manifest.application.health_check.test_url);
    expect(manifest.application.environment).toEqual(expect.arrayContaining(app.environment));
    // Every OIDC variable the box injects for the app must be mapped by whoever copies the block.
    for (const name of [
      'LAZYCAT_AUTH_OIDC_CLIENT_ID',
      'LAZYCAT_AUTH_OIDC_CLIENT_SECRET',
      'LAZYCAT_AUTH_OIDC_ISSUER_URI',
      'SESSION_SECRET',
    ]) {
      expect(
        app.environment.some((line) => line.startsWith(`${name}=`)),
        name,
      ).toBe(true);
    }
  });
});
