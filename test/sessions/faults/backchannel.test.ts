// Back-channel logout under a transient store fault, in the real stores: the first delivery fails (5xx), the
// provider's retry of the same logout_token is not refused as a replay, and the session ends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStored } from '../../../src/sessions/writes.ts';
import { SESSION_DB_FILE } from '../../../src/sessions/sqlite.ts';
import { startRedis, type RedisServer } from '../../fixtures/redis.ts';
import { deliverLogoutToken, firstUserLogoutToken, ownSession, signIn, startStack, type Stack } from '../../fixtures/stack.ts';
import { redisRefuses, sqliteRefuses, type Fault } from '../../fixtures/storeFaults.ts';

interface Store {
  env: Record<string, string>;
  /** Makes the store fail to delete a session, until healed. */
  refuseDelete(): Promise<Fault>;
  close(): Promise<void>;
}

const stores: Record<string, () => Promise<Store>> = {
  async redis() {
    const redis: RedisServer = await startRedis();
    return {
      env: { SESSION_STORE: 'redis', REDIS_URL: redis.url },
      refuseDelete: () => redisRefuses(redis.url, ['del']),
      close: () => redis.close(),
    };
  },
  sqlite() {
    const dir = mkdtempSync(path.join(tmpdir(), 'lzc-oidc-faults-'));
    return Promise.resolve({
      env: { SESSION_STORE: 'sqlite', DATA_DIR: dir },
      refuseDelete: () => Promise.resolve(sqliteRefuses(path.join(dir, SESSION_DB_FILE), 'BEFORE DELETE ON sessions')),
      close: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    });
  },
};

async function signedIn(stack: Stack) {
  const agent = stack.browser();
  expect((await signIn(stack, agent)).status).toBe(303);
  return { agent, id: (await ownSession(stack, agent)).id };
}

/** A stack with back-channel logout over the given store, for one describe block. */
function stackOver(kind: keyof typeof stores) {
  const ctx = { store: undefined as unknown as Store, stack: undefined as unknown as Stack };
  beforeAll(async () => {
    ctx.store = await stores[kind]!();
    ctx.stack = await startStack('certified', { backchannel: true, env: ctx.store.env });
  });
  afterAll(async () => {
    await ctx.stack?.close();
    await ctx.store?.close();
  });
  return ctx;
}

describe.each(Object.keys(stores))('back-channel logout with a transient %s fault', (kind) => {
  const ctx = stackOver(kind);

  it("answers 5xx while the session cannot be ended, then accepts the provider's retry of the same token and ends it", async () => {
    const { stack, store } = ctx;
    const { agent, id } = await signedIn(stack);
    const token = await firstUserLogoutToken(stack);

    const fault = await store.refuseDelete();
    let first;
    try {
      first = await deliverLogoutToken(stack, token);
    } finally {
      await fault.heal();
    }
    expect(first.status).toBe(503);

    const retry = await deliverLogoutToken(stack, token);
    expect(retry.status).toBe(200);
    expect(await getStored(stack.app.sessions.store, id)).toBeUndefined();
    expect((await agent.get('/profile').set('Accept', 'application/json')).status).toBe(401);
    // Delivered and done: now it is a replay.
    expect((await deliverLogoutToken(stack, token)).status).toBe(400);
  });
});

describe('back-channel logout when the jti cannot be recorded (SQLite refuses it)', () => {
  const ctx = stackOver('sqlite');

  it('still ends the session and answers 200: only the replay protection of that one token is lost', async () => {
    const { stack } = ctx;
    const { agent, id } = await signedIn(stack);
    const fault = sqliteRefuses(
      path.join(stack.app.config.session.dataDir, SESSION_DB_FILE),
      `BEFORE INSERT ON kv WHEN NEW.key LIKE 'jti:%'`,
    );
    let res;
    try {
      res = await deliverLogoutToken(stack, await firstUserLogoutToken(stack));
    } finally {
      await fault.heal();
    }
    expect(res.status).toBe(200);
    expect(await getStored(stack.app.sessions.store, id)).toBeUndefined();
    expect((await agent.get('/profile').set('Accept', 'application/json')).status).toBe(401);
    expect(stack.app.logs.join('\n')).toContain('recording the logout_token jti failed');
  });
});
