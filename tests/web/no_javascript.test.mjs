// The pages are rendered by holdfastd and work without JavaScript (progressive enhancement):
// with JavaScript switched off in Chromium, a probation officer signs in, searches the cases,
// opens one, records a breach on it, and acknowledges an alert from the inbox.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launchBrowser, startNode } from './harness.mjs';

let node;
let browser;
before(async () => {
  node = await startNode({ sample: true });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await node?.stop();
});

test('without JavaScript: sign in, search, a case, a form, the inbox', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${node.url}/sign-in`);
  await page.locator('input[name="user"]').fill(node.users.probation.id);
  await page.locator('input[name="password"]').fill(node.users.probation.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState('load');
  assert.equal(await page.evaluate(() => document.body.className.includes('js-enabled')), false,
               'JavaScript is off');
  await assert.doesNotReject(page.getByRole('heading', { name: 'Today' }).waitFor());

  // Search the cases; open the first one found.
  await page.goto(`${node.url}/cases`);
  await page.locator('input[name="q"]').fill('C-0000');
  await page.locator('form[method="get"] button').first().click();
  await page.waitForLoadState('load');
  assert.match(page.url(), /q=C-0000/);
  const first = page.locator('tbody a[href^="/cases/"]').first();
  const caseId = (await first.innerText()).trim();
  await first.click();
  await page.waitForLoadState('load');
  assert.equal(new URL(page.url()).pathname, `/cases/${caseId}`);

  // A form: report a breach; the case page says it was saved.
  const breaches = (json) =>
    JSON.parse(json).timeline.filter((e) => e.type === 'breach.reported').length;
  const before =
    breaches(await node.cliAs('probation', 'case', 'show', '--case', caseId, '--format', 'json'));
  await page.goto(`${node.url}/cases/${caseId}/breach`);
  for (const textarea of await page.locator('textarea').all()) await textarea.fill('missed curfew twice');
  const radios = page.locator('input[type="radio"]');
  if (await radios.count() > 0) await radios.first().check();
  await page.locator('form[method="post"] button.govuk-button').first().click();
  await page.waitForLoadState('load');
  assert.equal(new URL(page.url()).pathname, `/cases/${caseId}`, await page.locator('main').innerText());
  assert.match(await page.locator('.govuk-notification-banner').innerText(), /breach/i);
  const afterShow = await node.cliAs('probation', 'case', 'show', '--case', caseId, '--format', 'json');
  assert.equal(breaches(afterShow), before + 1, 'one breach recorded');
  // (No axe here: it is a script, and scripts are off. Every page is checked with them on.)

  // The inbox: tick one alert and acknowledge it, no script involved.
  await page.goto(`${node.url}/alerts`);
  const box = page.locator('input[name="alert"]').first();
  const alert = await box.getAttribute('value');
  await box.check();
  await page.getByRole('button', { name: 'Acknowledge selected' }).click();
  await page.waitForLoadState('load');
  assert.match(await page.locator('.govuk-notification-banner').innerText(), /acknowledged/i);
  const acknowledged = await node.cliAs('probation', 'alerts', 'list', '--status', 'acknowledged',
                                        '--format', 'csv');
  assert.match(acknowledged, new RegExp(`^${alert},`, 'm'));
  await context.close();
});
