import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import request from 'supertest';
import { freePort } from '../fixtures/app.ts';
import { loginAtProvider } from '../fixtures/providerLogin.ts';
import { pathOf } from '../fixtures/stack.ts';
import { until } from '../fixtures/until.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const children: ChildProcessWithoutNullStreams[] = [];

/** Runs `node src/app/server.ts` the way the start command does, with exactly `env` (plus PATH). */
function startServer(env: Record<string, string>) {
  const child = spawn(process.execPath, ['src/app/server.ts'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

describe('the server process', () => {
  it('zero-config first run: starts a dev provider, prints the demo users, and the whole sign-in works', async () => {
    const port = await freePort();
    const devPort = await freePort();
    const server = startServer({
      PORT: String(port),
      DEV_PROVIDER_PORT: String(devPort),
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'lzc-zero-')),
    });
    await until(() => server.out().includes('Open http://localhost:'), 'the server to print its URL', 20_000);
    expect(server.out()).toContain(`Development sign-in provider: http://localhost:${devPort}`);
    expect(server.out()).toContain('alice / alice-password');

    const agent = request.agent(`http://localhost:${port}`);
    const home = await agent.get('/');
    expect(home.text).toContain('alice / alice-password');
    // Idle connections outlive a reverse proxy's (Node's 5 s default makes proxies answer a sporadic 502).
    const kept = await fetch(`http://localhost:${port}/healthz`);
    expect(kept.headers.get('keep-alive')).toBe('timeout=65');
    const login = await agent.get('/login?returnTo=/admin');
    expect(login.status).toBe(303);
    const callback = await loginAtProvider(login.headers.location!, { username: 'alice', password: 'alice-password' });
    const done = await agent.get(pathOf(callback));
    expect(done.headers.location).toBe('/admin');
    expect((await agent.get('/admin')).status).toBe(200);

    // Graceful shutdown: SIGTERM closes the server and the store, then exits 0.
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.out()).toContain('"msg":"stopped"');
  });

  it('kill -9 with the SQLite store, then a restart: the signed-in browser is still signed in; SIGINT stops it cleanly', async () => {
    const port = await freePort();
    const devPort = await freePort();
    const env = {
      PORT: String(port),
      DEV_PROVIDER_PORT: String(devPort),
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'lzc-kill9-')),
      SESSION_SECRET: 'kill-nine-test-secret-kill-nine-test-secret',
    };
    const first = startServer(env);
    await until(() => first.out().includes('Open http://localhost:'), 'the server to start', 20_000);
    const agent = request.agent(`http://localhost:${port}`);
    const login = await agent.get('/login?returnTo=/profile');
    await agent.get(pathOf(await loginAtProvider(login.headers.location!, { username: 'bob', password: 'bob-password' })));
    expect((await agent.get('/profile').set('Accept', 'application/json')).status).toBe(200);

    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    const second = startServer(env);
    await until(() => second.out().includes('Open http://localhost:'), 'the server to start again', 20_000);
    const profile = await agent.get('/profile').set('Accept', 'application/json');
    expect(profile.status).toBe(200);
    expect(profile.body.user.username).toBe('bob');

    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    expect(second.out()).toContain('"signal":"SIGINT"');
  });

  it('log lines are buffered, not lost: after a burst of requests, SIGTERM writes every request line, and "stopped" last', async () => {
    const port = await freePort();
    const server = startServer({
      PORT: String(port),
      DEV_PROVIDER_PORT: String(await freePort()),
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'lzc-logs-')),
    });
    await until(() => server.out().includes('Open http://localhost:'), 'the server to start', 20_000);
    const ids = Array.from({ length: 300 }, (_, i) => `burst-${i}`);
    const statuses = await Promise.all(
      ids.map((id) => fetch(`http://127.0.0.1:${port}/healthz`, { headers: { 'x-request-id': id } }).then((r) => r.status)),
    );
    expect(statuses.every((s) => s === 200)).toBe(true);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const lines = server
      .out()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    const logged = lines.map((l) => JSON.parse(l) as { msg: string; reqId?: string });
    expect(
      logged
        .filter((l) => l.msg === 'request' && l.reqId?.startsWith('burst-'))
        .map((l) => l.reqId)
        .sort(),
    ).toEqual([...ids].sort());
    expect(logged.at(-1)?.msg).toBe('stopped');
  });

  it('in production, missing configuration is one boot error listing every variable, and no secret', async () => {
    const server = startServer({ NODE_ENV: 'production', LAZYCAT_AUTH_OIDC_CLIENT_SECRET: 'do-not-print-me', SESSION_SECRET: 'tiny' });
    expect(await server.exited).toBe(1);
    const message = server.err();
    expect(message).toContain('Invalid configuration');
    for (const name of ['LAZYCAT_AUTH_OIDC_CLIENT_ID', 'LAZYCAT_AUTH_OIDC_ISSUER_URI', 'SESSION_SECRET', 'OIDC_REDIRECT_URI'])
      expect(message).toContain(name);
    expect(message).not.toContain('do-not-print-me');
    expect(message).not.toMatch(/\n\s+at /);
  });

  it('a DATA_DIR that cannot be used is a boot error naming the path', async () => {
    const port = await freePort();
    const server = startServer({ PORT: String(port), DATA_DIR: '/proc/version/sessions' });
    expect(await server.exited).toBe(1);
    expect(server.err()).toContain('/proc/version/sessions');
  });
});
