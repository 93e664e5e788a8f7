// What a real browser does with the app's language negotiation and its strict CSP: the locale comes from
// the context's Accept-Language, and the stylesheet must load and apply under style-src 'self'.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startStack, type Stack } from '../../fixtures/stack.ts';
import { inBrowser, launchChromium } from './chromium.ts';

let browser: Browser;
let stack: Stack;
beforeAll(async () => {
  // The pages under test are the app's own, so one provider profile is enough here.
  [browser, stack] = await Promise.all([launchChromium(), startStack('certified')]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** A callback whose state is well formed but was never issued: the "expired or already used" error page. */
const staleCallback = () => `${stack.app.url}/callback?state=${'x'.repeat(43)}&code=abc`;

describe.each([
  {
    locale: 'zh-CN',
    lang: 'zh-CN',
    signIn: '登录',
    errorTitle: '出错了',
    signInAgain: '重新登录',
    home: '返回首页',
    expired: '此登录链接已过期或已被使用，请重新登录。',
  },
  {
    locale: 'en-US',
    lang: 'en',
    signIn: 'Sign in',
    errorTitle: 'Something went wrong',
    signInAgain: 'Sign in again',
    home: 'Back to home',
    expired: 'This sign-in link has expired or was already used. Please sign in again.',
  },
])('a browser with locale $locale', (want) => {
  it('shows the home page in its language', () =>
    inBrowser(browser, { locale: want.locale, logs: stack.app.logs }, async ({ page }) => {
      await page.goto(stack.app.url + '/');
      expect(await page.locator('html').getAttribute('lang')).toBe(want.lang);
      expect(await page.locator('#sign-in').textContent()).toBe(want.signIn);
    }));

  it('shows an error page in its language, with a way to sign in again and no internals', () =>
    inBrowser(browser, { locale: want.locale, logs: stack.app.logs }, async ({ page }) => {
      const res = await page.goto(staleCallback());
      expect(res?.status()).toBe(400);
      expect(await page.locator('main h1').textContent()).toBe(want.errorTitle);
      expect(await page.locator('#error-code').textContent()).toBe('OIDC_TXN_EXPIRED');
      expect(await page.locator('.error p').first().textContent()).toBe(want.expired);
      expect(await page.getByRole('link', { name: want.signInAgain }).getAttribute('href')).toBe('/login');
      expect(await page.getByRole('link', { name: want.home }).getAttribute('href')).toBe('/');
      expect(await page.locator('body').innerText()).not.toMatch(/\bat \S+ \(|node_modules|\.ts:\d+/);
    }));
});

describe('the strict CSP in a real browser', () => {
  it('reports no violation or error on the signed-out pages, and the stylesheet is applied', () =>
    inBrowser(browser, { logs: stack.app.logs }, async ({ page, problems }) => {
      const urls = [...['/', '/?signed_out=1', '/no-such-page'].map((p) => stack.app.url + p), staleCallback(), stack.app.url + '/'];
      for (const url of urls) await page.goto(url);
      // app.css paints buttons in --accent (#2563eb in the light scheme); unstyled, a link is transparent.
      const button = await page.locator('#sign-in').evaluate((el) => {
        const style = getComputedStyle(el);
        return { background: style.backgroundColor, color: style.color, radius: style.borderTopLeftRadius };
      });
      expect(button).toEqual({ background: 'rgb(37, 99, 235)', color: 'rgb(255, 255, 255)', radius: '8px' });
      // Chromium logs the 404 and 400 of the error pages' own documents; those statuses are the point.
      const ownStatus = (p: string) => urls.some((u) => p.startsWith(`error at ${u}: Failed to load resource`));
      expect(problems.filter((p) => !ownStatus(p))).toEqual([]);
      expect(problems.filter(ownStatus)).toHaveLength(2);
    }));
});
