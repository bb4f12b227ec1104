// Signing in and out (docs/web-sign-in.md): the sign-in page, a wrong password shown in the
// form, a session cookie with the right attributes, a CSRF token on every form, sign-out.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { checkAxe, launchBrowser, screenshot, signIn, startNode } from './harness.mjs';

let node;
let browser;
before(async () => {
  node = await startNode();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await node?.stop();
});

test('a page asked for before signing in leads to sign-in, then back to it', async () => {
  const page = await browser.newPage();
  await page.goto(`${node.url}/cases?open=1`);
  assert.equal(new URL(page.url()).pathname, '/sign-in');
  await checkAxe(page);
  await screenshot(page, 'sign-in');
  await page.locator('input[name="user"]').fill(node.users.probation.id);
  await page.locator('input[name="password"]').fill(node.users.probation.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState('load');
  const url = new URL(page.url());
  assert.equal(url.pathname + url.search, '/cases?open=1');
  await page.close();
});

test('a wrong password is shown in the form, with the error summary', async () => {
  const page = await browser.newPage();
  const response = await signIn(page, node.url, { id: node.users.police.id, password: 'not it at all' });
  assert.equal(response.status(), 401);
  await assert.doesNotReject(page.locator('.govuk-error-summary').waitFor());
  assert.match(await page.locator('#user-error').innerText(), /user id or password is not right/);
  assert.match(await page.title(), /^Error: Sign in/);
  await checkAxe(page);
  await screenshot(page, 'sign-in-error');
  await page.close();
});

test('the session cookie is HttpOnly, Secure and SameSite=Strict; sign-out ends it', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const response = await signIn(page, node.url, node.users.probation);
  assert.equal(response.status(), 303);
  const cookie = (await context.cookies()).find((c) => c.name === 'holdfast_session');
  assert.ok(cookie, 'a holdfast_session cookie');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.secure, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(cookie.expires, -1, 'a browser-session cookie');
  await assert.doesNotReject(page.getByRole('heading', { name: 'Today' }).waitFor());
  await checkAxe(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForLoadState('load');
  assert.equal(new URL(page.url()).pathname, '/sign-in');
  await page.goto(`${node.url}/`);
  assert.equal(new URL(page.url()).pathname, '/sign-in', 'signed out: / leads to sign-in');
  await context.close();
});

test('a form posted without the session\'s CSRF token is refused', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, node.url, node.users.probation);
  const refused = await context.request.post(`${node.url}/sign-out`, {
    form: { csrf: 'forged' }, maxRedirects: 0 });
  assert.equal(refused.status(), 303);
  await page.goto(`${node.url}/`);
  assert.equal(new URL(page.url()).pathname, '/', 'still signed in: the forged sign-out did nothing');
  await context.close();
});
