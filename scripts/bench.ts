// npm run bench: one run on this machine, printed as markdown. Every server under test (this app with each
// session store, a bare Express handler, express-openid-connect) runs in its own child process on 127.0.0.1;
// the load generator (autocannon) and the OpenID provider run in this process, so the app's CPU and memory
// figures are its own. Numbers only: nothing here asserts a speed.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pino from 'pino';
import { loadConfig, type Env } from '../src/config/load.ts';
import { createSessionBackend } from '../src/sessions/index.ts';
import { getStored, sessionWrites, setStored } from '../src/sessions/writes.ts';
import { tokenCipher } from '../src/sessions/tokenCipher.ts';
import { freePort } from '../test/fixtures/app.ts';
import { envFor, sessionIdOf } from '../test/fixtures/stack.ts';
import { parseCookies } from '../src/security/cookies.ts';
import { SESSION_DB_FILE } from '../src/sessions/sqlite.ts';
import { startProvider, type TestProvider } from '../test/fixtures/provider.ts';
import { loginAtProvider, ProviderBrowser } from '../test/fixtures/providerLogin.ts';
import { startRedis } from '../test/fixtures/redis.ts';
import { until } from '../test/fixtures/until.ts';
import { createClient } from 'redis';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SELF = fileURLToPath(import.meta.url);
const LOAD_SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = 20;
// A cap on top of the duration, so a load run is bounded in count as well as in time.
const MAX_REQUESTS_PER_RUN = 2_000_000;
const STORED_SESSIONS = Number(process.env.BENCH_SESSIONS ?? 100_000);
const SIGN_INS = 100;
const SESSION_SECRET = 'bench-session-secret-bench-session-secret';

// Loaded into every child with --import: answers "usage" over IPC with the child's own CPU time and RSS.
// The channel is unref'd so it never keeps a child alive by itself.
const USAGE_HOOK = `data:text/javascript,${encodeURIComponent(
  'process.on("message",(m)=>{if(m==="usage")process.send({cpuMicros:(({user,system})=>user+system)(process.cpuUsage()),rss:process.memoryUsage.rss()})});process.channel?.unref();',
)}`;

export interface Usage {
  cpuMicros: number;
  rss: number;
}

export interface ServerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  usage(): Promise<Usage>;
  /** SIGTERM (graceful shutdown), SIGKILL if it is still there after 10 s. */
  stop(): Promise<void>;
  /** SIGKILL: a crash. */
  kill9(): Promise<void>;
}

/** Resolves with the process's exit, or after ms (so a shutdown can never hang the run). */
function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return Promise.race([once(child, 'exit').then(() => true), new Promise<boolean>((r) => setTimeout(r, ms, false).unref())]);
}

