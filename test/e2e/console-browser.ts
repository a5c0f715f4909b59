import { Browser, chromium, ConsoleMessage, Page } from 'playwright-core';

// Shared by the console's Playwright suites: Debian's chromium driven by
// playwright-core (no browser download), and the page problems they assert on.

export const CHROMIUM = '/usr/bin/chromium';

/** launch() gives the browser a fresh temporary profile (--user-data-dir) and removes it on close. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Every console error, page error and CSP violation a page reports. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`response: ${response.status()} ${new URL(response.url()).pathname}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('requestfailed', (request) => {
    // A stream the page closes itself on navigation is not a failure.
    if (!request.url().includes('/events')) problems.push(`requestfailed: ${request.url()} ${request.failure()?.errorText}`);
  });
  return problems;
}

/** Signs in on the login form the page shows at `path` and waits for the shell. */
export async function logIn(page: Page, url: string, username: string, password: string): Promise<void> {
  const response = await page.goto(url);
  if (response?.status() !== 200) throw new Error(`GET ${url}: ${response?.status()}`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('who').waitFor();
}

/**
 * The page's globals as seen from functions Playwright runs inside the page
 * (the test's typings have no DOM). Functions, not strings: the console's CSP
 * forbids evaluating strings, which is as it should be.
 */
interface PageGlobals {
  document: {
    querySelectorAll(selector: string): { length: number };
    activeElement: { getAttribute(name: string): string | null } | null;
    documentElement: { scrollWidth: number; clientWidth: number };
  };
  history: { pushState(state: null, unused: string, url: string): void };
  dispatchEvent(event: unknown): boolean;
  PopStateEvent: new (type: string) => unknown;
  navigator: { clipboard: { readText(): Promise<string> } };
}

/** Client-side navigation as a link click would do it: a reload would sign the tab out. */
export async function goInApp(page: Page, path: string): Promise<void> {
  await page.evaluate((to) => {
    const g = globalThis as unknown as PageGlobals;
    g.history.pushState(null, '', to);
    g.dispatchEvent(new g.PopStateEvent('popstate'));
  }, path);
}

/** Waits until the table named `label` has exactly `count` body rows. */
export async function waitForRowCount(page: Page, label: string, count: number): Promise<void> {
  await page.waitForFunction(({ selector, n }) => (globalThis as unknown as PageGlobals).document.querySelectorAll(selector).length === n, {
    selector: `table[aria-label="${label}"] tbody tr`,
    n: count,
  });
}

/** Waits until the focused element is the host cell named `host`. */
export async function waitForFocusOn(page: Page, host: string): Promise<void> {
  await page.waitForFunction(
    (name) => (globalThis as unknown as PageGlobals).document.activeElement?.getAttribute('data-host') === name,
    host,
  );
}

/** How far the page is wider than the window, px (0: no horizontal scrolling). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const root = (globalThis as unknown as PageGlobals).document.documentElement;
    return root.scrollWidth - root.clientWidth;
  });
}

export function clipboardText(page: Page): Promise<string> {
  return page.evaluate(() => (globalThis as unknown as PageGlobals).navigator.clipboard.readText());
}
