// npm run bench:profile [host-auth|ref] [memory|sqlite|redis] [load|signin]: one signed-in load row (or 100
// sequential complete sign-ins) under `node --cpu-prof`, then the functions and packages with the most self
// time. For finding where a request's time goes; prints numbers only.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startProvider } from '../test/fixtures/provider.ts';
import { startRedis } from '../test/fixtures/redis.ts';
import {
  buildDist,
  cpuMsPerSignIn,
  loadServer,
  PRODUCTION_NODE_OPTIONS,
  ROOT,
  signIn,
  startAppProcess,
  startHostAuth,
} from './bench/harness.ts';

const role = process.argv[2] ?? 'host-auth';
const store = process.argv[3] ?? 'memory';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
// Both roles run the per-file build (below), never the bundle.
buildDist({ bundle: false });
const profDir = mkdtempSync(path.join(tmpdir(), 'lzc-prof-'));
const provider = await startProvider('certified');
const redis = store === 'redis' ? await startRedis() : undefined;
const storeEnv =
  store === 'sqlite'
    ? { SESSION_STORE: 'sqlite', DATA_DIR: mkdtempSync(path.join(tmpdir(), 'lzc-prof-data-')) }
    : { SESSION_STORE: store, ...(redis && { REDIS_URL: redis.url }) };
// BENCH_PROFILE=0: the same run without the profiler, for its CPU figure alone.
const profiling = process.env.BENCH_PROFILE !== '0';
const args = profiling ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [];
const server =
  role === 'ref'
    ? // The same code as the production bundle, compiled file by file, so the profile can name the module of each function.
      await startAppProcess(provider, storeEnv, { entry: 'dist/app/server.js', nodeOptions: [...args, ...PRODUCTION_NODE_OPTIONS] })
    : await startHostAuth(provider, storeEnv, args);
const { cookie } = await signIn(server.url, provider);
const route = role === 'ref' ? '/profile' : '/me';
const accept = process.env.ACCEPT ?? 'application/json';
if (process.argv[4] === 'signin') {
  console.log(`${role} ${store}: ${(await cpuMsPerSignIn(server, provider, 100)).toFixed(2)} ms CPU per sign-in`);
} else {
  const r = await loadServer(server, route, { cookie, accept }, SECONDS, 50);
  console.log(
    `${role} ${store} ${route} ${accept}: ${Math.round(r.rps)} req/s, ${r.cpuUs.toFixed(1)} µs CPU/request, failures ${r.failures}`,
  );
}
await server.stop();
await provider.close();
await redis?.stop();

if (!profiling) process.exit(0);

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'))!;
console.log(`profile: ${path.join(profDir, file)}`);
const prof = JSON.parse(readFileSync(path.join(profDir, file), 'utf8')) as { nodes: Node[] };
const total = prof.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0);
const byFn = new Map<string, number>();
const byPkg = new Map<string, number>();
for (const n of prof.nodes) {
  const hits = n.hitCount ?? 0;
  const { functionName, url, lineNumber } = n.callFrame;
  const short = url.replace(/^file:\/\//, '').replace(ROOT + '/', '');
  const key = `${functionName || '(anon)'} ${short}:${lineNumber + 1}`;
  byFn.set(key, (byFn.get(key) ?? 0) + hits);
  const pkg =
    /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(short)?.[1] ??
    (short.startsWith('node:') ? short : short ? short.split('/').slice(0, 2).join('/') : functionName);
  byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + hits);
}
const top = (m: Map<string, number>, n: number) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
    .join('\n');
console.log('\nby package:\n' + top(byPkg, 25) + '\n\nby function:\n' + top(byFn, 45));
