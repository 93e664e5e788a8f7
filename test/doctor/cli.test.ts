// The real command: node src/doctor/cli.ts in a child process with an explicit environment (nothing inherited,
// so the machine's LANG or .env cannot leak in), run from an empty directory so no .env is found.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../src/config/load.ts';
import { cliLocale } from '../../src/doctor/messages.ts';
import { startProvider, type TestProvider } from '../fixtures/provider.ts';
import { assertNoSecrets, goodEnv } from './findings.ts';

const CLI = path.resolve(import.meta.dirname, '../../src/doctor/cli.ts');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function doctor(env: Env, args: string[] = [], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: env, cwd, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      assertNoSecrets(stdout + stderr, env);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run doctor', () => {
  let provider: TestProvider;
  let cwd: string;
  beforeAll(async () => {
    provider = await startProvider('casdoor');
    cwd = mkdtempSync(path.join(tmpdir(), 'lzc-doctor-'));
  });
  afterAll(async () => {
    await provider.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('exits 0 with only ok/warn, in English by default', async () => {
    const run = await doctor(goodEnv(provider), [], cwd);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('✔ Client credentials');
    expect(run.stdout).toContain('Sign-in should work');
  });

  it('exits 1 when sign-in is blocked; --json gives the same verdicts for scripts', async () => {
    const env = goodEnv(provider, { LAZYCAT_AUTH_OIDC_CLIENT_ID: 'wrong-client-id', DOCTOR_LANG: 'en' });
    const run = await doctor(env, ['--json'], cwd);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as { ok: boolean; locale: string; checks: Array<{ id: string; status: string; fix?: string }> };
    expect(report).toMatchObject({ ok: false, locale: 'en' });
    expect(report.checks.find((c) => c.id === 'credentials')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('LAZYCAT_AUTH_OIDC_CLIENT_SECRET'),
    });
  });

  it('speaks zh-CN from LANG=zh_CN.UTF-8, with the Chinese fix', async () => {
    const run = await doctor(goodEnv(provider, { LANG: 'zh_CN.UTF-8', LAZYCAT_AUTH_OIDC_CLIENT_ID: 'wrong-client-id' }), [], cwd);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('✘ 客户端凭据');
    expect(run.stdout).toContain('修复: 请检查 LAZYCAT_AUTH_OIDC_CLIENT_ID 和 LAZYCAT_AUTH_OIDC_CLIENT_SECRET');
    expect(run.stdout).toContain('登录无法进行');
  });

  it('DOCTOR_LANG wins over LC_ALL and LANG', async () => {
    const run = await doctor(goodEnv(provider, { LC_ALL: 'zh_CN.UTF-8', LANG: 'zh_CN.UTF-8', DOCTOR_LANG: 'en' }), [], cwd);
    expect(run.stdout).toContain('All endpoints are on');
    expect(run.stdout).not.toMatch(/[\u4e00-\u9fff]/);
  });

  it('exits 1 listing the missing variables; 2 on an unknown argument', async () => {
    const missing = await doctor({ NODE_ENV: 'production' }, [], cwd);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('LAZYCAT_AUTH_OIDC_CLIENT_ID is required');
    expect((await doctor({}, ['--bogus'], cwd)).code).toBe(2);
  });
});

describe('cliLocale', () => {
  it.each([
    [{ LANG: 'zh_CN.UTF-8' }, 'zh-CN'],
    [{ LANG: 'zh_TW.UTF-8' }, 'zh-CN'],
    [{ LC_ALL: 'zh_CN.UTF-8', LANG: 'en_US.UTF-8' }, 'zh-CN'],
    [{ LC_ALL: 'en_US.UTF-8', LANG: 'zh_CN.UTF-8' }, 'en'],
    [{ LANG: 'C.UTF-8' }, 'en'],
    [{ DOCTOR_LANG: 'zh-CN', LANG: 'en_US.UTF-8' }, 'zh-CN'],
    [{}, 'en'],
  ] as const)('%j → %s', (env, locale) => {
    expect(cliLocale(env)).toBe(locale);
  });
});
