// The operator's pages (docs/web-reports.md): a summary, sync status per peer, users, hooks
// and an audit search; 403 for every other role.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { checkAxe, launchBrowser, roles, screenshot, signIn, startNode } from './harness.mjs';

let node;
let browser;
// One signed-in browser context at a time: holdfastd takes at most 16 connections from one
// address, and each context keeps a few open.
let current = null;  // { role, context, page }
let caseId;

const operatorPaths = ['/operator', '/operator/sync', '/operator/users', '/operator/hooks',
                       '/operator/audit'];

before(async () => {
  node = await startNode({ sample: true });
  // A hook, so its table has a row. (No peer: the harness's node has no [sync] listen, and
  // peers add is refused without one; the sync page's table is not shown here.)
  await node.cli('hooks', 'add', '--id', 'mail', '--exec', '/bin/true');
  // A case read by probation: audited as case-show.
  const csv = await node.cliAs('probation', 'case', 'list', '--format', 'csv');
  caseId = csv.split('\n')[1].split(',')[0];
  await node.cliAs('probation', 'case', 'show', '--case', caseId);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await node?.stop();
});

// A page signed in as `role` (the context of another role is closed first).
async function pageFor(role) {
  if (current?.role === role) return current.page;
  await current?.context.close();
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, node.url, node.users[role]);
  current = { role, context, page };
  return page;
}

async function open(role, path) {
  const page = await pageFor(role);
  const response = await page.goto(`${node.url}${path}`);
  return { page, status: response.status() };
}

test('the operator\'s summary links to sync, users, hooks and the audit log', async () => {
  const { page, status } = await open('operator', '/operator');
  assert.equal(status, 200);
  const text = await page.locator('main').innerText();
  assert.match(text, /0 peers, 0 connected/);
  assert.match(text, /6 users, 0 disabled/);  // node init's operator and one per role
  assert.match(text, /1 hook/);
  for (const path of operatorPaths.slice(1)) {
    assert.equal(await page.locator(`main a[href="${path}"]`).count() >= 1, true, path);
  }
  await checkAxe(page);
  await screenshot(page, 'operator');
});

test('sync status, users and hooks are tables with their states', async () => {
  const sync = await open('operator', '/operator/sync');
  assert.equal(sync.status, 200);
  assert.match(await sync.page.locator('main').innerText(), /This node has no peers/);
  await checkAxe(sync.page);

  const users = await open('operator', '/operator/users');
  assert.equal(users.status, 200);
  for (const role of roles) {
    const row = users.page.locator('main table tbody tr', { hasText: node.users[role].id });
    assert.match(await row.innerText(), new RegExp(role));
    assert.match(await row.locator('.govuk-tag').innerText(), /Active/);
  }
  await checkAxe(users.page);

  const hooks = await open('operator', '/operator/hooks');
  assert.equal(hooks.status, 200);
  const hookRow = hooks.page.locator('main table tbody tr', { hasText: 'mail' });
  assert.match(await hookRow.innerText(), /exec/);
  assert.match(await hookRow.innerText(), /\/bin\/true/);
  assert.equal(await hookRow.locator('.govuk-tag').count(), 1);
  await checkAxe(hooks.page);
});

test('the audit search finds a sign-in and a case read by probation', async () => {
  await pageFor('probation');  // a sign-in of probation's, audited as sign-in
  const { page } = await open('operator', '/operator/audit');
  await page.locator('input[name="user"]').fill(node.users.probation.id);
  await page.locator('input[name="verb"]').fill('sign-in');
  await page.getByRole('button', { name: 'Search the audit log' }).click();
  await page.waitForLoadState('load');
  const rows = page.locator('main table tbody tr');
  assert.ok(await rows.count() >= 1, 'a sign-in of probation');
  assert.match(await rows.first().innerText(), /sign-in/);
  assert.match(await rows.first().innerText(), new RegExp(node.users.probation.id));
  assert.match(await rows.first().locator('.govuk-tag').innerText(), /Allowed/i);

  await page.goto(`${node.url}/operator/audit?user=${node.users.probation.id}&verb=case-show` +
                  `&case=${caseId}&outcome=allowed`);
  assert.ok(await rows.count() >= 1, 'the case show');
  assert.match(await rows.first().innerText(), new RegExp(caseId));
  assert.equal(await page.locator('input[name="case"]').inputValue(), caseId, 'the form keeps the filters');
  await checkAxe(page);
  await screenshot(page, 'audit');

  // A search nothing matches says so.
  await page.goto(`${node.url}/operator/audit?user=nobody-at-all`);
  assert.equal(await rows.count(), 0);
  assert.match(await page.locator('main').innerText(), /No audit entries match/);
});

