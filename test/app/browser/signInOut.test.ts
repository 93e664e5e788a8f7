// Sign-in, sign-out and the back button in a real Chromium, against each provider profile: the provider's
// own login page is filled in and submitted, and every redirect (app ⇄ provider, two ports on 127.0.0.1)
// is followed by the browser itself, with its real cookie, SameSite and CSP handling.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startStack, type Stack } from '../../fixtures/stack.ts';
import { appUrl, displayName, inBrowser, launchChromium, submitProviderLogin } from './chromium.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(() => browser?.close());

/** Every top-level navigation request, redirects included, so a test can say which hosts the browser went through. */
function recordNavigations(page: Page): URL[] {
  const seen: URL[] = [];
  page.on('request', (req) => {
    if (req.isNavigationRequest() && req.frame() === page.mainFrame()) seen.push(new URL(req.url()));
  });
  return seen;
}

describe.each(['certified', 'dex', 'casdoor'] as const)('in a browser against the %s provider', (profile) => {
  let stack: Stack;
  let providerOrigin: string;
  beforeAll(async () => {
    stack = await startStack(profile);
    providerOrigin = new URL(stack.provider.issuer).origin;
  });
  afterAll(() => stack?.close());

  const user = () => stack.provider.users[0]!;
  const onProvider = (url: URL) => url.origin === providerOrigin;

  /** From a protected page to the provider's form, submitted, and back on that page. */
  async function signInFrom(page: Page, path: string): Promise<void> {
    await page.goto(stack.app.url + path);
    // Same host, another port: the app's cookies and the provider's must not clobber each other.
    await page.waitForURL(onProvider);
    await submitProviderLogin(page, user());
    await page.waitForURL(appUrl(stack.app.url, path));
  }

  it('signs in through the provider login page from /profile and shows the user', () =>
    inBrowser(browser, { logs: stack.app.logs }, async ({ page, context, problems }) => {
      await signInFrom(page, '/profile');
      expect(await page.locator('main h1').first().textContent()).toBe(displayName(user()));
      expect(await page.locator('.chips li').allTextContents()).toEqual(user().groups);
      // The provider and the app each kept their own cookies on 127.0.0.1, under distinct names.
      const names = (await context.cookies()).map((c) => c.name);
      expect(names).toContain('lzc-oidc.sid');
      expect(names.some((n) => n.startsWith('op_') || n.startsWith('_interaction'))).toBe(true);

      await page.goto(stack.app.url + '/');
      expect(await page.locator('main h1').textContent()).toBe(`Hello, ${displayName(user())}`);
      expect(await page.getByRole('link', { name: 'Sign out' }).count()).toBeGreaterThan(0);
      // The CSP lets everything these pages use load (the avatar on /profile included): no violation reports,
      // and nothing else went wrong on the app's pages (the provider's own favicon 404 is not ours).
      expect(problems.filter((p) => /Content Security Policy/i.test(p))).toEqual([]);
      expect(problems.filter((p) => p.includes(stack.app.url))).toEqual([]);
      if (profile !== 'dex') {
        // Dex sends no picture; the others' avatar (served by the provider itself) really rendered.
        await page.goto(stack.app.url + '/profile');
        expect(await page.locator('img.avatar').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
      }
    }));

  it('signs out from the confirmation page, comes back with the notice, and /profile needs sign-in again', () =>
    inBrowser(browser, { logs: stack.app.logs }, async ({ page }) => {
      await signInFrom(page, '/profile');
      await page.goto(stack.app.url + '/logout');
      const visited = recordNavigations(page);
      await page.locator('#confirm-sign-out').click();
      if (profile === 'certified') {
        // oidc-provider asks before ending its session; the page is the provider's, not the app's.
        await page.waitForURL((u) => onProvider(u) && u.pathname.endsWith('/session/end'));
        await page.getByRole('button', { name: /^退出 · Sign out$/ }).click();
      }
      await page.waitForURL(appUrl(stack.app.url, '/?signed_out=1'));
      expect(await page.getByRole('status').textContent()).toBe('You have been signed out.');
      expect(await page.locator('#sign-in').count()).toBe(1);

      const providerPaths = visited.filter(onProvider).map((u) => u.pathname);
      const expectedProviderStop = { certified: '/session/end', dex: undefined, casdoor: '/api/logout' }[profile];
      if (expectedProviderStop) expect(providerPaths).toContain(expectedProviderStop);
      else expect(providerPaths).toEqual([]); // Dex has no end-session endpoint: the app alone signs out.
      if (expectedProviderStop) {
        // Back from the provider through /logout/done, whose state check passed (or it would land on plain "/").
        expect(visited.some((u) => !onProvider(u) && u.pathname === '/logout/done')).toBe(true);
      }

      // The app's session is gone for any client of this browser profile...
      const api = await page.request.get(stack.app.url + '/profile', { headers: { accept: 'application/json' } });
      expect(api.status()).toBe(401);
      // ...and a page navigation starts a sign-in again.
      const again = recordNavigations(page);
      await page.goto(stack.app.url + '/profile');
      expect(again.map((u) => u.pathname)).toContain('/login');
      if (profile === 'dex') {
        // Dex keeps its own session (Lazycat signs out at the box, not per app): sign-in is silent.
        await page.waitForURL(appUrl(stack.app.url, '/profile'));
        expect(await page.locator('main h1').first().textContent()).toBe(displayName(user()));
      } else {
        // The provider's session ended too, so its form is asked for again.
        await page.waitForURL(onProvider);
        expect(await page.getByLabel(/Password/).count()).toBe(1);
      }
    }));

  it('does not strand the user on an error page when Back is pressed after sign-in', () =>
    inBrowser(browser, { logs: stack.app.logs }, async ({ page }) => {
      await signInFrom(page, '/profile');
      const visited = recordNavigations(page);
      // The entry before /profile is the provider's sign-in page (the redirects in between leave no entry),
      // whose interaction is spent. The provider re-runs that authorization request; the app takes the
      // callback with its already-used state as a replay from a signed-in browser and goes to returnTo.
      await page.goBack();
      await page.waitForURL(appUrl(stack.app.url, '/profile'));
      const chain = visited.map(
        (u) => (onProvider(u) ? 'provider:' : 'app:') + u.pathname.replace(/\/interaction\/[^/]+/, '/interaction/…'),
      );
      const base = new URL(stack.provider.issuer).pathname.replace(/\/$/, '');
      const authorize = { certified: '/auth', dex: '/auth', casdoor: '/login/oauth/authorize' }[profile];
      // (oidc-provider may pass through a consent interaction it completes by itself before resuming.)
      expect(chain[0]).toBe(`provider:${base}/interaction/…`);
      expect(chain[1]).toBe(`provider:${base}${authorize}`);
      expect(chain.slice(-2)).toEqual(['app:/callback', 'app:/profile']);
      const text = await page.locator('body').innerText();
      expect(text).not.toMatch(/\bat \S+ \(|node_modules|\.ts:\d+/);
      expect(await page.locator('main h1').first().textContent()).toBe(displayName(user()));
      expect(await page.getByRole('link', { name: 'Sign out' }).count()).toBeGreaterThan(0);
    }));
});
