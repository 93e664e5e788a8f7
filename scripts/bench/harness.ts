// The process harness shared by `npm run bench` and `npm run soak`: servers in child processes on 127.0.0.1
// (with their own CPU and RSS readable over IPC), a browser's complete sign-in, sign-in waves and fixed-time
// load. Nothing here asserts a speed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { Env } from '../../src/config/load.ts';
import { freePort } from '../../test/fixtures/app.ts';
import { envFor } from '../../test/fixtures/stack.ts';
import type { TestProvider } from '../../test/fixtures/provider.ts';
import { loginAtProvider, ProviderBrowser } from '../../test/fixtures/providerLogin.ts';
import { until } from '../../test/fixtures/until.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The comparison servers (scripts/bench/servers.ts), started as `node <SERVERS> <role>`. */
export const SERVERS = path.join(ROOT, 'scripts', 'bench', 'servers.ts');
// The production start, node options and entry, read from the launcher the package ships, so the bench measures what runs.
const [PRODUCTION_START, PRODUCTION_NODE_OPTIONS] = ((): [string, string[]] => {
  const line = /^exec node (.*?)\s*(dist\/\S+)$/m.exec(readFileSync(path.join(ROOT, 'lzc', 'run.sh'), 'utf8'));
  if (!line) throw new Error('lzc/run.sh: no `exec node … dist/…` line');
  return [line[2]!, line[1]!.split(' ').filter(Boolean)];
})();
export { PRODUCTION_START, PRODUCTION_NODE_OPTIONS };
export const SESSION_SECRET = 'bench-session-secret-bench-session-secret';
// A cap on top of the duration, so a load run is bounded in count as well as in time.
const MAX_REQUESTS_PER_RUN = 2_000_000;
const WAVE_DEADLINE_MS = 120_000;

// Loaded into every child with --import: answers "usage" over IPC with the child's own CPU time and RSS.
// The channel is unref'd so it never keeps a child alive by itself.
const USAGE_HOOK = `data:text/javascript,${encodeURIComponent(
  'process.on("message",(m)=>{if(m==="usage"){const{rss,heapTotal,external}=process.memoryUsage();process.send({cpuMicros:(({user,system})=>user+system)(process.cpuUsage()),rss,heapTotal,external})}});process.channel?.unref();',
)}`;

export interface Usage {
  cpuMicros: number;
  rss: number;
  /** V8's heap as reserved (used and free), and memory outside it (buffers, native objects). */
  heapTotal: number;
  external: number;
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
  await until(
    async () => {
      if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited (${child.exitCode}): ${stderr}`);
      return fetch(url + readyPath).then(
        (r) => r.status === 200,
        () => false,
      );
    },
    `${args.join(' ')} to be ready at ${url}${readyPath}`,
    30_000,
  );
  return {
    url,
    port,
    child,
    async usage() {
      const reply = once(child, 'message') as Promise<[Usage]>;
      child.send('usage');
      const [usage] = await Promise.race([
        reply,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no usage reply')), 5000).unref()),
      ]);
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

/**
 * Compiles the package into dist/ (`npm run build`), which the host-app servers run, and, unless told not to,
 * bundles the reference app into dist/lzcapp/ (`npm run build:app`), which the production start runs.
 */
export function buildDist({ bundle = true } = {}): void {
  const steps = [[path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']];
  if (bundle) steps.push([path.join(ROOT, 'scripts', 'bundleApp.ts')]);
  for (const args of steps) {
    const build = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('the build failed');
  }
}

/**
 * The environment a user would give this app to use `provider`, in production mode.
 */
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

/**
 * The reference app as users run it, with the given store settings: by default `node src/app/server.ts`;
 * `entry: PRODUCTION_START` is the production start (the bundled app, no type stripping); `nodeOptions` go before it.
 */
export async function startAppProcess(
  provider: TestProvider,
  store: Env,
  options: { port?: number; entry?: string; nodeOptions?: string[] } = {},
): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  return spawnServer(
    [...(options.nodeOptions ?? []), options.entry ?? 'src/app/server.ts'],
    appEnv(provider, port, store),
    '/readyz',
    port,
  );
}

/** The minimal host app with app.use(lazycatAuth()) from dist/ (scripts/bench/servers.ts host-auth); `nodeOptions` go first. */
export async function startHostAuth(provider: TestProvider, store: Env, nodeOptions: string[] = []): Promise<ServerProcess> {
  const port = await freePort();
  return spawnServer([...nodeOptions, SERVERS, 'host-auth'], appEnv(provider, port, store), '/public', port);
}

/** Header bytes as sent on the wire (name: value CRLF), Set-Cookie lines included one by one. */
export function headerBytes(res: Response): { total: number; setCookie: number } {
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

/** Mean CPU time of a server process per complete sign-in, over `count` sequential ones from one browser each. */
export async function cpuMsPerSignIn(server: ServerProcess, provider: TestProvider, count: number): Promise<number> {
  const before = await server.usage();
  for (let i = 0; i < count; i++) await signIn(server.url, provider);
  return ((await server.usage()).cpuMicros - before.cpuMicros) / 1000 / count;
}

export interface Wave {
  completed: number;
  errors: string[];
  seconds: number;
}

/** Up to `count` complete sign-ins from 127.0.0.1, `concurrency` at a time, none started after the deadline. */
export async function signInWave(url: string, provider: TestProvider, concurrency: number, count: number): Promise<Wave> {
  const started = Date.now();
  const deadline = started + WAVE_DEADLINE_MS;
  let issued = 0;
  let completed = 0;
  const errors: string[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < count && Date.now() < deadline) {
        issued++;
        await signIn(url, provider).then(
          () => void completed++,
          (err: unknown) => void errors.push(String(err)),
        );
      }
    }),
  );
  return { completed, errors, seconds: (Date.now() - started) / 1000 };
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
export async function load(url: string, headers: Record<string, string>, seconds: number, connections: number): Promise<LoadResult> {
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

/** load() on one server, with that server's own CPU time per request over the run (µs; read from the process itself). */
export async function loadServer(
  server: ServerProcess,
  urlPath: string,
  headers: Record<string, string>,
  seconds: number,
  connections: number,
): Promise<LoadResult & { cpuUs: number }> {
  const before = await server.usage();
  const r = await load(`${server.url}${urlPath}`, headers, seconds, connections);
  return { ...r, cpuUs: ((await server.usage()).cpuMicros - before.cpuMicros) / Math.max(r.requests, 1) };
}

/** CPU, memory, OS and Node, plus the 1-minute load average: other work on the machine skews every number. */
export function machine(loadAtStart: number): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${os.release()}, Node ${process.version}; load average ${loadAtStart.toFixed(1)} when the run began, ${(os.loadavg()[0] ?? NaN).toFixed(1)} when it ended`;
}

export const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`;

export function table(head: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}