/** Starts `node <args>` on a free loopback port and waits until `readyPath` answers 200. */
export async function spawnServer(args: string[], env: Env, readyPath: string, port?: number): Promise<ServerProcess> {
  port ??= await freePort();
  const child = spawn(process.execPath, ['--import', USAGE_HOOK, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  await until(async () => {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited (${child.exitCode}): ${stderr}`);
    return fetch(url + readyPath).then((r) => r.status === 200, () => false);
  }, `${args.join(' ')} to be ready at ${url}${readyPath}`, 30_000);
  return {
    url,
    port,
    child,
    async usage() {
      const reply = once(child, 'message') as Promise<[Usage]>;
      child.send('usage');
      const [usage] = await Promise.race([reply, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no usage reply')), 5000).unref())]);
      return usage;
    },
    async stop() {
      child.kill('SIGTERM');
      if (!(await exited(child, 10_000))) {
        child.kill('SIGKILL');
        await exited(child, 5000);
      }
    },
    async kill9() {
      child.kill('SIGKILL');
      await exited(child, 5000);
    },
  };
}

/** The environment a user would give this app to use `provider`, in production mode. */
export function appEnv(provider: TestProvider, port: number, store: Env): Env {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    ...envFor(provider),
    OIDC_REDIRECT_URI: `http://127.0.0.1:${port}/callback`,
    SESSION_SECRET,
    ...store,
  };
}

/** This app as users run it (src/app/server.ts), with the given store settings. */
export async function startAppProcess(provider: TestProvider, store: Env, port?: number): Promise<ServerProcess> {
  port ??= await freePort();
  return spawnServer(['src/app/server.ts'], appEnv(provider, port, store), '/readyz', port);
}

/** Header bytes as sent on the wire (name: value CRLF), Set-Cookie lines included one by one. */
function headerBytes(res: Response): { total: number; setCookie: number } {
  let total = 0;
  res.headers.forEach((value, name) => {
    if (name !== 'set-cookie') total += name.length + value.length + 4;
  });
  const setCookie = res.headers.getSetCookie().reduce((sum, line) => sum + 'set-cookie'.length + line.length + 4, 0);
  return { total: total + setCookie, setCookie };
}

export interface SignedIn {
  /** The Cookie header the browser sends afterwards. */
  cookie: string;
  callbackHeaderBytes: number;
  callbackSetCookieBytes: number;
}

/**
 * One browser signing in: /login at the RP, the provider's form, the callback at the RP. Works for any
 * RP that redirects with a code in the query (this app, express-openid-connect in code flow).
 */
export async function signIn(appUrl: string, provider: TestProvider, username?: string): Promise<SignedIn> {
  const user = provider.users.find((u) => u.username === username) ?? provider.users[0]!;
  const jar = new ProviderBrowser(); // only the RP's cookies; the provider gets its own jar below
  const login = await jar.request(`${appUrl}/login`);
  await login.body?.cancel();
  const location = login.headers.get('location');
  if (login.status < 300 || login.status > 399 || !location) throw new Error(`/login answered ${login.status}`);
  const callback = await loginAtProvider(new URL(location, appUrl).href, user);
  const done = await jar.request(callback);
  await done.body?.cancel();
  if (done.status < 300 || done.status > 399) throw new Error(`callback answered ${done.status}`);
  const bytes = headerBytes(done);
  return {
    cookie: jar.cookieHeader(),
    callbackHeaderBytes: bytes.total,
    callbackSetCookieBytes: bytes.setCookie,
  };
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Non-2xx answers plus connection errors and timeouts. */
  failures: number;
}

/** Fixed-duration GETs from `connections` keep-alive connections, stopped early at MAX_REQUESTS_PER_RUN. */
export async function load(url: string, headers: Record<string, string>, seconds: number, connections = CONNECTIONS): Promise<LoadResult> {
  let answered = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const run = autocannon({ url, headers, duration: seconds, connections }, (err, done) => (err ? reject(err) : resolve(done)));
    run.on('response', () => {
      if (++answered === MAX_REQUESTS_PER_RUN) run.stop();
    });
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/** CPU, memory, OS and Node, plus the 1-minute load average when the run began: other work on the machine skews every number. */
export function machine(loadAtStart: number): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${os.release()}, Node ${process.version}; load average ${loadAtStart.toFixed(1)} when the run began`;
}

const fileSize = (file: string): number => statSync(file, { throwIfNoEntry: false })?.size ?? 0;

export const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`;

export function table(head: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

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
 * Fills the store with copies of a real signed-in session (same user, tokens and size) through the app's
 * own backend code, as many sign-ins would: express-session's store.set, the tokens beside it and the owner index.
 */
async function storeSessions(env: Env, cookieHeader: string, count: number): Promise<number> {
  const config = loadConfig({ ...env, PORT: '0' });
  const template = sessionIdOf(parseCookies(cookieHeader).get(config.session.cookieName) ?? '');
  const backend = await createSessionBackend(config.session, pino({ level: 'silent' }));
  const started = Date.now();
  try {
    const writes = sessionWrites(backend, config.session.absoluteTimeoutSec, tokenCipher(config.session.secrets));
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
          await backend.indexSession(id, { sub: session.user.sub, sid: session.user.sid }, config.session.absoluteTimeoutSec);
        }),
      );
    }
  } finally {
    await backend.close();
  }
  return (Date.now() - started) / 1000;
}

/** Mean CPU time of the RP process per complete sign-in; the provider runs in this process and is not counted. */
async function cpuPerSignIn(server: ServerProcess, provider: TestProvider): Promise<number> {
  const before = await server.usage();
  for (let i = 0; i < SIGN_INS; i++) await signIn(server.url, provider);
  const after = await server.usage();
  return (after.cpuMicros - before.cpuMicros) / 1000 / SIGN_INS;
}

/** CPU per sign-in, then the header weight of one browser's sign-in and of a signed-in page. */
async function signInRow(name: string, server: ServerProcess, provider: TestProvider, signedIn: SignedIn): Promise<Array<string | number>> {
  const cpuMs = await cpuPerSignIn(server, provider);
  const res = await fetch(`${server.url}/profile`, { headers: { cookie: signedIn.cookie, accept: 'application/json' } });
  await res.text();
  if (res.status !== 200) throw new Error(`/profile answered ${res.status}`);
  const cookieHeader = 'cookie'.length + signedIn.cookie.length + 4;
  return [name, cpuMs.toFixed(2), signedIn.callbackHeaderBytes, signedIn.callbackSetCookieBytes, headerBytes(res).total, cookieHeader];
}

// ---- the comparison servers, started as `node scripts/bench.ts --serve <role>` ----

async function serveBare(): Promise<void> {
  const { default: express } = await import('express');
  const body = JSON.parse(process.env.BENCH_BODY ?? '{}') as unknown;
  const app = express();
  app.get('/profile', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(body);
  });
  app.listen(Number(process.env.PORT), '127.0.0.1');
}

