import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { expectAccessible } from './browser.ts';

/** One page of the dashboard: what its loading and error states name, and what shows once its data came. */
export interface View {
  name: string;
  path: string;
  /** The `what` of each of its queries: "Loading <what>…", "Could not load <what>: …". */
  loads: string[];
  /** Brings up the part that loads (a chart file's detail loads only when opened). */
  open?: (page: Page) => Promise<void>;
  ready: (page: Page) => Promise<unknown>;
}

const HOLD_MS = 500;

// A 502 as the BFF answers it (problem+json) and a 500 as a proxy in front might (an HTML page).
const failures = [
  {
    status: 502,
    contentType: 'application/problem+json',
    body: JSON.stringify({ title: 'Bad Gateway', status: 502, code: 'artist_api_unreachable' }),
    message: 'Bad Gateway',
  },
  {
    status: 500,
    contentType: 'text/html',
    body: '<h1>500 Internal Server Error</h1>',
    message: 'Internal Server Error',
  },
];

/**
 * A fresh load of the view with every GET to the BFF's `/api` held a moment, then failed (after the data
 * layer's own retries): its loading state shows, then its error state; a retry, now answered by the real API,
 * brings the content.
 */
export async function expectLoadingThenError(page: Page, base: string, view: View, attempt: number) {
  const failure = failures[attempt % failures.length]!;
  let failing = true;
  // The retries the test asks for wait until it has seen the view loading again.
  let releaseRetries = () => {};
  const retriesHeld = new Promise<void>((resolve) => {
    releaseRetries = resolve;
  });
  const handler = async (route: Parameters<Parameters<Page['route']>[1]>[0]) => {
    if (route.request().method() !== 'GET') return route.fallback();
    if (!failing) {
      await retriesHeld;
      return route.fallback();
    }
    await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
    return route.fulfill({ status: failure.status, contentType: failure.contentType, body: failure.body });
  };
  await page.route(`${base}/api/**`, handler);
  try {
    await page.goto(`${base}${view.path}`);
    await view.open?.(page);
    const main = page.getByRole('main');
    for (const what of view.loads) {
      await main
        .getByRole('status')
        .filter({ hasText: `Loading ${what}…` })
        .waitFor();
    }
    for (const what of view.loads) {
      const alert = main.getByRole('alert').filter({ hasText: `Could not load ${what}: ${failure.message}` });
      await alert.waitFor({ timeout: 20_000 });
    }
    expect(await main.getByRole('status').filter({ hasText: 'Loading' }).count()).toBe(0);
    await expectAccessible(page, `${view.name} error`);

    failing = false;
    const retry = main.getByRole('button', { name: 'Try again', exact: true });
    for (let left = await retry.count(); left > 0; left--) {
      await retry.first().click();
      await expect.poll(() => retry.count()).toBe(left - 1);
    }
    // Retrying: each query loading again, no longer failed, until the test lets the answers through.
    for (const what of view.loads) {
      await main
        .getByRole('status')
        .filter({ hasText: `Loading ${what}…` })
        .waitFor();
    }
    expect(await main.getByRole('alert').count()).toBe(0);
    releaseRetries();
    await view.ready(page);
    await expect.poll(() => main.getByRole('alert').count(), { timeout: 10_000 }).toBe(0);
  } finally {
    releaseRetries();
    await page.unroute(`${base}/api/**`, handler);
  }
}
