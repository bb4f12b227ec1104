// A session ends after [web] session_idle_minutes without a request (docs/web-sign-in.md):
// the next page asked for leads to sign-in, saying why, and then back to that page.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { checkAxe, launchBrowser, screenshot, signIn, startNode } from './harness.mjs';

let node;
let browser;
before(async () => {
  node = await startNode({ config: { web: { session_idle_minutes: 1 } } });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await node?.stop();
});

test('an idle session ends; the next page asks to sign in again and returns there', async () => {
  const page = await browser.newPage();
  await signIn(page, node.url, node.users.police);
  await page.goto(`${node.url}/alerts`);
  assert.equal(new URL(page.url()).pathname, '/alerts', 'signed in');
  // The minute must pass with no request at all (each request restarts it): this waits for
  // the clock, which is what is under test, not for another process.
  await new Promise((resolve) => setTimeout(resolve, 61_000));
  await page.goto(`${node.url}/alerts?status=all`);
  const url = new URL(page.url());
  assert.equal(url.pathname, '/sign-in');
  assert.equal(url.searchParams.get('next'), '/alerts?status=all');
  assert.match(await page.locator('.govuk-notification-banner').innerText(),
               /You have been signed out/);
  await checkAxe(page);
  await screenshot(page, 'sign-in-session-ended');
  await page.locator('input[name="user"]').fill(node.users.police.id);
  await page.locator('input[name="password"]').fill(node.users.police.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState('load');
  const back = new URL(page.url());
  assert.equal(back.pathname + back.search, '/alerts?status=all');
  await page.close();
});
