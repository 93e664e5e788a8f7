import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderMiddleware } from '../../../devprovider/providerApp.ts';
import { until } from '../../fixtures/until.ts';
import { refreshGrants } from '../../fixtures/provider.ts';
import { profileStatus, startCluster, type Browser, type Cluster, type Instance } from './cluster.ts';
import { agedTokenInfo } from '../../fixtures/tokens.ts';
import { sessionIdOf } from '../../fixtures/stack.ts';
import { getStored, setStored } from '../../../src/sessions/writes.ts';
import { startRedis, type RedisServer } from '../../fixtures/redis.ts';

const PARALLEL = 20;

/**
 * Holds token-endpoint calls while closed, so the test decides when the first refresh may finish:
 * every racing request is in flight before it does, whatever the machine's speed.
 */
function tokenGate() {
  let open: () => void = () => {};
  let closed: Promise<void> | undefined;
  let held = 0;
  const middleware: ProviderMiddleware = async (ctx, next) => {
    if (closed && ctx.method === 'POST' && ctx.path.endsWith('/token')) {
      held++;
      await closed;
    }
    await next();
  };
  return {
    middleware,
    close() {
      closed = new Promise((resolve) => (open = resolve));
    },
    open() {
      closed = undefined;
      open();
    },
    held: () => held,
  };
}

/** Ages the browser's stored token info until a refresh is due, as time passing would (the store is shared). */
async function dueForRefresh(instance: Instance, browser: Browser): Promise<void> {
  const cookie = browser
    .at(instance)
    .jar.getCookie(instance.config.session.cookieName, { domain: '127.0.0.1', path: '/', secure: false, script: false });
  const id = sessionIdOf(cookie?.value ?? '');
  const data = (await getStored(instance.sessions.store, id))!;
  await setStored(instance.sessions.store, id, { ...data, tokenInfo: agedTokenInfo(data.tokenInfo) });
}

let redis: RedisServer;
let cluster: Cluster;
const gate = tokenGate();
beforeAll(async () => {
  redis = await startRedis({ persistent: true });
  cluster = await startCluster({
    redis,
    provider: { middleware: [gate.middleware] },
    env: { OIDC_SCOPES: 'openid profile email groups offline_access' },
  });
});
afterAll(async () => {
  await cluster?.close();
  await redis?.close();
});

describe('token refresh across two instances', () => {
  it('refreshes exactly once for parallel requests split across A and B, and keeps the rotated refresh token', async () => {
    const { a, b, provider } = cluster;
    const browser = cluster.browser();
    expect((await cluster.signIn(browser, a, b)).status).toBe(303);
    expect(provider.events.token.at(-1)?.params.grant_type).toBe('authorization_code');
    await dueForRefresh(a, browser);

    let arrived = 0;
    const count = (req: { url?: string }) => void (req.url?.startsWith('/profile') && arrived++);
    a.server.on('request', count);
    b.server.on('request', count);
    gate.close();
    const responses = Promise.all(
      Array.from({ length: PARALLEL }, (_, i) =>
        browser
          .at(i % 2 ? b : a)
          .get('/profile')
          .set('Accept', 'application/json')
          .then((r) => r),
      ),
    );
    try {
      await until(() => arrived === PARALLEL && gate.held() === 1, `all ${PARALLEL} requests in and the first refresh at the provider`);
    } finally {
      gate.open();
      a.server.off('request', count);
      b.server.off('request', count);
    }
    const results = await responses;
    expect(results.map((r) => r.status)).toEqual(Array(PARALLEL).fill(200));
    expect(refreshGrants(provider)).toHaveLength(1);
    expect(refreshGrants(provider)[0]?.status).toBe(200);
    // Every request answered with the refreshed token's expiry, none with the old one.
    expect(new Set(results.map((r) => r.body.session.tokenExpiresAt)).size).toBe(1);

    // Due again: with rotation the provider refuses a spent refresh token (and ends the session), so
    // success proves the store kept the newest one.
    const spent = refreshGrants(provider)[0]!.params.refresh_token;
    await dueForRefresh(b, browser);
    const next = await browser.at(b).get('/profile').set('Accept', 'application/json');
    expect(next.status).toBe(200);
    expect(refreshGrants(provider)).toHaveLength(2);
    expect(refreshGrants(provider)[1]?.status).toBe(200);
    expect(refreshGrants(provider)[1]?.params.refresh_token).not.toBe(spent);
    expect((await browser.at(a).get('/profile').set('Accept', 'application/json')).status).toBe(200);
  });

  it('holds its lock for the worst case of every deadline, and releases only its own', async () => {
    const { a, b } = cluster;
    const browser = cluster.browser();
    expect((await cluster.signIn(browser, a, a)).status).toBe(303);
    await dueForRefresh(a, browser);

    // Store-edge fault injection on instance A: while its refresh is finishing, its lock expires and B takes it,
    // right after A last looked at it. Meanwhile every store operation A makes under the lock is counted.
    const kv = a.sessions.kv as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const store = a.sessions.store as unknown as Record<string, (...args: unknown[]) => unknown>;
    const originals = { kv: { ...kv }, store: { get: store.get!, set: store.set!, destroy: store.destroy! } };
    let lock: { key: string; ttlSec: number } | undefined;
    let held = false;
    let opsUnderLock = 0;
    const takeOver = (key: string) => b.sessions.kv.set(key, 'instance B', 60);
    for (const [name, op] of Object.entries(originals.kv)) {
      kv[name] = async (...args) => {
        const key = String(args[0]);
        if (name === 'add' && key.startsWith('lock:refresh:')) [lock, held] = [{ key, ttlSec: Number(args[2]) }, true];
        else if (held) opsUnderLock++;
        if (name === 'release' && key === lock?.key) {
          held = false;
          await takeOver(key);
        }
        const result = await op.apply(kv, args);
        if (name === 'get' && key === lock?.key) await takeOver(key);
        return result;
      };
    }
    for (const [name, op] of Object.entries(originals.store)) {
      store[name] = (...args) => {
        if (held) opsUnderLock++;
        return op.apply(store, args);
      };
    }
    try {
      expect(await profileStatus(browser.at(a))).toBe(200);
    } finally {
      Object.assign(kv, originals.kv);
      Object.assign(store, originals.store);
    }

    expect(lock).toBeDefined();
    expect(await b.sessions.kv.get(lock!.key)).toBe('instance B');
    // The token endpoint, the JWKS, a refetch of it for an unknown kid and userinfo, each up to OIDC_HTTP_TIMEOUT; then each store operation up to its deadline.
    const worstCaseSec = 4 * a.config.oidc.httpTimeoutSec + (opsUnderLock * a.sessions.opDeadlineMs) / 1000;
    expect(opsUnderLock).toBeGreaterThan(5);
    expect(lock!.ttlSec).toBeGreaterThanOrEqual(worstCaseSec);
  });
});
