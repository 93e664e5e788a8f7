// npm run bench: one run on this machine, printed as markdown (scripts/bench/report.ts). Every server under
// test runs compiled, in its own child process on 127.0.0.1 (scripts/bench/servers.ts, the reference app's
// production start); the load generator (autocannon) and the OpenID provider run in this process, so the
// servers' CPU and memory figures are their own. Numbers only: nothing here asserts a speed.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startProvider, type TestProvider } from '../test/fixtures/provider.ts';
import { startRedis } from '../test/fixtures/redis.ts';
import {
  appEnv,
  buildDist,
  cpuMsPerSignIn,
  headerBytes,
  loadServer,
  mb,
  PRODUCTION_NODE_OPTIONS,
  PRODUCTION_START,
  SERVERS,
  signIn,
  signInWave,
  spawnServer,
  startAppProcess,
  startHostAuth,
  type ServerProcess,
} from './bench/harness.ts';
import { render, type LoadRow, type Measured, type Paired, type Ratio, type SignInRow, type StoredRow } from './bench/report.ts';
import { redisUsedMemory, sqliteSize, storeSessions } from './bench/stored.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = 50;
// Unmeasured load per row before its rounds: a server's first seconds on a route are its JIT warming up to it.
const WARMUP_SECONDS = 2;
// Pairs loaded at the same moment (see paired()): rounds of PAIRED_SECONDS each.
const PAIRED_ROUNDS = Number(process.env.BENCH_PAIRED_ROUNDS ?? 7);
const PAIRED_SECONDS = 4;
const STORED_SESSIONS = Number(process.env.BENCH_SESSIONS ?? 100_000);
const SIGN_INS = 100;
const WAVE = { count: 200, concurrency: 20 };
const JSON_ACCEPT = 'application/json';
const HTML_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** The cookie a GET sets (name=value), failing the run without one. */
async function firstCookie(url: string): Promise<string> {
  const res = await fetch(url);
  await res.body?.cancel();
  const cookie = res.headers.getSetCookie()[0]?.split(';')[0];
  if (!cookie) throw new Error(`${url} set no cookie`);
  return cookie;
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
  const cpuMs = await cpuMsPerSignIn(server, provider, SIGN_INS);
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

interface Target {
  server: ServerProcess;
  path: string;
  accept: string;
  cookie?: string;
}

/**
 * Loads each target in turn, ROUNDS times over. Rows that are compared run close together in time; each keeps
 * its best round by requests/s, and its lowest server CPU time per request (read from the server process
 * itself, so it is the figure other work on this shared machine disturbs least).
 */
/** One target's load, with its server's CPU time per request. */
const loadTarget = (t: Target, seconds: number, connections: number) =>
  loadServer(t.server, t.path, { accept: t.accept, ...(t.cookie && { cookie: t.cookie }) }, seconds, connections);

async function rounds<K extends string>(targets: Record<K, Target>, log: (msg: string) => void): Promise<Record<K, Measured>> {
  const best = {} as Record<K, Measured>;
  const entries = Object.entries(targets) as Array<[K, Target]>;
  for (const [key, t] of entries) {
    log(`warm-up: ${key}`);
    await loadTarget(t, WARMUP_SECONDS, CONNECTIONS);
  }
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [key, t] of entries) {
      log(`round ${round}/${ROUNDS}: ${key}`);
      const r = await loadTarget(t, SECONDS, CONNECTIONS);
      const previous = best[key];
      best[key] = { ...(previous && previous.rps > r.rps ? previous : r), cpuUs: Math.min(r.cpuUs, previous?.cpuUs ?? Infinity) };
    }
  }
  return best;
}

/** a against b: by requests/s, and by server CPU per request (b's over a's, so both read "a does x× b's work"). */
const ratio = (a: Measured, b: Measured): Ratio => ({ rps: a.rps / b.rps, cpu: b.cpuUs / a.cpuUs });

/**
 * a against b with both loaded at the same moment, half the connections each, PAIRED_ROUNDS times: b's server CPU
 * per request over a's, per round. Rows measured one after the other compare different minutes of this shared
 * VM, whose speed moves by a third from one minute to the next; whatever a round meets, both servers of a pair
 * meet it, so their ratio holds still. Only for servers of about the same cost: loaded at once, a much cheaper
 * one would be the busier, and a server's cost per request moves with how busy it is. (Requests/s are not
 * compared: two servers loaded at once share the cores as the scheduler pleases.)
 */
