// Dashboard benchmark: how long after a cold navigation the overview is usable, in Debian's headless Chromium
// (playwright-core) against the browser tests' stack (the BFF on the built web app, the artist API on the local
// servers with a label's seeded orders and sales). Usable = signed in, the units total and the revenue total
// showing the seeded sales, and the units chart drawn with its marks. Baseline, in the same run and browser:
// the signed-out sign-in form (the same index.html and entry chunk, no data, no page chunk, no chart).
// Each run is a fresh browser context (empty HTTP cache); the two alternate so both see the same load.
//   pnpm --filter @single/dashboard build && pnpm --filter @single/bench run dashboard
import { launchChromium } from '@single/dashboard/browser/browser';
import { startStack } from '@single/dashboard/browser/stack';
import type { Browser, BrowserContext } from 'playwright-core';

const RUNS = Number(process.env.BENCH_RUNS ?? (process.env.BENCH_QUICK === '1' ? 8 : 25));
const TARGET_MS = 1_500;
const TIMEOUT_MS = 30_000;

// The seeded sales (stack.ts / seedSales): 4 units on one business day.
const SEEDED_UNITS = '4';

/** ms from navigation start (the page's own clock) until `usable` holds, checked every animation frame. */
async function timeToUsable(
  browser: Browser,
  url: string,
  cookies: Parameters<BrowserContext['addCookies']>[0],
  usable: (units: string) => number | false,
): Promise<number> {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
  try {
    await context.addCookies(cookies);
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'commit' });
    const handle = await page.waitForFunction(usable, SEEDED_UNITS, { polling: 'raf', timeout: TIMEOUT_MS });
    return (await handle.jsonValue()) as number;
  } finally {
    await context.close();
  }
}

// Evaluated in the page: both return performance.now() (truthy) once the condition holds.
const overviewUsable = (units: string) => {
  const sold = document.querySelector('[data-testid="units-sold"]');
  const revenue = document.querySelector('[data-testid="revenue-USD"]');
  const chart = document.querySelector(`svg[role="img"][aria-label="Units per business day, ${units} in all"]`);
  const drawn = (chart?.querySelectorAll('rect, path').length ?? 0) > 0;
  const ok = sold?.textContent === units && /\d/.test(revenue?.textContent ?? '') && drawn;
  return ok ? performance.now() : false;
};
const signInUsable = () => {
  const key = document.querySelector('input#api-key');
  const button = document.querySelector('form button[type="submit"]');
  return key && button && !(button as HTMLButtonElement).disabled ? performance.now() : false;
};

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

const stack = await startStack();
const browser = await launchChromium();
try {
  // Sign in once through the BFF (as the browser does), then reuse the session cookie in each fresh context.
  const session = await fetch(`${stack.url}/auth/session`);
  const anonymous = session.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const { csrfToken } = (await session.json()) as { csrfToken: string };
  const signIn = await fetch(`${stack.url}/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken, cookie: anonymous },
    body: JSON.stringify({ apiKey: stack.secret }),
  });
  if (signIn.status !== 200) throw new Error(`sign-in answered ${signIn.status}: ${await signIn.text()}`);
  const cookie = /single_dashboard=([^;]+)/.exec(signIn.headers.getSetCookie().join('\n'))?.[1];
  if (!cookie) throw new Error('sign-in set no session cookie');
  const signedIn = [{ name: 'single_dashboard', value: cookie, url: stack.url }];

  // One of each first: Chromium's and the servers' first-use costs are not the page's.
  await timeToUsable(browser, stack.url, signedIn, overviewUsable);
  await timeToUsable(browser, stack.url, [], signInUsable);
  const overview: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    overview.push(await timeToUsable(browser, stack.url, signedIn, overviewUsable));
    baseline.push(await timeToUsable(browser, stack.url, [], signInUsable));
  }
  const ms = (n: number) => `${Math.round(n).toLocaleString('en-US')} ms`;
  const line = (name: string, values: number[]) =>
    `${name.padEnd(36)} median ${ms(percentile(values, 50))}  p95 ${ms(percentile(values, 95))}  (${values.length} runs)`;
  process.stdout.write(`${line('overview usable', overview)}\n${line('baseline sign-in form', baseline)}\n`);
  const p95 = percentile(overview, 95);
  process.stdout.write(
    `ratio overview / sign-in form: median ${(percentile(overview, 50) / percentile(baseline, 50)).toFixed(2)}  p95 ${(p95 / percentile(baseline, 95)).toFixed(2)}\n` +
      `overview usable p95 ${ms(p95)} (target <= ${ms(TARGET_MS)}) ${p95 <= TARGET_MS ? 'ok' : 'BELOW TARGET'}\n`,
  );
  if (p95 > TARGET_MS) process.exitCode = 1;
} finally {
  await browser.close();
  await stack.close();
}
