// npm run bench: one run on this machine, printed as markdown (scripts/bench/report.ts). Every server under
// test runs compiled, in its own child process on 127.0.0.1 (scripts/bench/servers.ts, the reference app's
// production start); the load generator (autocannon) and the OpenID provider run in this process, so the
// servers' CPU and memory figures are their own. Numbers only: nothing here asserts a speed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createClient } from 'redis';
import { loadConfig, type Env } from '../src/config/load.ts';
import { parseCookies } from '../src/security/cookies.ts';
import { createSessionBackend } from '../src/sessions/index.ts';
import { SESSION_DB_FILE } from '../src/sessions/sqlite.ts';
import { getStored, sessionWrites, setStored } from '../src/sessions/storeOps.ts';
import { freePort } from '../test/fixtures/app.ts';
import { startProvider, type TestProvider } from '../test/fixtures/provider.ts';
import { startRedis } from '../test/fixtures/redis.ts';
import { sessionIdOf } from '../test/fixtures/stack.ts';
import { appEnv, headerBytes, load, mb, ROOT, signIn, signInWave, spawnServer, startAppProcess, type LoadResult, type ServerProcess } from './bench/harness.ts';
import { render, type LoadRow, type SignInRow, type StoredRow } from './bench/report.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = 50;
const STORED_SESSIONS = Number(process.env.BENCH_SESSIONS ?? 100_000);
const SIGN_INS = 100;
const WAVE = { count: 200, concurrency: 20 };
const SERVERS = path.join(ROOT, 'scripts', 'bench', 'servers.ts');
const PRODUCTION_START = 'dist/app/server.js';
const JSON_ACCEPT = 'application/json';
const HTML_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

const fileSize = (file: string): number => statSync(file, { throwIfNoEntry: false })?.size ?? 0;

/** Bytes of memory a Redis server reports in use (INFO memory used_memory). */
async function redisUsedMemory(url: string): Promise<number> {
  const client = createClient({ url });
  await client.connect();
  try {
    return Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1] ?? NaN);
  } finally {
    client.destroy();
  }
}

/**
 * Fills the store with copies of a real signed-in session (same user, tokens and size) through the library's
 * own backend code, as many sign-ins would: express-session's store.set, the tokens beside it and the owner index.
 */
async function storeSessions(env: Env, cookieHeader: string, count: number): Promise<number> {
  const config = loadConfig({ ...env, PORT: '0' });
  const template = sessionIdOf(parseCookies(cookieHeader).get(config.session.cookieName) ?? '');
  const backend = await createSessionBackend(config.session, pino({ level: 'silent' }));
  const started = Date.now();
  try {
    const writes = sessionWrites(backend, config.session.absoluteTimeoutSec);
    const session = await getStored(backend.store, template);
    const tokens = await writes.tokens(template);
    if (!session?.user || !tokens) throw new Error('the template session is not in the store');
    // Bounded concurrency: the Redis backend caps its command queue (MAX_QUEUED_COMMANDS), and one indexSession is a multi-command MULTI.
    const batch = 50;
    for (let i = 0; i < count; i += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, count - i) }, async (_, j) => {
          const id = `bench-${i + j}`;
          await setStored(backend.store, id, session);
          await writes.saveTokens(id, tokens);
          await backend.indexSession(id, { sub: session.user!.sub, sid: session.user!.sid }, config.session.absoluteTimeoutSec);
        }),
      );
    }
  } finally {
    await backend.close();
  }
  return (Date.now() - started) / 1000;
}

/** One GET's body, failing the run on anything but 200. */
async function body(url: string, headers: Record<string, string>): Promise<{ text: string; res: Response }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return { text, res };
}

/** Mean CPU time of the RP process per complete sign-in, then the header weight of a sign-in and of a signed-in page. */
async function signInRow(rp: string, server: ServerProcess, provider: TestProvider, pagePath: string): Promise<SignInRow> {
  const before = await server.usage();
  for (let i = 0; i < SIGN_INS; i++) await signIn(server.url, provider);
  const cpuMs = ((await server.usage()).cpuMicros - before.cpuMicros) / 1000 / SIGN_INS;
  const signedIn = await signIn(server.url, provider);
  const { res } = await body(`${server.url}${pagePath}`, { cookie: signedIn.cookie, accept: JSON_ACCEPT });
  return {
    rp,
    cpuMs,
    callbackHeaderBytes: signedIn.callbackHeaderBytes,
    callbackSetCookieBytes: signedIn.callbackSetCookieBytes,
    pageHeaderBytes: headerBytes(res).total,
    cookieHeaderBytes: 'cookie'.length + signedIn.cookie.length + 4,
  };
}