async function serveExpressOpenidConnect(): Promise<void> {
  const { default: express } = await import('express');
  // A CommonJS package whose named exports Node's ESM loader cannot see: load it the CommonJS way.
  const { auth, requiresAuth } = createRequire(import.meta.url)('express-openid-connect') as typeof import('express-openid-connect');
  const port = Number(process.env.PORT);
  const app = express();
  app.get('/ready', (_req, res) => void res.end());
  app.use(
    auth({
      issuerBaseURL: process.env.ISSUER!,
      baseURL: `http://127.0.0.1:${port}`,
      clientID: process.env.CLIENT_ID!,
      clientSecret: process.env.CLIENT_SECRET!,
      secret: SESSION_SECRET,
      authRequired: false,
      idpLogout: false,
      // Code flow (with PKCE) like this app; its default is the implicit id_token + form_post flow.
      authorizationParams: { response_type: 'code', scope: 'openid profile email groups' },
    }),
  );
  app.get('/profile', requiresAuth(), (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    // Its req.oidc, not ours: both libraries declare the same request property.
    const oidc = req.oidc as unknown as import('express-openid-connect').RequestContext;
    res.json({ user: oidc.user, session: { tokenExpiresIn: oidc.accessToken?.expires_in, refreshable: Boolean(oidc.refreshToken) } });
  });
  app.listen(port, '127.0.0.1');
}

// ---- the run ----

