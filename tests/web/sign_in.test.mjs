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
  assert.match(await page.locator('#user-error').innerText(), /user id or password is not right/i);
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

test('after three wrong passwords sign-in waits, even for the right one, and all is audited', async () => {
  const page = await browser.newPage();
  const user = node.users.analyst;
  // The form's token, then wrong passwords posted with it until the node makes the id wait
  // (the third failure); then, at once, the right password is refused too.
  await page.goto(`${node.url}/sign-in`);
  const csrf = await page.locator('input[name="csrf"]').inputValue();
  const post = (password) => page.request.post(`${node.url}/sign-in`, {
    form: { csrf, user: user.id, password, next: '/' }, maxRedirects: 0 });
  let failures = 0;
  let waiting = null;
  while (!waiting) {
    const response = await post(`wrong password ${failures}`);
    if (response.status() === 429) {
      waiting = response;
    } else {
      assert.equal(response.status(), 401);
      ++failures;
      assert.ok(failures <= 3, 'the id waits after its third failure');
    }
  }
  assert.equal(failures, 3);
  assert.match(waiting.headers()['retry-after'], /^[1-9][0-9]*$/);
  const right = await post(user.password);
  assert.equal(right.status(), 429, 'the right password waits too');
  assert.match(await right.text(), /too many failed sign-ins: try again in [0-9]+ second/i);
  // What a person sees (the wait, or the failure if it has already passed on a slow machine).
  await page.locator('input[name="user"]').fill(user.id);
  await page.locator('input[name="password"]').fill('wrong password again');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState('load');
  assert.match(await page.locator('#user-error').innerText(),
               /too many failed sign-ins|user id or password is not right/i);
  await checkAxe(page);
  await screenshot(page, 'sign-in-wait');
  const audit = await node.cli('audit', 'list', '--user', user.id, '--format', 'csv');
  const signIns = audit.split('\n').filter((line) => line.includes('sign-in'));
  assert.ok(signIns.length >= 5, `five sign-in entries for ${user.id}:\n${audit}`);
  assert.ok(!audit.includes('wrong password'), 'no password in the audit log');
  await page.close();
});
