import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium, which `npm test` installs when it is missing (scripts/chromium.ts); CHROMIUM_PATH overrides. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumMissing = existsSync(CHROMIUM_PATH) ? false : `no Chromium at ${CHROMIUM_PATH} (set CHROMIUM_PATH)`;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
}

/**
 * A page that can reach loopback only: anything else is aborted and recorded, so a test proves a page works with
 * no internet and sends no traffic beyond this machine.
 */
export async function loopbackPage(browser: Browser): Promise<{ page: Page; elsewhere: string[] }> {
  const page = await browser.newPage();
  const elsewhere: string[] = [];
  await page.route('**/*', (route) => {
    const { protocol, hostname } = new URL(route.request().url());
    const local = protocol === 'data:' || protocol === 'blob:' || hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
    if (local) return route.continue();
    elsewhere.push(route.request().url());
    return route.abort();
  });
  return { page, elsewhere };
}
