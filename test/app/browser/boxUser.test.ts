// A real Chromium on a Lazycat-like box (test/fixtures/ingress.ts): the app reached on a prefix domain signs in on
// its canonical host, and when another box user logs in to the box in the same browser, the app session of the
// first one ends and the next page signs the new one in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startStack, type Stack } from '../../fixtures/stack.ts';
import { freePort } from '../../fixtures/app.ts';
import { BOX_LOGIN_COOKIE, startIngress, type Ingress } from '../../fixtures/ingress.ts';
import { appUrl, displayName, inBrowser, launchChromium, submitProviderLogin } from './chromium.ts';

// *.localhost: Chromium keeps it on loopback and needs no certificate; the ingress still says https to the app.
const BOX = 'box.localhost';
let browser: Browser;
let stack: Stack;
let ingress: Ingress;
let canonical: string;
let prefixed: string;
beforeAll(async () => {
  const port = await freePort();
  canonical = `http://app.${BOX}:${port}`;
  prefixed = `http://dev-app.${BOX}:${port}`;
  stack = await startStack('dex', {
    env: { OIDC_REDIRECT_URI: `${canonical}/callback`, BOX_IDENTITY: 'on', TRUST_PROXY: undefined },
    provider: { client: { redirectUris: [`${canonical}/callback`], anyLoopbackPort: false } },
  });
  ingress = await startIngress(stack.app.port, { port });
  browser = await launchChromium([`--host-resolver-rules=MAP *.${BOX} 127.0.0.1`]);
});
afterAll(async () => {
  await browser?.close();
  await ingress?.close();
  await stack?.close();
});

/** Logs `id` in to the box in this browser, for every host of the box. A box logout also ends the box provider's session. */
async function boxLogin(context: BrowserContext, id: string): Promise<void> {
  await context.clearCookies({ domain: '127.0.0.1' });
  await context.addCookies([
    { name: BOX_LOGIN_COOKIE, value: ingress.login({ id, role: 'NORMAL' }), domain: `.${BOX}`, path: '/', httpOnly: true, sameSite: 'Lax' },
  ]);
}

/** Top-level navigations, redirects included, as host + path. */
function recordNavigations(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (req) => {
    if (req.isNavigationRequest() && req.frame() === page.mainFrame()) seen.push(new URL(req.url()).host + new URL(req.url()).pathname);
  });
  return seen;
}

describe('on a Lazycat-like box', () => {
  it('signs in from a prefix domain on the canonical host, and a box-user switch ends the session and signs the new user in', () =>
    inBrowser(browser, { logs: stack.app.logs }, async ({ page, context }) => {
      const [first, second] = [
        stack.provider.users.find((u) => u.username === 'user1')!,
        stack.provider.users.find((u) => u.username === 'admin')!,
      ];
      const onProvider = (u: URL) => u.origin === new URL(stack.provider.issuer).origin;
      await boxLogin(context, 'alice');
      const visited = recordNavigations(page);
      await page.goto(`${prefixed}/profile`);
      await page.waitForURL(onProvider);
      // /login on the prefix domain went on to the canonical host before the provider.
      expect(visited.slice(0, 3)).toEqual([
        `dev-app.${BOX}:${ingress.port}/profile`,
        `dev-app.${BOX}:${ingress.port}/login`,
        `app.${BOX}:${ingress.port}/login`,
      ]);
      await submitProviderLogin(page, first);
      await page.waitForURL(appUrl(canonical, '/profile'));
      expect(await page.locator('main h1').first().textContent()).toBe(displayName(first));
      await page.reload();
      expect(await page.locator('main h1').first().textContent()).toBe(displayName(first));

      // Someone else logs in to the box in this browser.
      await boxLogin(context, 'bob');
      visited.length = 0;
      await page.goto(`${canonical}/profile`);
      await page.waitForURL(onProvider);
      expect(visited.slice(0, 2)).toEqual([`app.${BOX}:${ingress.port}/profile`, `app.${BOX}:${ingress.port}/login`]);
      await submitProviderLogin(page, second);
      await page.waitForURL(appUrl(canonical, '/profile'));
      expect(await page.locator('main h1').first().textContent()).toBe(displayName(second));
    }));
});
