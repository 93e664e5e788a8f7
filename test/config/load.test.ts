import { describe, expect, it } from 'vitest';
import { loadConfig, ConfigError } from '../../src/config/load.ts';

const lazycat = {
  NODE_ENV: 'production',
  LAZYCAT_AUTH_OIDC_CLIENT_ID: 'cloud.lazycat.app.demo',
  LAZYCAT_AUTH_OIDC_CLIENT_SECRET: 'super-secret-value-that-must-not-leak',
  LAZYCAT_AUTH_OIDC_ISSUER_URI: 'https://box.heiyu.space/sys/oauth/',
  LAZYCAT_APP_DOMAIN: 'demo.box.heiyu.space',
  LAZYCAT_BOX_DOMAIN: 'box.heiyu.space',
  SESSION_SECRET: 'x'.repeat(40),
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('loadConfig', () => {
  it('reads the Lazycat variables, strips the issuer slash and derives the https redirect URI', () => {
    const c = loadConfig(lazycat);
    expect(c.oidc.issuer).toBe('https://box.heiyu.space/sys/oauth');
    expect(c.oidc.discovery).toBe(true);
    expect(c.oidc.redirectUri).toBe('https://demo.box.heiyu.space/callback');
    expect(c.publicOrigin).toBe('https://demo.box.heiyu.space');
    expect(c.session.secureCookie).toBe(true);
    expect(c.session.cookieName.startsWith('__Host-')).toBe(true);
    expect(c.oidc.scopes[0]).toBe('openid');
    expect(c.devProvider).toBe(false);
    expect(c.host).toBe('0.0.0.0');
  });

  it('lists every problem at once and never prints a secret value', () => {
    const env = {
      NODE_ENV: 'production',
      LAZYCAT_AUTH_OIDC_ISSUER_URI: 'not a url',
      LAZYCAT_AUTH_OIDC_CLIENT_SECRET: 'hunter2-secret',
      SESSION_SECRET: 'short-secret-value',
      PORT: 'eighty',
      OIDC_CLOCK_TOLERANCE: 'soon',
      SESSION_STORE: 'redis',
    };
    let message = '';
    try {
      loadConfig(env);
    } catch (err) {
      message = (err as Error).message;
    }
    for (const name of [
      'LAZYCAT_AUTH_OIDC_ISSUER_URI',
      'LAZYCAT_AUTH_OIDC_CLIENT_ID',
      'SESSION_SECRET',
      'PORT',
      'OIDC_CLOCK_TOLERANCE',
      'REDIS_URL',
      'OIDC_REDIRECT_URI',
    ]) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain('hunter2-secret');
    expect(message).not.toContain('short-secret-value');
  });

  it('never echoes a REDIS_URL, which may hold a password', () => {
    const problems = problemsOf({ ...lazycat, SESSION_STORE: 'redis', REDIS_URL: 'redis://:s3cretPass@redis host:6379' });
    expect(problems.join()).toMatch(/REDIS_URL must look like/);
    expect(problems.join()).not.toContain('s3cretPass');
    expect(problemsOf({ ...lazycat, SESSION_STORE: 'redis', REDIS_URL: 'redis://:pw@127.0.0.1:6379/0' })).toEqual([]);
    expect(problemsOf({ ...lazycat, SESSION_STORE: 'redis' }).join()).toMatch(/REDIS_URL is required/);
  });

  it('refuses plain http for a non-loopback provider unless explicitly allowed', () => {
    const env = { ...lazycat, LAZYCAT_AUTH_OIDC_ISSUER_URI: 'http://casdoor.lan:8000' };
    expect(problemsOf(env).join()).toMatch(/plain http/);
    expect(problemsOf({ ...env, OIDC_ALLOW_INSECURE_HTTP: 'true' })).toEqual([]);
    expect(problemsOf({ ...env, LAZYCAT_AUTH_OIDC_ISSUER_URI: 'http://localhost:8000' })).toEqual([]);
  });

  it('configures manually from explicit endpoints when there is no issuer', () => {
    const { LAZYCAT_AUTH_OIDC_ISSUER_URI: _drop, ...rest } = lazycat;
    const c = loadConfig({
      ...rest,
      LAZYCAT_AUTH_OIDC_AUTH_URI: 'https://box.heiyu.space/sys/oauth/auth',
      LAZYCAT_AUTH_OIDC_TOKEN_URI: 'https://box.heiyu.space/sys/oauth/token',
    });
    expect(c.oidc.discovery).toBe(false);
    expect(c.oidc.issuer).toBe('https://box.heiyu.space/sys/oauth');
    expect(c.oidc.endpoints.jwks).toBe('https://box.heiyu.space/sys/oauth/keys');
  });

  it('falls back to the embedded dev provider only outside production', () => {
    const dev = loadConfig({ PORT: '4000' });
    expect(dev.devProvider).toBe(true);
    expect(dev.oidc.issuer).toBe('http://localhost:4001');
    expect(dev.oidc.redirectUri).toBe('http://localhost:4000/callback');
    expect(dev.session.secretGenerated).toBe(true);
    expect(problemsOf({ NODE_ENV: 'production' }).length).toBeGreaterThanOrEqual(3);
  });

  it('parses durations and rejects an idle timeout longer than the absolute one', () => {
    const c = loadConfig({ ...lazycat, SESSION_IDLE_TIMEOUT: '30m', SESSION_MAX_AGE: '8h', OIDC_CLOCK_TOLERANCE: '90' });
    expect(c.session.idleTimeoutSec).toBe(1800);
    expect(c.session.absoluteTimeoutSec).toBe(28800);
    expect(c.oidc.clockToleranceSec).toBe(90);
    expect(problemsOf({ ...lazycat, SESSION_IDLE_TIMEOUT: '9d' }).join()).toMatch(/SESSION_IDLE_TIMEOUT/);
  });

  it('rejects duration settings that do not work together, all in one error', () => {
    const problems = problemsOf({
      ...lazycat,
      OIDC_HTTP_TIMEOUT: '30',
      OIDC_REFRESH_MARGIN: '20',
      OIDC_USERINFO_REFRESH_INTERVAL: '10',
      OIDC_CLOCK_TOLERANCE: '2h',
      SESSION_IDLE_TIMEOUT: '0',
      SESSION_MAX_AGE: '1h',
      OIDC_DISCOVERY_RETRY_MAX: '0',
    });
    expect(problems).toEqual([
      'OIDC_DISCOVERY_RETRY_MAX must be longer than 0',
      'SESSION_IDLE_TIMEOUT must be longer than 0',
      expect.stringMatching(/^OIDC_REFRESH_MARGIN \(20 s\) must be at least OIDC_HTTP_TIMEOUT \(30 s\)/),
      'OIDC_USERINFO_REFRESH_INTERVAL (10 s) must be 0 (off) or at least OIDC_HTTP_TIMEOUT (30 s)',
      'OIDC_CLOCK_TOLERANCE (7200 s) must be shorter than SESSION_MAX_AGE (3600 s)',
    ]);
    expect(problemsOf({ ...lazycat, OIDC_HTTP_TIMEOUT: '0' })).toEqual(['OIDC_HTTP_TIMEOUT must be longer than 0']);
  });

  it('accepts the boundaries: margin equal to the HTTP timeout, userinfo re-reads off, defaults', () => {
    const c = loadConfig({ ...lazycat, OIDC_HTTP_TIMEOUT: '60', OIDC_REFRESH_MARGIN: '1m', OIDC_USERINFO_REFRESH_INTERVAL: '0' });
    expect(c.oidc.refreshMarginSec).toBe(60);
    expect(c.oidc.userinfoRefreshIntervalSec).toBe(0);
    const d = loadConfig(lazycat);
    expect({ interval: d.oidc.userinfoRefreshIntervalSec, prompt: d.oidc.offlineAccessPrompt }).toEqual({
      interval: 300,
      prompt: 'consent',
    });
    expect(problemsOf({ ...lazycat, OIDC_OFFLINE_ACCESS_PROMPT: 'login' }).join()).toMatch(
      /OIDC_OFFLINE_ACCESS_PROMPT must be one of consent, none/,
    );
  });

  it('keeps OIDC_REDIRECT_URI over the derived one and always requests openid', () => {
    const c = loadConfig({ ...lazycat, OIDC_REDIRECT_URI: 'https://other.example/cb', OIDC_SCOPES: 'profile email' });
    expect(c.oidc.redirectUri).toBe('https://other.example/cb');
    expect(c.oidc.scopes).toEqual(['openid', 'profile', 'email']);
  });

  it('trusts only loopback proxies by default (lzcinit), and follows the box user on Lazycat unless told otherwise', () => {
    expect(loadConfig(lazycat).trustProxy).toBe('loopback');
    expect(loadConfig(lazycat).boxIdentity).toBe(true);
    const offBox = { ...lazycat, LAZYCAT_APP_DOMAIN: '', OIDC_REDIRECT_URI: 'https://app.example/callback' };
    expect(loadConfig(offBox).boxIdentity).toBe(false);
    expect(loadConfig({ ...offBox, BOX_IDENTITY: 'on' }).boxIdentity).toBe(true);
    expect(loadConfig({ ...lazycat, BOX_IDENTITY: 'off' }).boxIdentity).toBe(false);
    expect(problemsOf({ ...lazycat, BOX_IDENTITY: 'yes' })).toEqual(['BOX_IDENTITY must be one of on, off, auto (got "yes")']);
  });
});