async function paired(name: string, a: Target, b: Target, log: (msg: string) => void): Promise<Paired> {
  const ratios: number[] = [];
  for (let round = 0; round <= PAIRED_ROUNDS; round++) {
    log(`paired ${round === 0 ? 'warm-up' : `round ${round}/${PAIRED_ROUNDS}`}: ${name}`);
    const [ra, rb] = await Promise.all([a, b].map((t) => loadTarget(t, PAIRED_SECONDS, CONNECTIONS / 2)));
    // Round 0 warms both up together, as the rows' own warm-up does.
    if (round > 0) ratios.push(rb!.cpuUs / ra!.cpuUs);
  }
  return { name, ratios };
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = os.loadavg()[0] ?? NaN;
  const log = (msg: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${msg}\n`);
  log('npm run build');
  buildDist();

  const provider = await startProvider('certified');
  const redis = await startRedis();
  const dirs: string[] = [];
  const dataDir = () => {
    dirs.push(mkdtempSync(path.join(os.tmpdir(), 'lzc-oidc-bench-')));
    return dirs.at(-1)!;
  };
  const servers: ServerProcess[] = [];
  const keep = async (server: Promise<ServerProcess>) => {
    servers.push(await server);
    return servers.at(-1)!;
  };
  const signIns: SignInRow[] = [];
  const stored: StoredRow[] = [];
  try {
    // Host app with lazycatAuth(), one process per store.
    const stores = [
      { name: 'sqlite', env: { SESSION_STORE: 'sqlite', DATA_DIR: dataDir() }, fill: true },
      { name: 'redis', env: { SESSION_STORE: 'redis', REDIS_URL: redis.url }, fill: true },
      { name: 'memory', env: { SESSION_STORE: 'memory' }, fill: false },
    ] as const;
    const withAuth: Record<string, { app: ServerProcess; cookie: string; rssBefore: number; fill?: number }> = {};
    let meBody = '';
    for (const store of stores) {
      log(`host app with lazycatAuth(), ${store.name}: sign-ins`);
      const app = await keep(startHostAuth(provider, store.env));
      const env = appEnv(provider, app.port, store.env);
      signIns.push(await signInRow(`lzc-oidc host app (${store.name})`, app, provider, '/me'));
      const { cookie } = await signIn(app.url, provider);
      meBody ||= (await body(`${app.url}/me`, { cookie, accept: JSON_ACCEPT })).text;
      const rssBefore = (await app.usage()).rss;
      const fill =
        store.fill && STORED_SESSIONS > 0
          ? (log(`storing ${STORED_SESSIONS} sessions in ${store.name}`), await storeSessions(env, cookie, STORED_SESSIONS))
          : undefined;
      withAuth[store.name] = { app, cookie, rssBefore, ...(fill !== undefined && { fill }) };
    }
    // The host app without lazycatAuth, plain or with express-session alone, answering /me with the same bytes.
    const startHost = (role: 'host' | 'host-session') => keep(spawnServer([SERVERS, role], { BENCH_BODY: meBody }, '/public'));
    const bareHost = await startHost('host');
    const sessionOnly = await startHost('host-session');
    const sessionOnlyCookie = await firstCookie(`${sessionOnly.url}/login`);
    const sqlite = withAuth.sqlite!;
    const hostTargets: Record<string, Target> = {
      'public without': { server: bareHost, path: '/public', accept: JSON_ACCEPT },
      'public with': { server: sqlite.app, path: '/public', accept: JSON_ACCEPT },
      'me without': { server: bareHost, path: '/me', accept: JSON_ACCEPT },
      'me session only': { server: sessionOnly, path: '/me', accept: JSON_ACCEPT, cookie: sessionOnlyCookie },
      ...Object.fromEntries(
        stores.map((s) => [
          `me ${s.name}`,
          { server: withAuth[s.name]!.app, path: '/me', accept: JSON_ACCEPT, cookie: withAuth[s.name]!.cookie },
        ]),
      ),
    };
    const hostRuns = await rounds(hostTargets, log);
    for (const store of stores) {
      const s = withAuth[store.name]!;
      if (s.fill === undefined) continue;
      const storage =
        store.name === 'sqlite' ? sqliteSize(store.env.DATA_DIR) : `Redis used_memory ${mb(await redisUsedMemory(redis.url))}`;
      stored.push({ store: store.name, rssBefore: s.rssBefore, rssAfter: (await s.app.usage()).rss, storage, seconds: s.fill });
    }
    // Two fresh processes that serve nothing but this route, with lazycatAuth() (nobody signed in) and without: what
    // the library itself costs an anonymous request, apart from what other traffic (sign-ins, signed-in requests,
    // another route) leaves behind in a process's JIT state (docs/benchmarks.md, session 6).
    const untouched = await keep(startHostAuth(provider, { SESSION_STORE: 'memory' }));
    const untouchedBare = await startHost('host');
    const hostPaired = {
      anonymous: await paired(
        'GET /public: with lazycatAuth() / without',
        hostTargets['public with']!,
        hostTargets['public without']!,
        log,
      ),
      anonymousUntouched: await paired(
        'GET /public, two fresh processes serving only it: with lazycatAuth() (nobody signed in) / without',
        { server: untouched, path: '/public', accept: JSON_ACCEPT },
        { server: untouchedBare, path: '/public', accept: JSON_ACCEPT },
        log,
      ),
    };
    await Promise.all(servers.splice(0).map((s) => s.stop()));

    const vs = (name: string, r: Measured, base: Measured) => ({ name, ...ratio(r, base) });
    const host: LoadRow[] = [
      { app: 'without lazycatAuth()', route: 'GET /public', store: '—', result: hostRuns['public without']! },
      {
        app: 'with lazycatAuth()',
        route: 'GET /public, no cookie',
        store: 'sqlite',
        result: hostRuns['public with']!,
        against: vs('of the app without', hostRuns['public with']!, hostRuns['public without']!),
      },
      { app: 'without lazycatAuth()', route: 'GET /me', store: '—', result: hostRuns['me without']! },
      {
        app: 'without lazycatAuth(), express-session alone (a one-field session)',
        route: 'GET /me, with its cookie',
        store: "express-session's MemoryStore",
        result: hostRuns['me session only']!,
        against: vs('of the app without', hostRuns['me session only']!, hostRuns['me without']!),
      },
      ...stores.map((s) => ({
        app: 'with lazycatAuth()',
        route: 'GET /me, signed in, requireAuth()',
        store: `${s.name}${s.fill && STORED_SESSIONS ? ` (${STORED_SESSIONS.toLocaleString('en')} sessions)` : ''}`,
        result: hostRuns[`me ${s.name}`]!,
        against: vs('of the app without', hostRuns[`me ${s.name}`]!, hostRuns['me without']!),
      })),
    ];

    // The reference app compiled on its own SQLite file, by default as lzc/run.sh starts it.
    const startReference = (nodeOptions = PRODUCTION_NODE_OPTIONS) =>
      startAppProcess(provider, { SESSION_STORE: 'sqlite', DATA_DIR: dataDir() }, { entry: PRODUCTION_START, nodeOptions });
    log(`reference app (node ${PRODUCTION_NODE_OPTIONS.join(' ')} ${PRODUCTION_START}), sqlite; express-openid-connect; bare Express`);
    const ref = await keep(startReference());
    const refCookie = (await signIn(ref.url, provider)).cookie;
    const html = (await body(`${ref.url}/profile`, { cookie: refCookie, accept: HTML_ACCEPT })).text;
    const json = (await body(`${ref.url}/profile`, { cookie: refCookie, accept: JSON_ACCEPT })).text;
    const idle = (await ref.usage()).rss;
    signIns.unshift(await signInRow('lzc-oidc reference app (sqlite)', ref, provider, '/profile'));
    // Not the production start: the same app without its V8 memory options, to show what they save and cost.
    const uncapped = await keep(startReference([]));
    const uncappedCookie = (await signIn(uncapped.url, provider)).cookie;
    const eoc = await keep(
      spawnServer(
        [SERVERS, 'eoc'],
        { ISSUER: provider.issuer, CLIENT_ID: provider.clientId, CLIENT_SECRET: provider.clientSecret },
        '/ready',
      ),
    );
    const eocCookie = (await signIn(eoc.url, provider)).cookie;
    signIns.push(await signInRow('express-openid-connect', eoc, provider, '/profile'));
    const bare = await keep(spawnServer([SERVERS, 'bare'], { BENCH_BODY: json, BENCH_HTML: html }, '/profile'));
    const runs = await rounds(
      {
        'ref html': { server: ref, path: '/profile', accept: HTML_ACCEPT, cookie: refCookie },
        'ref json': { server: ref, path: '/profile', accept: JSON_ACCEPT, cookie: refCookie },
        'ref healthz': { server: ref, path: '/healthz', accept: JSON_ACCEPT },
        'uncapped html': { server: uncapped, path: '/profile', accept: HTML_ACCEPT, cookie: uncappedCookie },
        'eoc html': { server: eoc, path: '/profile', accept: HTML_ACCEPT, cookie: eocCookie },
        'eoc json': { server: eoc, path: '/profile', accept: JSON_ACCEPT, cookie: eocCookie },
        'bare html': { server: bare, path: '/profile', accept: HTML_ACCEPT },
        'bare json': { server: bare, path: '/profile', accept: JSON_ACCEPT },
      },
      log,
    );
    const [refAfter, eocAfter, bareAfter, uncappedAfter] = await Promise.all(
      [ref, eoc, bare, uncapped].map(async (s) => (await s.usage()).rss),
    );
    await Promise.all(servers.splice(0).map((s) => s.stop()));
    // "vs bare" is the bare JSON handler, as in issue 13; the bare HTML row is there to read beside it.
    const bareJson = runs['bare json'];
    const reference: LoadRow[] = [
      {
        app: 'reference app',
        route: 'GET /profile, HTML',
        store: 'sqlite',
        result: runs['ref html'],
        against: vs('of bare JSON', runs['ref html'], bareJson),
        rss: refAfter!,
      },
      {
        app: 'reference app',
        route: 'GET /profile, JSON',
        store: 'sqlite',
        result: runs['ref json'],
        against: vs('of bare JSON', runs['ref json'], bareJson),
      },
      {
        app: 'reference app',
        route: 'GET /healthz, no cookie',
        store: '—',
        result: runs['ref healthz'],
        against: vs('of bare JSON', runs['ref healthz'], bareJson),
      },
      {
        app: `reference app, node without ${PRODUCTION_NODE_OPTIONS.join(' ')}`,
        route: 'GET /profile, HTML',
        store: 'sqlite',
        result: runs['uncapped html'],
        against: vs('of bare JSON', runs['uncapped html'], bareJson),
        rss: uncappedAfter!,
      },
      {
        app: 'express-openid-connect 3',
        route: 'GET /profile, HTML',
        store: 'its cookie session',
        result: runs['eoc html'],
        against: vs('of bare JSON', runs['eoc html'], bareJson),
        rss: eocAfter!,
      },
      {
        app: 'express-openid-connect 3',
        route: 'GET /profile, JSON',
        store: 'its cookie session',
        result: runs['eoc json'],
        against: vs('of bare JSON', runs['eoc json'], bareJson),
      },
      {
        app: 'bare Express 5',
        route: 'GET /profile, HTML',
        store: '—',
        result: runs['bare html'],
        against: vs('of bare JSON', runs['bare html'], bareJson),
        rss: bareAfter!,
      },
      { app: 'bare Express 5', route: 'GET /profile, JSON', store: '—', result: bareJson },
    ];

    // Fresh processes, default settings: what one address (a NAT, an office, the box's ingress) gets.
    const waveOn = (concurrency: number) =>
      using(startReference(), async (app) => {
        const w = await signInWave(app.url, provider, concurrency, WAVE.count);
        return { ...w, count: WAVE.count };
      });
    log(`${WAVE.count} sequential sign-ins`);
    const sequential = await waveOn(1);
    log(`${WAVE.count} sign-ins, ${WAVE.concurrency} at a time`);
    const concurrent = { ...(await waveOn(WAVE.concurrency)), concurrency: WAVE.concurrency };

    process.stdout.write(
      render({
        loadAtStart,
        productionStart: ['node', ...PRODUCTION_NODE_OPTIONS, PRODUCTION_START].join(' '),
        seconds: SECONDS,
        rounds: ROUNDS,
        warmupSeconds: WARMUP_SECONDS,
        connections: CONNECTIONS,
        storedSessions: STORED_SESSIONS,
        signInsForCpu: SIGN_INS,
        host,
        reference,
        ratios: {
          anonymous: ratio(hostRuns['public with']!, hostRuns['public without']!),
          sqlite: ratio(hostRuns['me sqlite']!, hostRuns['me without']!),
          redis: ratio(hostRuns['me redis']!, hostRuns['me without']!),
          memory: ratio(hostRuns['me memory']!, hostRuns['me without']!),
          sessionOnly: ratio(hostRuns['me session only']!, hostRuns['me without']!),
          html: ratio(runs['ref html'], bareJson),
          htmlVsEoc: ratio(runs['ref html'], runs['eoc html']),
          json: ratio(runs['ref json'], bareJson),
        },
        paired: hostPaired,
        pairedRounds: PAIRED_ROUNDS,
        pairedSeconds: PAIRED_SECONDS,
        memory: { idle, after: refAfter! },
        referenceCpuMs: signIns[0]!.cpuMs,
        signIns,
        stored,
        waves: { sequential, concurrent },
      }) + '\n',
    );
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await redis.stop();
    await provider.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
  log('done');
}

await main();
// The provider's and clients' keep-alive sockets would otherwise keep the run open for a while.
process.exit(0);