/** Runs fn against a server, stopping it afterwards whatever happens. */
async function using<T>(server: Promise<ServerProcess>, fn: (s: ServerProcess) => Promise<T>): Promise<T> {
  const s = await server;
  try {
    return await fn(s);
  } finally {
    await s.stop();
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = os.loadavg()[0] ?? NaN;
  const log = (msg: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${msg}\n`);
  log('npm run build');
  const build = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('the build failed');

  const provider = await startProvider('certified');
  const redis = await startRedis();
  const dirs: string[] = [];
  const dataDir = () => {
    dirs.push(mkdtempSync(path.join(os.tmpdir(), 'lzc-oidc-bench-')));
    return dirs.at(-1)!;
  };
  const run = (url: string, accept: string, cookie = '') => load(url, { accept, ...(cookie && { cookie }) }, SECONDS, CONNECTIONS);
  const host: LoadRow[] = [];
  const reference: LoadRow[] = [];
  const signIns: SignInRow[] = [];
  const stored: StoredRow[] = [];
  try {
    // Host app with lazycatAuth(), one process per store (the sign-in limit off: SIGN_INS sign-ins from one address).
    const withAuth: Record<string, { me: LoadResult; anonymous: LoadResult }> = {};
    let meBody = '';
    for (const store of [
      { name: 'sqlite', env: { SESSION_STORE: 'sqlite', DATA_DIR: dataDir() }, fill: true },
      { name: 'redis', env: { SESSION_STORE: 'redis', REDIS_URL: redis.url }, fill: true },
      { name: 'memory', env: { SESSION_STORE: 'memory' }, fill: false },
    ]) {
      log(`host app with lazycatAuth(), ${store.name}`);
      const port = await freePort();
      const env = appEnv(provider, port, store.env, { rateLimit: false });
      withAuth[store.name] = await using(spawnServer([SERVERS, 'host-auth'], env, '/public', port), async (app) => {
        signIns.push(await signInRow(`lzc-oidc host app (${store.name})`, app, provider, '/me'));
        const { cookie } = await signIn(app.url, provider);
        meBody ||= (await body(`${app.url}/me`, { cookie, accept: JSON_ACCEPT })).text;
        const rssBefore = (await app.usage()).rss;
        const fill = store.fill && STORED_SESSIONS > 0 ? (log(`storing ${STORED_SESSIONS} sessions in ${store.name}`), await storeSessions(env, cookie, STORED_SESSIONS)) : undefined;
        const anonymous = await run(`${app.url}/public`, JSON_ACCEPT);
        const me = await run(`${app.url}/me`, JSON_ACCEPT, cookie);
        if (fill !== undefined) {
          const storage =
            store.name === 'sqlite'
              ? `DB file ${mb(fileSize(path.join(store.env.DATA_DIR!, SESSION_DB_FILE)))} + WAL ${mb(fileSize(path.join(store.env.DATA_DIR!, `${SESSION_DB_FILE}-wal`)))}`
              : `Redis used_memory ${mb(await redisUsedMemory(redis.url))}`;
          stored.push({ store: store.name, rssBefore, rssAfter: (await app.usage()).rss, storage, seconds: fill });
        }
        return { me, anonymous };
      });
    }
    log('host app without lazycatAuth()');
    const bareHost = await using(spawnServer([SERVERS, 'host'], { BENCH_BODY: meBody }, '/public'), async (app) => ({
      anonymous: await run(`${app.url}/public`, JSON_ACCEPT),
      me: await run(`${app.url}/me`, JSON_ACCEPT),
    }));
    const vsHost = (r: LoadResult, base: LoadResult) => ({ name: 'of the app without', ratio: r.rps / base.rps });
    host.push({ app: 'without lazycatAuth()', route: 'GET /public', store: '—', result: bareHost.anonymous });
    host.push({ app: 'with lazycatAuth()', route: 'GET /public, no cookie', store: 'sqlite', result: withAuth.sqlite!.anonymous, against: vsHost(withAuth.sqlite!.anonymous, bareHost.anonymous) });
    host.push({ app: 'without lazycatAuth()', route: 'GET /me', store: '—', result: bareHost.me });
    for (const [store, r] of Object.entries(withAuth)) {
      host.push({ app: 'with lazycatAuth()', route: 'GET /me, signed in, requireAuth()', store: `${store}${store !== 'memory' && STORED_SESSIONS ? ` (${STORED_SESSIONS.toLocaleString('en')} sessions)` : ''}`, result: r.me, against: vsHost(r.me, bareHost.me) });
    }

    log(`reference app (${PRODUCTION_START}), sqlite`);
    const ref = await using(startAppProcess(provider, { SESSION_STORE: 'sqlite', DATA_DIR: dataDir() }, { entry: PRODUCTION_START, rateLimit: false }), async (app) => {
      const { cookie } = await signIn(app.url, provider);
      const html = (await body(`${app.url}/profile`, { cookie, accept: HTML_ACCEPT })).text;
      const json = (await body(`${app.url}/profile`, { cookie, accept: JSON_ACCEPT })).text;
      const idle = (await app.usage()).rss;
      const cpu = await signInRow('lzc-oidc reference app (sqlite)', app, provider, '/profile');
      const rows = { html: await run(`${app.url}/profile`, HTML_ACCEPT, cookie), json: await run(`${app.url}/profile`, JSON_ACCEPT, cookie), healthz: await run(`${app.url}/healthz`, JSON_ACCEPT) };
      return { html, json, idle, cpu, rows, after: (await app.usage()).rss };
    });
    signIns.unshift(ref.cpu);

    log('express-openid-connect');
    const eocEnv = { ISSUER: provider.issuer, CLIENT_ID: provider.clientId, CLIENT_SECRET: provider.clientSecret };
    const eoc = await using(spawnServer([SERVERS, 'eoc'], eocEnv, '/ready'), async (app) => {
      const { cookie } = await signIn(app.url, provider);
      const rows = { html: await run(`${app.url}/profile`, HTML_ACCEPT, cookie), json: await run(`${app.url}/profile`, JSON_ACCEPT, cookie) };
      signIns.push(await signInRow('express-openid-connect', app, provider, '/profile'));
      return { ...rows, rss: (await app.usage()).rss };
    });

    log('bare express');
    const bare = await using(spawnServer([SERVERS, 'bare'], { BENCH_BODY: ref.json, BENCH_HTML: ref.html }, '/profile'), async (app) => ({
      html: await run(`${app.url}/profile`, HTML_ACCEPT),
      json: await run(`${app.url}/profile`, JSON_ACCEPT),
      rss: (await app.usage()).rss,
    }));
    const vsBare = (r: LoadResult, b: LoadResult) => ({ name: 'of bare', ratio: r.rps / b.rps });
    reference.push(
      { app: 'reference app', route: 'GET /profile, HTML', store: 'sqlite', result: ref.rows.html, against: vsBare(ref.rows.html, bare.html), rss: ref.after },
      { app: 'reference app', route: 'GET /profile, JSON', store: 'sqlite', result: ref.rows.json, against: vsBare(ref.rows.json, bare.json) },
      { app: 'reference app', route: 'GET /healthz, no cookie', store: '—', result: ref.rows.healthz },
      { app: 'express-openid-connect 3', route: 'GET /profile, HTML', store: 'its cookie session', result: eoc.html, against: vsBare(eoc.html, bare.html), rss: eoc.rss },
      { app: 'express-openid-connect 3', route: 'GET /profile, JSON', store: 'its cookie session', result: eoc.json, against: vsBare(eoc.json, bare.json) },
      { app: 'bare Express 5', route: 'GET /profile, HTML', store: '—', result: bare.html, rss: bare.rss },
      { app: 'bare Express 5', route: 'GET /profile, JSON', store: '—', result: bare.json },
    );

    // Fresh processes with the default sign-in limit: what one address (a NAT, an office, the box's ingress) gets.
    const waveOn = (concurrency: number) =>
      using(startAppProcess(provider, { SESSION_STORE: 'sqlite', DATA_DIR: dataDir() }, { entry: PRODUCTION_START }), async (app) => {
        const w = await signInWave(app.url, provider, concurrency, WAVE.count);
        return { ...w, count: WAVE.count, refused: w.errors.filter((e) => e.includes('answered 429')).length };
      });
    log(`${WAVE.count} sequential sign-ins`);
    const sequential = await waveOn(1);
    log(`${WAVE.count} sign-ins, ${WAVE.concurrency} at a time`);
    const concurrent = { ...(await waveOn(WAVE.concurrency)), concurrency: WAVE.concurrency };

    const ratio = (a: LoadResult, b: LoadResult) => a.rps / b.rps;
    process.stdout.write(
      render({
        loadAtStart,
        seconds: SECONDS,
        connections: CONNECTIONS,
        storedSessions: STORED_SESSIONS,
        signInsForCpu: SIGN_INS,
        host,
        reference,
        ratios: {
          anonymous: ratio(withAuth.sqlite!.anonymous, bareHost.anonymous),
          sqlite: ratio(withAuth.sqlite!.me, bareHost.me),
          redis: ratio(withAuth.redis!.me, bareHost.me),
          memory: ratio(withAuth.memory!.me, bareHost.me),
          html: ratio(ref.rows.html, bare.html),
          htmlVsEoc: ratio(ref.rows.html, eoc.html),
          json: ratio(ref.rows.json, bare.json),
        },
        memory: { idle: ref.idle, after: ref.after },
        referenceCpuMs: ref.cpu.cpuMs,
        signIns,
        stored,
        waves: { sequential, concurrent },
      }) + '\n',
    );
  } finally {
    await redis.stop();
    await provider.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
  log('done');
}

await main();
// The provider's and clients' keep-alive sockets would otherwise keep the run open for a while.
process.exit(0);