interface Row {
  name: string;
  store: string;
  result: LoadResult;
  rss: number;
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = os.loadavg()[0] ?? NaN;
  const log = (msg: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${msg}\n`);
  const provider = await startProvider('certified');
  const redis = await startRedis();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lzc-oidc-bench-'));
  const headers = (cookie: string) => ({ cookie, accept: 'application/json' });
  const rows: Row[] = [];
  const storage: Array<Array<string | number>> = [];
  const perSignIn: Array<Array<string | number>> = [];
  let pageBody = '';
  try {
    const stores: Array<{ name: string; env: Env; fill: boolean }> = [
      { name: 'sqlite', env: { SESSION_STORE: 'sqlite', DATA_DIR: dataDir }, fill: true },
      { name: 'redis', env: { SESSION_STORE: 'redis', REDIS_URL: redis.url }, fill: true },
      { name: 'memory', env: { SESSION_STORE: 'memory' }, fill: false },
    ];
    for (const store of stores) {
      log(`lzc-oidc with ${store.name}`);
      const app = await startAppProcess(provider, store.env);
      try {
        const signedIn = await signIn(app.url, provider);
        const page = await fetch(`${app.url}/profile`, { headers: headers(signedIn.cookie) });
        pageBody ||= await page.text();
        if (page.status !== 200) throw new Error(`/profile answered ${page.status}`);
        const idle = await app.usage();
        let label = 'empty';
        let filled: { seconds: number } | undefined;
        if (store.fill) {
          log(`storing ${STORED_SESSIONS} sessions in ${store.name}`);
          filled = { seconds: await storeSessions(appEnv(provider, app.port, store.env), signedIn.cookie, STORED_SESSIONS) };
          label = `${STORED_SESSIONS.toLocaleString('en')} sessions`;
        }
        const result = await load(`${app.url}/profile`, headers(signedIn.cookie), LOAD_SECONDS);
        const rss = (await app.usage()).rss;
        rows.push({ name: 'lzc-oidc', store: `${store.name} (${label})`, result, rss });
        if (filled) {
          const size =
            store.name === 'sqlite'
              ? `DB file ${mb(fileSize(path.join(dataDir, SESSION_DB_FILE)))} + WAL ${mb(fileSize(path.join(dataDir, `${SESSION_DB_FILE}-wal`)))}`
              : `Redis used_memory ${mb(await redisUsedMemory(redis.url))}`;
          storage.push([store.name, mb(idle.rss), mb(rss), size, `${filled.seconds.toFixed(1)} s`]);
        }
        log(`sign-in CPU with ${store.name}`);
        perSignIn.push(await signInRow(`lzc-oidc (${store.name})`, app, provider, signedIn));
      } finally {
        await app.stop();
      }
    }

    log('express-openid-connect');
    const eoc = await spawnServer([SELF, '--serve', 'eoc'], { ISSUER: provider.issuer, CLIENT_ID: provider.clientId, CLIENT_SECRET: provider.clientSecret }, '/ready');
    try {
      const signedIn = await signIn(eoc.url, provider);
      const result = await load(`${eoc.url}/profile`, headers(signedIn.cookie), LOAD_SECONDS);
      rows.push({ name: 'express-openid-connect 3', store: 'its default cookie session', result, rss: (await eoc.usage()).rss });
      perSignIn.push(await signInRow('express-openid-connect', eoc, provider, signedIn));
    } finally {
      await eoc.stop();
    }

    log('bare express');
    const bare = await spawnServer([SELF, '--serve', 'bare'], { BENCH_BODY: pageBody }, '/profile');
    try {
      rows.push({ name: 'bare Express 5 handler', store: 'none', result: await load(`${bare.url}/profile`, headers(''), LOAD_SECONDS), rss: (await bare.usage()).rss });
    } finally {
      await bare.stop();
    }
  } finally {
    await redis.stop();
    await provider.close();
    rmSync(dataDir, { recursive: true, force: true });
  }

  const bareRps = rows.find((r) => r.name.startsWith('bare'))?.result.rps ?? NaN;
  const out = [
    `## Benchmark, ${new Date().toISOString().slice(0, 10)}`,
    '',
    `Machine: ${machine(loadAtStart)}. Load: autocannon in the parent process, ${CONNECTIONS} keep-alive connections, ${LOAD_SECONDS} s per row, 127.0.0.1; each server in its own child process (this app as \`node src/app/server.ts\`, NODE_ENV=production, default LOG_LEVEL=info, so one request log line each, to /dev/null).`,
    '',
    `### Signed-in JSON page: GET /profile, Accept: application/json (${pageBody.length}-byte body)`,
    '',
    table(
      ['server', 'session store', 'requests/s', 'p50 ms', 'p99 ms', 'vs bare', 'failed', 'server RSS after'],
      rows.map((r) => [r.name, r.store, Math.round(r.result.rps), r.result.p50, r.result.p99, `${((r.result.rps / bareRps) * 100).toFixed(0)} %`, r.result.failures, mb(r.rss)]),
    ),
    '',
    `### ${STORED_SESSIONS.toLocaleString('en')} stored sessions`,
    '',
    'Copies of a real signed-in session (user, tokens, owner index), inserted through the app\'s own backend code (express-session store.set + indexSession) from the bench process while the app runs; RSS is the app process after the load row above.',
    '',
    table(['store', 'app RSS, 1 session', `app RSS, ${STORED_SESSIONS.toLocaleString('en')} sessions`, 'storage', 'insert time'], storage),
    '',
    `### Per sign-in and header weight`,
    '',
    `CPU: user+system time of the RP process only (process.cpuUsage() read in the child over IPC), over ${SIGN_INS} sequential complete sign-ins (/login, provider form, /callback incl. token exchange, ID-token check and, for lzc-oidc, userinfo); the provider runs in the bench process, so none of its work is counted. Header bytes: name + value + 4 per header line as sent.`,
    '',
    table(['RP', 'CPU ms per sign-in', 'callback response header bytes', 'of which Set-Cookie', 'signed-in page response header bytes', 'Cookie request header bytes'], perSignIn),
    '',
  ].join('\n');
  process.stdout.write(out + '\n');
  log('done');
}

if (process.argv[2] === '--serve') {
  await (process.argv[3] === 'eoc' ? serveExpressOpenidConnect() : serveBare());
} else if (import.meta.main) {
  await main();
  // The provider's and clients' keep-alive sockets would otherwise keep the run open for a while.
  process.exit(0);
}
