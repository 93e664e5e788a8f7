// Shared by the doctor tests: the env a correctly configured user has, and the lookups the assertions use.
import { expect } from 'vitest';
import type { Env } from '../../src/config/load.ts';
import type { CheckId, Finding } from '../../src/doctor/checks.ts';
import { render, renderText } from '../../src/doctor/run.ts';
import { startProvider, type ProviderOverrides, type ProviderProfile, type TestProvider } from '../fixtures/provider.ts';
import { envFor } from '../fixtures/stack.ts';

export const SESSION_SECRET = 'doctor-test-session-secret-0123456789abcdef';

/** The env of a user who configured the app correctly for `provider` (a loopback redirect URI, as in dev). */
export function goodEnv(provider: TestProvider, extra: Env = {}): Env {
  return {
    NODE_ENV: 'test',
    SESSION_SECRET,
    OIDC_REDIRECT_URI: 'http://127.0.0.1:3000/callback',
    ...envFor(provider),
    ...extra,
  };
}

export function check(findings: Finding[], id: CheckId): Finding {
  const found = findings.find((f) => f.id === id);
  if (!found) throw new Error(`no "${id}" check in ${findings.map((f) => f.id).join(', ')}`);
  return found;
}

export const fails = (findings: Finding[]): CheckId[] => findings.filter((f) => f.status === 'fail').map((f) => f.id);

/** Both languages' text output, asserting on the way that no secret value from `env` appears in either. */
export function outputs(findings: Finding[], env: Env): { en: string; zh: string } {
  const en = renderText(render(findings, 'en', env), 'en');
  const zh = renderText(render(findings, 'zh-CN', env), 'zh-CN');
  assertNoSecrets(en + zh, env);
  return { en, zh };
}

export function assertNoSecrets(output: string, env: Env): void {
  for (const secret of [env.LAZYCAT_AUTH_OIDC_CLIENT_SECRET, env.SESSION_SECRET]) {
    if (secret) expect(output).not.toContain(secret);
  }
}

export async function withProvider<T>(
  profile: ProviderProfile,
  overrides: ProviderOverrides,
  fn: (p: TestProvider) => Promise<T>,
): Promise<T> {
  const provider = await startProvider(profile, overrides);
  try {
    return await fn(provider);
  } finally {
    await provider.close();
  }
}
