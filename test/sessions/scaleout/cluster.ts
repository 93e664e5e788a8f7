// Two real app instances behind one public origin, sharing one real Redis and one provider: what a
// Lazycat deployment with replicas looks like, minus the load balancer, whose choice of instance each
// test makes explicitly by sending a request to `a` or `b`.
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import request from 'supertest';
import type { Env } from '../../../src/config/load.ts';
import { reservePort, startApp, type RunningApp } from '../../fixtures/app.ts';
import { startProvider, type ProviderOverrides, type TestProvider } from '../../fixtures/provider.ts';
import { loginAtProvider, ProviderBrowser } from '../../fixtures/providerLogin.ts';
import { beginSignIn, csrfOf, envFor, pathOf, type Agent } from '../../fixtures/stack.ts';
import type { RedisServer } from '../../fixtures/redis.ts';

/**
 * Both instances are configured with the same public redirect URI, as replicas behind one ingress are:
 * the authorization request and the code exchange must name the same redirect_uri whichever instance
 * does each. Nothing listens on it; the test "routes" the callback to an instance itself.
 */
const PUBLIC_ORIGIN = 'http://127.0.0.1';

export interface Instance extends RunningApp {
  /** The instance's own HTTP server, so a test can count the requests that reached it. */
  server: http.Server;
}

/** One browser: a cookie jar for the app's host, shared by every instance (browsers key cookies by host, not port). */
export interface Browser {
  at(instance: Instance): Agent;
  /** The browser's session at the provider, so a later provider logout ends the right one. */
  provider: ProviderBrowser;
}

export interface Cluster {
  provider: TestProvider;
  a: Instance;
  b: Instance;
  browser(): Browser;
  /** /login on `start`, the provider's form, then the callback on `finish`; returns the callback's response. */
  signIn(browser: Browser, start: Instance, finish: Instance, username?: string): Promise<Awaited<ReturnType<Agent['get']>>>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  redis: RedisServer;
  provider?: ProviderOverrides;
  env?: Env;
  /** Register instance A as the client's back-channel logout receiver. */
  backchannelToA?: boolean;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const reservedA = await reservePort();
  const reservedB = await reservePort();
  const overrides = options.provider ?? {};
  const provider = await startProvider('certified', {
    ...overrides,
    client: {
      ...overrides.client,
      ...(options.backchannelToA ? { backchannelLogoutUri: `http://127.0.0.1:${reservedA.port}/backchannel-logout` } : {}),
    },
  });
  const env: Env = {
    ...envFor(provider),
    SESSION_STORE: 'redis',
    REDIS_URL: options.redis.url,
    // A prefix per cluster: test files share nothing, even when they share a Redis.
    REDIS_PREFIX: `scaleout-${randomUUID()}:`,
    SESSION_SECRET: 'scale-out-shared-secret-scale-out-shared-secret',
    OIDC_REDIRECT_URI: `${PUBLIC_ORIGIN}/callback`,
    ...options.env,
  };
  // Each startApp builds its own backend (its own Redis connection) from the same env, like two processes.
  const a: Instance = { ...(await startApp(env, { reserved: reservedA })), server: reservedA.server };
  const b: Instance = { ...(await startApp(env, { reserved: reservedB })), server: reservedB.server };

  const browser = (): Browser => {
    const agents = new Map<string, Agent>();
    let jar: unknown;
    return {
      provider: new ProviderBrowser(),
      at(instance) {
        let agent = agents.get(instance.url);
        if (!agent) {
          // The load balancer's: every instance sees the public host, as /login requires.
          agent = request.agent(instance.url).set('X-Forwarded-Host', new URL(PUBLIC_ORIGIN).host);
          // superagent keys its jar by hostname only, so one jar for every port is the browser's behaviour.
          const holder = agent as unknown as { jar: unknown };
          if (jar) holder.jar = jar;
          else jar = holder.jar;
          agents.set(instance.url, agent);
        }
        return agent;
      },
    };
  };

  return {
    provider,
    a,
    b,
    browser,
    async signIn(browser, start, finish, username) {
      const user = provider.users.find((u) => u.username === username) ?? provider.users[0]!;
      const authorizeUrl = await beginSignIn(browser.at(start));
      const callback = await loginAtProvider(authorizeUrl, user, browser.provider);
      return browser.at(finish).get(pathOf(callback));
    },
    async close() {
      await Promise.all([a.close(), b.close()]);
      await provider.close();
    },
  };
}

/** The CSRF token of a signed-in browser, read from the sign-out page as a user's browser would. */
export async function logoutCsrf(agent: Agent): Promise<string> {
  const page = await agent.get('/logout');
  const token = csrfOf(page.text);
  if (!token) throw new Error(`no CSRF token on /logout (HTTP ${page.status})`);
  return token;
}

/** Status of the signed-in JSON page: 200 signed in, 401 signed out, 503 store unavailable. */
export async function profileStatus(agent: Agent): Promise<number> {
  return (await agent.get('/profile').set('Accept', 'application/json')).status;
}
