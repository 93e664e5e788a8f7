// Back-channel logout under a transient store fault, in the real stores: the first delivery fails (5xx), the
// provider's retry of the same logout_token is not refused as a replay, and the session ends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStored } from '../../src/sessions/storeOps.ts';
import { SESSION_DB_FILE } from '../../src/sessions/sqlite.ts';
import { startRedis, type RedisServer } from '../fixtures/redis.ts';
import { ownSession, signIn, startStack, type Stack } from '../fixtures/stack.ts';
import { redisRefuses, sqliteRefuses, type Fault } from '../fixtures/storeFaults.ts';

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

describe.each(Object.keys(stores))('back-channel logout with a transient %s fault', (kind) => {
  let store: Store;
  let stack: Stack;
  beforeAll(async () => {
    store = await stores[kind]!();
    stack = await startStack('certified', { backchannel: true, env: store.env });
  });
  afterAll(async () => {
    await stack?.close();
    await store?.close();
  });

  async function logoutToken(sub: string): Promise<string> {
    const { kid, privateKey } = stack.provider.app.signingKey();
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: stack.provider.issuer,
      aud: stack.provider.clientId,
      sub,
      iat: now,
      exp: now + 120,
      jti: crypto.randomUUID(),
      events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
    })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'logout+jwt' })
      .sign(privateKey);
  }
  const deliver = (token: string) => request(stack.app.url).post('/backchannel-logout').type('form').send({ logout_token: token });

  it("answers 5xx while the session cannot be ended, then accepts the provider's retry of the same token and ends it", async () => {
    const agent = stack.browser();
    expect((await signIn(stack, agent)).status).toBe(303);
    const { id } = await ownSession(stack, agent);
    const token = await logoutToken(stack.provider.app.subjectOf(stack.provider.users[0]!));

    const fault = await store.refuseDelete();
    let first;
    try {
      first = await deliver(token);
    } finally {
      await fault.heal();
    }
    expect(first.status).toBe(503);

    const retry = await deliver(token);
    expect(retry.status).toBe(200);
    expect(await getStored(stack.app.sessions.store, id)).toBeUndefined();
    expect((await agent.get('/profile').set('Accept', 'application/json')).status).toBe(401);
    // Delivered and done: now it is a replay.
    expect((await deliver(token)).status).toBe(400);
  });
});
