import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { chromiumMissing, launchChromium, loopbackPage } from '../support/browser.ts';
import { HubProcess } from '../support/hub-process.ts';

/** /docs and /redoc render in a real headless browser that can reach nothing but the hub. */
describe('API documents in a headless browser, offline', { skip: chromiumMissing }, () => {
  let hub: HubProcess;
  let browser: Browser;

  before(async () => {
    [hub, browser] = await Promise.all([HubProcess.start(), launchChromium()]);
  });
  after(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('/redoc renders the operations from /openapi.json with its script served by the hub', async () => {
    const { page, elsewhere } = await loopbackPage(browser);
    await page.goto(new URL('/redoc', hub.url).toString());
    await page.getByRole('heading', { name: /Chat4All API Hub/ }).first().waitFor({ timeout: 30_000 });
    await page.getByText('/v1/messages', { exact: false }).first().waitFor({ timeout: 30_000 });
    assert.deepEqual(elsewhere, [], 'the page asked for nothing beyond the hub');
    await page.close();
  });

  it('/docs (Swagger UI) renders the operations from /openapi.json', async () => {
    const { page, elsewhere } = await loopbackPage(browser);
    await page.goto(new URL('/docs', hub.url).toString());
    await page.locator('.opblock-summary-path', { hasText: '/v1/messages' }).first().waitFor({ timeout: 30_000 });
    assert.deepEqual(elsewhere, [], 'the page asked for nothing beyond the hub');
    await page.close();
  });
});
