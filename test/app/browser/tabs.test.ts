// Two tabs of one browser profile start sign-in at the same time: each has its own pending sign-in (one
// cookie per state), so neither overwrites the other and each tab ends on the page it asked for.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startStack, type Stack } from '../../fixtures/stack.ts';
import { appUrl, displayName, inBrowser, launchChromium, submitProviderLogin } from './chromium.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(() => browser?.close());

describe.each(['certified', 'dex', 'casdoor'] as const)('two tabs signing in at once against the %s provider', (profile) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(profile);
  });
  afterAll(() => stack?.close());

  it('finishes both sign-ins, each tab on its own page', () =>
    inBrowser(browser, { logs: stack.app.logs }, async ({ page: first, newTab }) => {
      const second = await newTab();
      const user = stack.provider.users[0]!;
      const providerOrigin = new URL(stack.provider.issuer).origin;
      const tabs = [
        { page: first, returnTo: '/profile?tab=1' },
        { page: second, returnTo: '/profile?tab=2' },
      ];
      // Both reach the provider's form before either submits: two sign-ins pending in one cookie jar. One after
      // the other: oidc-provider gives each of two simultaneous first visits its own provider session and the
      // browser keeps one cookie, so it would refuse the other tab ("interaction session and authentication session
      // mismatch"). That race is between the provider's own sessions, not the app's; the app's comes next.
      for (const { page, returnTo } of tabs) {
        await page.goto(`${stack.app.url}/login?returnTo=${encodeURIComponent(returnTo)}`);
        await page.waitForURL((u) => u.origin === providerOrigin);
      }
      // Then both submit together, so the two callbacks race at the app.
      await Promise.all(
        tabs.map(async ({ page, returnTo }) => {
          await submitProviderLogin(page, user);
          await page.waitForURL(appUrl(stack.app.url, returnTo));
        }),
      );
      for (const { page, returnTo } of tabs) {
        // Reloaded with whatever session cookie won: both tabs are signed in, still on their own page.
        await page.reload();
        expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe(returnTo);
        expect(await page.locator('main h1').first().textContent()).toBe(displayName(user));
      }
    }));
});
