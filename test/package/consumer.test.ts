// The library as an outside app gets it: `npm pack`, the tarball installed into a fresh Express app outside
// the repository (examples/basic), type-checked against the shipped .d.ts, then run on Node 24 and signed in to.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../fixtures/app.ts';
import { startProvider, type TestProvider } from '../fixtures/provider.ts';
import { beginSignIn, csrfOf, pathOf, type Agent } from '../fixtures/stack.ts';
import { loginAtProvider } from '../fixtures/providerLogin.ts';
import { until } from '../fixtures/until.ts';
import repo from '../../package.json' with { type: 'json' };

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const npm = (args: string[], cwd: string) =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });

let work: string;
let app: string;
let provider: TestProvider;
let child: ChildProcess | undefined;
let url: string;
const output: string[] = [];

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'lzc-consumer-'));
  // prepack builds dist/ first, as it does for a publish.
  npm(['pack', '--pack-destination', work], ROOT);
  const tarball = path.join(
    work,
    readdirSync(work).find((f) => f.endsWith('.tgz'))!,
  );
  app = path.join(work, 'app');
  cpSync(path.join(ROOT, 'examples', 'basic'), app, { recursive: true });
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // The same versions as the repository's lock, so they come from npm's cache.
  const dev = repo.devDependencies;
  npm(
    [
      'install',
      '--prefer-offline',
      tarball,
      `express@${repo.dependencies.express}`,
      `typescript@${dev.typescript}`,
      `@types/express@${dev['@types/express']}`,
      `@types/node@${dev['@types/node']}`,
    ],
    app,
  );

  provider = await startProvider('certified');
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, ['app.ts'], {
    cwd: app,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      LAZYCAT_AUTH_OIDC_ISSUER_URI: provider.issuer,
      LAZYCAT_AUTH_OIDC_CLIENT_ID: provider.clientId,
      LAZYCAT_AUTH_OIDC_CLIENT_SECRET: provider.clientSecret,
      OIDC_REDIRECT_URI: `${url}/callback`,
      SESSION_SECRET: 'consumer-session-secret-consumer-session',
      DATA_DIR: path.join(work, 'data'),
    },
  });
  child.stdout?.on('data', (d: Buffer) => output.push(String(d)));
  child.stderr?.on('data', (d: Buffer) => output.push(String(d)));
  await until(async () => (await fetch(`${url}/`).catch(() => undefined))?.status === 200, 'the consumer app to answer').catch(
    (err: unknown) => {
      throw new Error(`${String(err)}; its output: ${output.join('')}`);
    },
  );
  // A fresh app reads the provider's discovery document on its first request; under load that can take a moment.
  await until(async () => (await fetch(`${url}/login`, { redirect: 'manual' })).status === 303, 'the consumer app to reach its provider');
}, 120_000);

afterAll(async () => {
  child?.kill('SIGTERM');
  await provider?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function signInAs(username: string): Promise<Agent> {
  const agent = request.agent(url);
  const user = provider.users.find((u) => u.username === username)!;
  const authorize = await beginSignIn(agent, '/me');
  const callback = await agent.get(pathOf(await loginAtProvider(authorize, user)));
  expect({ status: callback.status, location: callback.headers.location }).toEqual({ status: 303, location: '/me' });
  return agent;
}

describe('an outside Express app with the packed tarball installed', () => {
  it('type-checks req.oidc against the shipped .d.ts', () => {
    expect(() =>
      execFileSync(process.execPath, [path.join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { encoding: 'utf8' }),
    ).not.toThrow();
  });

  it('signs in from /login?returnTo=/me and gets the user as JSON', async () => {
    const agent = await signInAs('alice');
    const me = await agent.get('/me').set('Accept', 'application/json');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ sub: expect.any(String), username: 'alice', groups: ['ADMIN'], issuer: provider.issuer });
  });

  it('lets an admin into requireGroup("ADMIN") and refuses others with 403', async () => {
    expect((await (await signInAs('alice')).get('/admin')).status).toBe(200);
    const bob = await signInAs('bob');
    expect((await bob.get('/me').set('Accept', 'application/json')).body.groups).toEqual(['users']);
    expect((await bob.get('/admin').set('Accept', 'application/json')).status).toBe(403);
  });

  it('asks anonymous API callers to sign in with 401, and browsers with a redirect to /login', async () => {
    expect((await request(url).get('/me').set('Accept', 'application/json')).status).toBe(401);
    const nav = await request(url).get('/me').set('Accept', 'text/html');
    expect({ status: nav.status, location: nav.headers.location }).toEqual({ status: 302, location: '/login?returnTo=%2Fme' });
  });

  it('sends no Set-Cookie from a public route mounted after lazycatAuth(), signed in or not', async () => {
    const anonymous = await request(url).get('/');
    expect(anonymous.status).toBe(200);
    expect(anonymous.headers['set-cookie']).toBeUndefined();
    const agent = await signInAs('bob');
    const signedIn = await agent.get('/');
    expect(signedIn.text).toContain('Hello');
    expect(signedIn.headers['set-cookie']).toBeUndefined();
  });

  it('ends the session on logout', async () => {
    const agent = await signInAs('bob');
    const csrf = csrfOf((await agent.get('/logout')).text);
    expect(csrf).not.toBe('');
    const out = await agent.post('/logout').type('form').send({ csrf });
    expect(out.status).toBe(303);
    expect((await agent.get('/me').set('Accept', 'application/json')).status).toBe(401);
  });
});
