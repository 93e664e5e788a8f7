import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type Env } from '../../src/config/load.ts';

const read = (file: string): string => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
const NAME = /^[A-Z][A-Z0-9_]*$/;

/** The names load.ts passes to its readers: str('PORT'), oneOf<…>(\n 'SESSION_STORE', …), envString(env, 'X'). */
function loaderNames(): Set<string> {
  const source = read('src/config/load.ts');
  return new Set([...source.matchAll(/\(\s*(?:env,\s*)?'([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1]!));
}

/** Every backticked name in the first column of the README's configuration table. */
function readmeNames(): Set<string> {
  const section =
    read('README.md')
      .split(/^## Configuration\b.*$/m)[1]
      ?.split(/^## /m)[0] ?? '';
  const firstCells = section
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) => line.split('|')[1] ?? '');
  return new Set(firstCells.flatMap((cell) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)).filter((n) => NAME.test(n)));
}

/** Every NAME= line of .env.example, commented out or not. */
function envExampleNames(): Set<string> {
  return new Set([...read('.env.example').matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
}

/** Runs the loader on `env` and records every variable it looks up. */
function namesReadFrom(env: Env): Set<string> {
  const seen = new Set<string>();
  const recording = new Proxy(env, {
    get(target, key) {
      if (typeof key === 'string') seen.add(key);
      return target[key as string];
    },
  });
  try {
    loadConfig(recording);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
  }
  return seen;
}

const sorted = (names: Iterable<string>): string[] => [...names].sort();
const missingFrom = (names: Set<string>, from: Set<string>): string[] => sorted([...names].filter((n) => !from.has(n)));

describe('configuration documentation', () => {
  const loader = loaderNames();
  const gaps = (documented: Set<string>) => ({ undocumented: missingFrom(loader, documented), notRead: missingFrom(documented, loader) });

  it('parses the loader: every variable it reads, in any kind of run, is among the names found in load.ts', () => {
    const runs: Env[] = [
      {},
      { NODE_ENV: 'production' },
      {
        LAZYCAT_AUTH_OIDC_ISSUER_URI: 'https://box.heiyu.space/sys/oauth',
        LAZYCAT_AUTH_OIDC_CLIENT_ID: 'app',
        LAZYCAT_APP_DOMAIN: 'app.box.heiyu.space',
      },
      {
        LAZYCAT_AUTH_OIDC_ISSUER_URI: 'https://idp.example',
        OIDC_DISCOVERY: 'false',
        SESSION_STORE: 'redis',
        SESSION_SECRET: 'x'.repeat(32),
      },
      {
        LAZYCAT_AUTH_OIDC_CLIENT_ID: 'app',
        LAZYCAT_AUTH_OIDC_AUTH_URI: 'https://box.heiyu.space/sys/oauth/auth',
        LAZYCAT_AUTH_OIDC_TOKEN_URI: 'https://box.heiyu.space/sys/oauth/token',
      },
    ];
    const looked = new Set(runs.flatMap((env) => [...namesReadFrom(env)]));
    expect(looked.size).toBeGreaterThan(20);
    expect(missingFrom(looked, loader)).toEqual([]);
  });

  it('lists every variable the loader reads in the README table, and nothing else', () => {
    expect(gaps(readmeNames())).toEqual({ undocumented: [], notRead: [] });
  });

  it('lists every variable the loader reads in .env.example, and nothing else', () => {
    expect(gaps(envExampleNames())).toEqual({ undocumented: [], notRead: [] });
  });
});
