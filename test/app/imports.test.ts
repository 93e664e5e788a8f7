import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const REDIS_PACKAGES = /\/node_modules\/(redis|@redis\/[^/]+|connect-redis)\//;
const JOSE_INDEX = '/node_modules/jose/dist/webapi/index.js';

// Records every module a fresh process loads (ESM and require alike) and prints them as it exits.
const RECORD_LOADS = `data:text/javascript,${encodeURIComponent(
  'import{registerHooks}from"node:module";const seen=[];registerHooks({load(u,c,n){seen.push(u);return n(u,c)}});' +
    'process.on("exit",()=>process.stdout.write(JSON.stringify(seen)));',
)}`;

/** The module URLs a fresh Node process loads while running `script` (an ES module, cwd at the repository). */
function modulesLoadedBy(script: string): string[] {
  const run = spawnSync(process.execPath, ['--import', RECORD_LOADS, '--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '' },
    encoding: 'utf8',
  });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout) as string[];
}

describe('what the library and the app load', () => {
  // The Redis client and connect-redis are ~650 modules and ~11 MB of RSS: an app on SQLite must not pay for them.
  it('the library and the reference app, with a SQLite store opened, load nothing of Redis and jose by its parts', () => {
    const loaded = modulesLoadedBy(
      [
        "await import('./src/index.ts'); await import('./src/app/createApp.ts');",
        "const { createSessionBackend } = await import('./src/sessions/index.ts');",
        "const { createLogger } = await import('./src/log/logger.ts');",
        "const { sessionConfig } = await import('./test/sessions/sessionConfig.ts');",
        "const { mkdtempSync, rmSync } = await import('node:fs'); const dataDir = mkdtempSync((await import('node:os')).tmpdir() + '/imports-');",
        "const backend = await createSessionBackend(sessionConfig({ store: 'sqlite', dataDir }), createLogger('silent'));",
        'await backend.ping(); await backend.close(); rmSync(dataDir, { recursive: true });',
      ].join('\n'),
    );
    expect(loaded.some((url) => url.endsWith('/src/sessions/sqlite.ts'))).toBe(true);
    expect(loaded.filter((url) => REDIS_PACKAGES.test(url))).toEqual([]);
    // jose by its parts: its index loads all of it (JWE, key generation…), ~8 MB of RSS the app never uses.
    expect(loaded.some((url) => url.includes('/node_modules/jose/'))).toBe(true);
    expect(loaded.filter((url) => url.endsWith(JOSE_INDEX))).toEqual([]);
  });

  it('the check sees them when the Redis backend module or the jose index is imported', () => {
    const loaded = modulesLoadedBy("await import('./src/sessions/redis.ts'); await import('jose');");
    expect(loaded.filter((url) => REDIS_PACKAGES.test(url)).length).toBeGreaterThan(0);
    expect(loaded.filter((url) => url.endsWith(JOSE_INDEX)).length).toBe(1);
  });
});
