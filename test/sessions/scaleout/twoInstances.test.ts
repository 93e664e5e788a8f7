import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logoutAtProvider } from '../../fixtures/providerLogin.ts';
import { until } from '../../fixtures/until.ts';
import { logoutCsrf, profileStatus, startCluster, type Cluster } from './cluster.ts';
import { startRedis, type RedisServer } from '../../fixtures/redis.ts';

let redis: RedisServer;
let cluster: Cluster;
beforeAll(async () => {
  redis = await startRedis({ persistent: true });
  cluster = await startCluster({ redis, backchannelToA: true });
});
afterAll(async () => {
  await cluster?.close();
  await redis?.close();
});

const signedInLog = (logs: string[]) => logs.filter((line) => line.includes('"msg":"signed in"')).length;

describe('two instances sharing one Redis', () => {
  it('completes on B a sign-in started on A, and the session works on both', async () => {
    const { a, b } = cluster;
    const browser = cluster.browser();
    const before = { a: signedInLog(a.logs), b: signedInLog(b.logs) };
    const res = await cluster.signIn(browser, a, b);
    expect(res.status).toBe(303);
    // B opened the pending sign-in A gave the browser and exchanged the code; A never saw the callback.
    expect(signedInLog(b.logs)).toBe(before.b + 1);
    expect(signedInLog(a.logs)).toBe(before.a);
    const onA = await browser.at(a).get('/profile').set('Accept', 'application/json');
    const onB = await browser.at(b).get('/profile').set('Accept', 'application/json');
    expect(onA.status).toBe(200);
    expect(onB.status).toBe(200);
    expect(onA.body.user.sub).toBe(onB.body.user.sub);
  });

  it('ends the session on A when the browser signs out on B', async () => {
    const { a, b } = cluster;
    const browser = cluster.browser();
    expect((await cluster.signIn(browser, a, a)).status).toBe(303);
    expect(await profileStatus(browser.at(b))).toBe(200);

    const out = await browser
      .at(b)
      .post('/logout')
      .type('form')
      .set('Accept', 'application/json')
      .send({ csrf: await logoutCsrf(browser.at(b)) });
    expect(out.status).toBe(200);
    expect(out.body.signedOut).toBe(true);
    expect(await profileStatus(browser.at(a))).toBe(401);
  });

  it('"sign out everywhere" in one browser ends another browser\'s session held through the other instance', async () => {
    const { a, b } = cluster;
    const laptop = cluster.browser();
    const phone = cluster.browser();
    const bystander = cluster.browser();
    expect((await cluster.signIn(laptop, a, a, 'alice')).status).toBe(303);
    expect((await cluster.signIn(phone, b, b, 'alice')).status).toBe(303);
    expect((await cluster.signIn(bystander, b, b, 'bob')).status).toBe(303);

    const out = await laptop
      .at(a)
      .post('/logout')
      .type('form')
      .send({ csrf: await logoutCsrf(laptop.at(a)), everywhere: '1' });
    expect(out.status).toBe(303);
    expect(await profileStatus(phone.at(b))).toBe(401);
    expect(await profileStatus(phone.at(a))).toBe(401);
    expect(await profileStatus(laptop.at(b))).toBe(401);
    // Another user's session is untouched.
    expect(await profileStatus(bystander.at(a))).toBe(200);
  });

  it('ends a session created on B when the provider delivers back-channel logout to A', async () => {
    const { a, b, provider } = cluster;
    const browser = cluster.browser();
    expect((await cluster.signIn(browser, b, b)).status).toBe(303);
    expect(await profileStatus(browser.at(b))).toBe(200);
    const delivered = () => a.logs.some((line) => line.includes('"msg":"back-channel logout"') && line.includes('"ended":1'));
    expect(delivered()).toBe(false);

    // The user signs out at the provider (not through the app): only the back-channel call can end the session.
    const signedOut = await logoutAtProvider(provider.url('/session/end'), browser.provider);
    expect(signedOut.status).toBe(200);
    await until(delivered, 'instance A to receive the logout token and end one session');
    expect(b.logs.some((line) => line.includes('"msg":"back-channel logout"'))).toBe(false);
    expect(await profileStatus(browser.at(b))).toBe(401);
  });
});

describe('Redis outage with two instances', () => {
  it('answers 503 SESSION_STORE_UNAVAILABLE while Redis is down, stays alive, and resumes the same session by itself', async () => {
    const { a, b } = cluster;
    const browser = cluster.browser();
    expect((await cluster.signIn(browser, a, b)).status).toBe(303);
    const ready = await browser.at(a).get('/readyz');
    expect(ready.status).toBe(200);

    await redis.stop();
    try {
      const json = await browser.at(a).get('/profile').set('Accept', 'application/json');
      expect(json.status).toBe(503);
      expect(json.body.error.code).toBe('SESSION_STORE_UNAVAILABLE');
      const page = await browser.at(b).get('/profile').set('Accept', 'text/html');
      expect(page.status).toBe(503);
      expect(page.type).toBe('text/html');
      expect(page.text).toContain('SESSION_STORE_UNAVAILABLE');
      for (const instance of [a, b]) {
        const agent = browser.at(instance);
        expect((await agent.get('/readyz')).status).toBe(503);
        expect((await agent.get('/healthz')).status).toBe(200);
      }
    } finally {
      await redis.restart();
    }
    // No restart of the app, no new sign-in: both instances reconnect and the same cookie works.
    for (const instance of [a, b]) {
      await until(async () => (await profileStatus(browser.at(instance))) === 200, `the session to work again through ${instance.url}`);
      expect((await browser.at(instance).get('/readyz')).status).toBe(200);
    }
  });
});
