// npm run soak (not part of npm test): sign-in waves, sustained signed-in traffic and fault drills against
// this app as users run it (`node src/app/server.ts` in a child process), a local provider and a real Redis,
// all on 127.0.0.1. Prints a markdown table and stops by itself; every loop is bounded in count and time.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../test/fixtures/app.ts';
import { startProvider } from '../test/fixtures/provider.ts';
import { until } from '../test/fixtures/until.ts';
import { startRedis } from '../test/fixtures/redis.ts';
import { load, machine, mb, signIn, signInWave, startAppProcess, table, type ServerProcess } from './bench/harness.ts';

const TRAFFIC_SECONDS = Number(process.env.SOAK_SECONDS ?? 30);
const WAVES = [
  { concurrency: 1, count: 50 },
  { concurrency: 20, count: 300 },
  { concurrency: 50, count: 500 },
];
const RECOVERY_DEADLINE_MS = 30_000;
const KILL9_SESSIONS = 20;
const CONNECTIONS = 20;

type Row = [check: string, result: string, expected: string, ok: boolean];

const profile = (url: string, cookie: string, accept = 'application/json') => fetch(`${url}/profile`, { headers: { cookie, accept } });
const statusOf = async (res: Promise<Response>) => {
  const r = await res;
  await r.body?.cancel();
  return r.status;
};
/** Polls until `check` holds (bounded), returning the seconds it took. */
async function recovery(check: () => Promise<boolean>, what: string): Promise<number> {
  const started = Date.now();
  await until(() => check().catch(() => false), what, RECOVERY_DEADLINE_MS);
  return (Date.now() - started) / 1000;
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = os.loadavg()[0] ?? NaN;
  const log = (msg: string) => process.stderr.write(`[soak ${((Date.now() - started) / 1000).toFixed(0)}s] ${msg}\n`);
  const rows: Row[] = [];
  const row = (...r: Row) => {
    rows.push(r);
    log(`${r[3] ? 'ok  ' : 'FAIL'} ${r[0]}: ${r[1]}`);
  };

  // The provider is restarted in a drill, so it gets a fixed issuer and client that a restart keeps.
  const issuer = `http://127.0.0.1:${await freePort()}`;
  const first = await startProvider('certified', { options: { issuer } });
  const sameProvider = () =>
    startProvider('certified', { options: { issuer }, client: { clientId: first.clientId, clientSecret: first.clientSecret } });
  let provider = first;
  const redis = await startRedis({ persistent: true });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lzc-oidc-soak-'));
  const sqliteEnv = { SESSION_STORE: 'sqlite', DATA_DIR: dataDir };
  const apps: ServerProcess[] = [];
  try {
    let app = await startAppProcess(provider, sqliteEnv);
    apps.push(app);
    const rssStart = (await app.usage()).rss;

    for (const wave of WAVES) {
      log(`sign-ins at concurrency ${wave.concurrency}`);
      const r = await signInWave(app.url, provider, wave.concurrency, wave.count);
      row(
        `sign-ins, concurrency ${wave.concurrency} (SQLite)`,
        `${r.completed}/${wave.count} in ${r.seconds.toFixed(1)} s (${(r.completed / r.seconds).toFixed(0)}/s), ${r.errors.length} failed${r.errors[0] ? `: ${r.errors[0].slice(0, 120)}` : ''}`,
        `${wave.count}, 0 failed`,
        r.completed === wave.count && r.errors.length === 0,
      );
    }

    log(`signed-in traffic for ${TRAFFIC_SECONDS} s`);
    const { cookie } = await signIn(app.url, provider);
    const traffic = await load(`${app.url}/profile`, { cookie, accept: 'application/json' }, TRAFFIC_SECONDS, CONNECTIONS);
    row(
      `signed-in GET /profile for ${TRAFFIC_SECONDS} s, ${CONNECTIONS} connections`,
      `${traffic.requests} requests, ${Math.round(traffic.rps)}/s, p99 ${traffic.p99} ms, ${traffic.failures} failed`,
      '0 failed',
      traffic.failures === 0 && traffic.requests > 0,
    );

    log('drill: provider down during traffic');
    const during = load(`${app.url}/profile`, { cookie, accept: 'application/json' }, 6, CONNECTIONS);
    await provider.close();
    // The app re-probes the provider at most every few seconds, so the first /login may still redirect.
    let login = { status: 0, body: '' };
    const noticed = await recovery(async () => {
      const res = await fetch(`${app.url}/login`, { redirect: 'manual', headers: { accept: 'text/html' } });
      login = { status: res.status, body: await res.text() };
      return res.status === 503;
    }, '/login to show the unavailable page').catch(() => NaN);
    row(
      'provider down: GET /login',
      `${login.status} after ${noticed.toFixed(1)} s`,
      '503 unavailable page',
      login.status === 503 && login.body.includes('OIDC_PROVIDER_UNAVAILABLE'),
    );
    const outage = await during;
    row(
      'provider down: signed-in traffic (6 s)',
      `${outage.requests} requests, ${outage.failures} failed`,
      '0 failed',
      outage.failures === 0 && outage.requests > 0,
    );
    provider = await sameProvider();
    const back = await recovery(async () => Boolean(await signIn(app.url, provider)), 'a sign-in to work after the provider returned');
    row('provider back: first complete sign-in', `after ${back.toFixed(1)} s, no app restart`, 'recovers by itself', true);

    log('drill: kill -9 of the app with SQLite');
    const browsers = await Promise.all(Array.from({ length: KILL9_SESSIONS }, () => signIn(app.url, provider)));
    const rssEnd = (await app.usage()).rss;
    await app.kill9();
    app = await startAppProcess(provider, sqliteEnv, { port: app.port });
    apps.push(app);
    const kept = (await Promise.all(browsers.map((b) => statusOf(profile(app.url, b.cookie))))).filter((s) => s === 200).length;
    row(
      'kill -9 and restart (SQLite): sessions still signed in',
      `${kept}/${KILL9_SESSIONS}`,
      `${KILL9_SESSIONS}/${KILL9_SESSIONS}`,
      kept === KILL9_SESSIONS,
    );
    row('app RSS (SQLite instance), start → end', `${mb(rssStart)} → ${mb(rssEnd)}`, 'reported', true);

    log('drill: Redis restarted');
    const onRedis = await startAppProcess(provider, { SESSION_STORE: 'redis', REDIS_URL: redis.url });
    apps.push(onRedis);
    const signed = await signIn(onRedis.url, provider);
    await redis.stop();
    const down = await profile(onRedis.url, signed.cookie);
    const downBody = (await down.json()) as { error?: { code?: string } };
    const health = await statusOf(fetch(`${onRedis.url}/healthz`));
    const ready = await statusOf(fetch(`${onRedis.url}/readyz`));
    row(
      'Redis down: /profile, /readyz, /healthz',
      `${down.status} ${downBody.error?.code ?? ''}, ${ready}, ${health}`,
      '503 SESSION_STORE_UNAVAILABLE, 503, 200',
      down.status === 503 && downBody.error?.code === 'SESSION_STORE_UNAVAILABLE' && ready === 503 && health === 200,
    );
    await redis.restart();
    const redisBack = await recovery(
      async () => (await statusOf(profile(onRedis.url, signed.cookie))) === 200,
      'the same session to work after Redis returned',
    );
    row('Redis back: the same session signed in again', `after ${redisBack.toFixed(1)} s, no app restart`, 'recovers by itself', true);
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    row(
      'soak run',
      `aborted: ${String(err).slice(0, 200)}${cause instanceof Error ? ` (${cause.message.slice(0, 200)})` : ''}`,
      'completes',
      false,
    );
    log(String((err as Error).stack));
  } finally {
    await Promise.all(apps.map((a) => a.stop()));
    await provider.close().catch(() => {});
    await redis.close();
    rmSync(dataDir, { recursive: true, force: true });
  }

  const failed = rows.filter((r) => !r[3]).length;
  process.stdout.write(
    [
      `## Soak, ${new Date().toISOString().slice(0, 10)}`,
      '',
      `Machine: ${machine(loadAtStart)}. The app is \`node src/app/server.ts\` (NODE_ENV=production) in a child process; provider (certified profile), Redis (append-only, fsync always) and load generator on 127.0.0.1. Total ${((Date.now() - started) / 1000).toFixed(0)} s.`,
      '',
      table(
        ['check', 'result', 'expected', 'ok'],
        rows.map(([c, r, e, ok]) => [c, r, e, ok ? 'yes' : '**no**']),
      ),
      '',
    ].join('\n') + '\n',
  );
  log(failed ? `${failed} check(s) failed` : 'all checks passed');
  process.exit(failed ? 1 : 0);
}

await main();
