// Shared plumbing for the real-browser tests: one headless Debian Chromium per test file, a fresh context
// (fresh profile: no cookies, no cache; light colour scheme so computed colours are fixed) per test, console/CSP problems collected, and a screenshot of every
// page at the end of every test so a failure can be looked at afterwards (test-artifacts/ is git-ignored).
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { ProviderUser } from '../../../devprovider/providerApp.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '../../../test-artifacts/browser');

/** The system Chromium (scripts/ensure-chromium.sh); never a downloaded one. Flags keep it off the network; `args` adds more. */
export function launchChromium(args: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      ...args,
    ],
  });
}

export interface Session {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors from every page of the context, e.g. CSP violations. */
  problems: string[];
  newTab: () => Promise<Page>;
}

function watch(page: Page, problems: string[]): Page {
  page.on('console', (msg) => {
    // The location names the failing resource (e.g. a 404'd favicon), which msg.text() alone does not.
    if (msg.type() === 'error' || msg.type() === 'warning')
      problems.push(`${msg.type()} at ${msg.location().url || page.url()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror at ${page.url()}: ${err.message}`));
  return page;
}

const ACTION_TIMEOUT_MS = 15_000;

/** A failure message that also says where every tab ended up and what the app logged above info level. */
async function explain(err: unknown, context: BrowserContext, logs: string[] = []): Promise<Error> {
  const tabs = await Promise.all(
    context.pages().map(async (page, i) => {
      const heading = await page
        .locator('h1')
        .first()
        .textContent({ timeout: 1000 })
        .catch(() => null);
      return `  tab ${i + 1}: ${page.url()}${heading ? ` "${heading.trim()}"` : ''}`;
    }),
  );
  const warnings = logs
    .filter((line) => /"level":(4|5|6)\d/.test(line))
    .slice(-10)
    .map((line) => `  ${line.slice(0, 500)}`);
  const message = err instanceof Error ? err.message : String(err);
  const detail = [message, 'pages:', ...tabs, ...(warnings.length ? ['app warnings:', ...warnings] : [])].join('\n');
  return Object.assign(new Error(detail, { cause: err }), { stack: detail });
}

const fileName = (name: string): string =>
  name
    .replace(/[^\w.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 150);

/**
 * Runs `fn` in a fresh browser context and screenshots every open page afterwards, pass or fail, named after
 * the current test (with -failed appended when it threw).
 */
export async function inBrowser(
  browser: Browser,
  options: { locale?: string; logs?: string[] },
  fn: (s: Session) => Promise<void>,
): Promise<void> {
  const context = await browser.newContext({ locale: options.locale ?? 'en-US', colorScheme: 'light' });
  // Below the test's own timeout, so a stuck step fails with Playwright's account of what it waited for.
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  const problems: string[] = [];
  const session: Session = {
    context,
    page: watch(await context.newPage(), problems),
    problems,
    newTab: async () => watch(await context.newPage(), problems),
  };
  const name = fileName(expect.getState().currentTestName ?? 'browser-test');
  let failed = false;
  try {
    await fn(session);
  } catch (err) {
    failed = true;
    throw await explain(err, context, options.logs);
  } finally {
    await mkdir(ARTIFACTS, { recursive: true });
    const pages = context.pages();
    for (const [i, page] of pages.entries()) {
      const base = path.join(ARTIFACTS, name + (pages.length > 1 ? `-tab${i + 1}` : ''));
      // Drop the other outcome's shot from an earlier run, so only this run's result is on disk.
      await rm(failed ? `${base}.png` : `${base}-failed.png`, { force: true });
      await page.screenshot({ path: failed ? `${base}-failed.png` : `${base}.png`, fullPage: true }).catch(() => undefined);
    }
    await context.close();
  }
}

/** Fills the provider's real sign-in form (labels are "用户名 · Username" / "密码 · Password") and submits it. */
export async function submitProviderLogin(page: Page, user: Pick<ProviderUser, 'username' | 'password'>): Promise<void> {
  await page.getByLabel(/Username/).fill(user.username);
  await page.getByLabel(/Password/).fill(user.password);
  await page.getByRole('button', { name: /Sign in/ }).click();
}

/** The name the app shows for a user: the same fallback chain as views/profile.ejs. */
export const displayName = (user: ProviderUser): string => user.name ?? user.username;

/** A URL on the app whose path and query are exactly `pathAndQuery`, for page.waitForURL. */
export function appUrl(base: string, pathAndQuery: string): (url: URL) => boolean {
  const want = new URL(pathAndQuery, base);
  return (url) => url.origin === want.origin && url.pathname === want.pathname && url.search === want.search;
}