test('the audit search pages through many entries', async () => {
  const { page } = await open('operator', '/operator/audit');
  const rows = page.locator('main table tbody tr');
  // Every page this test opens is audited too; with the sample's import and the sign-ins
  // there are more than 50 entries by now, or soon.
  const next = page.getByRole('link', { name: /Next/ });
  for (let i = 0; (await next.count()) === 0 && i < 60; i++) await page.reload();
  assert.equal(await rows.count(), 50);
  const first = await rows.first().innerText();
  await next.click();
  await page.waitForLoadState('load');
  assert.ok(await rows.count() >= 1);
  assert.notEqual(await rows.first().innerText(), first);
  assert.match(new URL(page.url()).search, /after=/);
  await page.getByRole('link', { name: 'Back to the newest entries' }).click();
  await page.waitForLoadState('load');
  assert.doesNotMatch(new URL(page.url()).search, /after=/);
});

test('a bad filter is shown on its field', async () => {
  const bad = await open('operator', '/operator/audit?since=yesterday');
  assert.equal(bad.status, 400);
  assert.match(await bad.page.title(), /^Error: Audit log/);
  assert.match(await bad.page.locator('#since-error').innerText(), /2026-12-07/);
  assert.equal(await bad.page.locator('.govuk-error-summary a[href="#since"]').count(), 1);
  await checkAxe(bad.page);
  const verb = await open('operator', '/operator/audit?verb=no+such+verb');
  assert.equal(verb.status, 400);
  assert.ok((await verb.page.locator('#verb-error').innerText()).length > 0);
});

test('every operator page is 403 for every other role, showing nothing of it', async () => {
  for (const role of roles.filter((r) => r !== 'operator')) {
    for (const path of operatorPaths) {
      const { page, status } = await open(role, path);
      assert.equal(status, 403, `${role} ${path}`);
      assert.equal(await page.locator('main table').count(), 0, `${role} ${path}`);
      assert.doesNotMatch(await page.locator('main').innerText(), /sign-in|\/bin\/true/, `${role} ${path}`);
    }
    await checkAxe(await pageFor(role));
  }
});

test('an operator disables and enables a user from the users page; a refusal shows at its button',
     async () => {
  // The police user signed in, in a context of its own, to see its session end.
  const policeContext = await browser.newContext();
  const policePage = await policeContext.newPage();
  await signIn(policePage, node.url, node.users.police);
  const page = await pageFor('operator');
  await page.goto(`${node.url}/operator/users`);
  const police = node.users.police.id;
  await page.getByRole('button', { name: `Disable ${police}` }).click();
  await page.waitForLoadState('load');
  assert.equal(new URL(page.url()).pathname, '/operator/users');
  assert.match(await page.locator('.govuk-notification-banner--success').innerText(),
               new RegExp(`${police} is disabled`));
  const row = page.locator('main table tbody tr', { hasText: police });
  assert.match(await row.locator('.govuk-tag').innerText(), /Disabled/);
  assert.match(await node.cli('users', 'list'), new RegExp(`${police}.*disabled`));
  // The police user's session stopped at once.
  await policePage.goto(`${node.url}/quality`);
  assert.equal(new URL(policePage.url()).pathname, '/sign-in');
  await policeContext.close();
  await checkAxe(page);

  await page.getByRole('button', { name: `Enable ${police}` }).click();
  await page.waitForLoadState('load');
  assert.match(await page.locator('.govuk-notification-banner--success').innerText(),
               new RegExp(`${police} is enabled again`));
  assert.match(await row.locator('.govuk-tag').innerText(), /Active/);

  // The node's first operator (node init's, mapped to this Unix account) is the only one who
  // can manage the node: disabling it is refused, shown at its button, and nothing changes.
  const users = await node.cli('users', 'list', '--format', 'csv');
  const first = users.split('\n').slice(1).map((l) => l.split(','))
    .find((c) => c[1] === 'operator' && c[0] !== node.users.operator.id)[0];
  const posted = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.getByRole('button', { name: `Disable ${first}` }).click();
  assert.equal((await posted).status(), 400);
  await page.waitForLoadState('load');
  assert.match(await page.title(), /^Error: Users/);
  assert.equal(await page.locator(`.govuk-error-summary a[href="#user-${first}"]`).count(), 1);
  assert.match(await page.locator(`[id="user-${first}-error"]`).innerText(), /only enabled operator/);
  await checkAxe(page);
  await screenshot(page, 'users-refused');

  // A forged CSRF token changes nothing.
  const forged = await page.context().request.post(
    `${node.url}/operator/users/${police}/disable`, { form: { csrf: 'forged' }, maxRedirects: 0 });
  assert.equal(forged.status(), 403);
  await page.goto(`${node.url}/operator/users`);
  assert.match(await row.locator('.govuk-tag').innerText(), /Active/);
  // And no other role may post it.
  const refused = await (await pageFor('probation')).context().request.post(
    `${node.url}/operator/users/${police}/disable`, { form: { csrf: 'x' }, maxRedirects: 0 });
  assert.equal(refused.status(), 403);
});
