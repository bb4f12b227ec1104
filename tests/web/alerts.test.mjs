// The alerts pages (docs/web-alertpages.md): the inbox (/alerts) with its filters and
// acknowledging several alerts at once, and an alert (/alerts/ID) with acknowledge, resolve and
// assign; for every role, with axe on every page.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { checkAxe, launchBrowser, roles, screenshot, signIn, startNode } from './harness.mjs';

let node;
let browser;
// One signed-in browser context at a time: holdfastd takes at most 16 connections from one
// address, and each context keeps several open.
let current = { role: null, context: null, page: null };
async function as(role) {
  if (current.role === role) return current.page;
  await current.context?.close();
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, node.url, node.users[role]);
  current = { role, context, page };
  return page;
}

before(async () => {
  node = await startNode({ sample: true });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await node?.stop();
});

// `alerts list` as `role`, as JSON objects.
async function listAlerts(role, ...args) {
  const out = await node.cliAs(role, 'alerts', 'list', '--format', 'json', ...args);
  const text = out.trim();
  if (!text) return [];
  return text.startsWith('[') ? JSON.parse(text) : text.split('\n').map((l) => JSON.parse(l));
}

async function goto(page, path) {
  const response = await page.goto(`${node.url}${path}`);
  await page.waitForLoadState('load');
  return response;
}

// The rows of the inbox's table, as {id (from the checkbox or the link), texts}.
async function inboxRows(page) {
  return page.locator('table.govuk-table tbody tr').evaluateAll((rows) => rows.map((row) => {
    const link = row.querySelector('a[href^="/alerts/"]');
    return {
      id: link ? link.getAttribute('href').slice('/alerts/'.length) : '',
      text: row.innerText,
      box: !!row.querySelector('input[name="alert"]'),
    };
  }));
}

test('the inbox: each role that reads cases sees its alerts, the others get 403', async () => {
  for (const role of roles) {
    const page = await as(role);
    const response = await goto(page, '/alerts');
    if (role === 'analyst' || role === 'operator') {
      assert.equal(response.status(), 403, role);
      assert.equal(await page.locator('table').count(), 0, `${role}: no table`);
      assert.match(await page.locator('h1').innerText(), /do not have access/);
      await checkAxe(page);
      continue;
    }
    assert.equal(response.status(), 200, role);
    assert.equal(await page.locator('h1').innerText(), 'Alerts');
    const expected = await listAlerts(role, '--limit', '25');
    const rows = await inboxRows(page);
    assert.equal(rows.length, expected.length, `${role}: the first page is alerts list's`);
    assert.deepEqual(rows.map((r) => r.id), expected.map((a) => a.alert), role);
    const mayAct = role !== 'facilitator';
    assert.equal(await page.getByRole('button', { name: 'Acknowledge selected' }).count(),
                 mayAct && rows.length ? 1 : 0, `${role}: the acknowledge form`);
    if (!mayAct) assert.ok(rows.every((r) => !r.box), 'facilitator: no checkboxes');
    await checkAxe(page);
    if (role === 'probation') await screenshot(page, 'alerts-inbox');
  }
});

test('the inbox pages on with GOV.UK pagination, and back', async () => {
  const page = await as('probation');
  const all = await listAlerts('probation', '--status', 'all');
  assert.ok(all.length > 25, `the sample has more than a page of alerts (${all.length})`);
  await goto(page, '/alerts?status=all');
  const first = await inboxRows(page);
  assert.equal(first.length, 25);
  await page.locator('.govuk-pagination__next a').click();
  await page.waitForLoadState('load');
  const second = await inboxRows(page);
  assert.deepEqual(second.map((r) => r.id), all.slice(25, 50).map((a) => a.alert));
  await checkAxe(page);
  await page.locator('.govuk-pagination__prev a').click();
  await page.waitForLoadState('load');
  assert.deepEqual((await inboxRows(page)).map((r) => r.id), first.map((r) => r.id));
});

test('the inbox filters by status, rule, severity, raised since and assigned to me', async () => {
  const page = await as('police');
  await goto(page, '/alerts');
  await page.locator('#status').selectOption('all');
  await page.locator('input[name="severity"][value="high"]').check();
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForLoadState('load');
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('status'), 'all');
  assert.deepEqual(url.searchParams.getAll('severity'), ['high']);
  const high = await listAlerts('police', '--status', 'all', '--severity', 'high', '--limit', '25');
  const rows = await inboxRows(page);
  assert.deepEqual(rows.map((r) => r.id), high.map((a) => a.alert));
  assert.ok(rows.every((r) => /High/.test(r.text)));
  assert.ok(await page.locator('input[name="severity"][value="high"]').isChecked(), 'kept');
  await checkAxe(page);

  const rule = high.length ? high[0].rule : 'breach';
  await goto(page, `/alerts?status=all&rule=${rule}&since=2020-01-01`);
  const byRule = await listAlerts('police', '--status', 'all', '--rule', rule, '--since',
                                  '2020-01-01', '--limit', '25');
  assert.deepEqual((await inboxRows(page)).map((r) => r.id), byRule.map((a) => a.alert));

  // Assigned to me: none yet for police-1, then one.
  await goto(page, '/alerts?status=all&mine=1');
  assert.equal((await inboxRows(page)).length, 0);
  assert.match(await page.locator('main').innerText(), /No alerts match these filters/);
  const one = (await listAlerts('police'))[0];
  await node.cliAs('police', 'alerts', 'assign', '--alert', one.alert, '--to', node.users.police.id);
  await goto(page, '/alerts?status=all&mine=1');
  assert.deepEqual((await inboxRows(page)).map((r) => r.id), [one.alert]);

  // A date that does not read: the error on the field, nothing listed.
  const response = await goto(page, '/alerts?since=yesterday');
  assert.equal(response.status(), 400);
  assert.match(await page.title(), /^Error: Alerts/);
  assert.match(await page.locator('#since-error').innerText(), /2026-12-07/);
  assert.equal(await page.locator('.govuk-error-summary a[href="#since"]').count(), 1);
  await checkAxe(page);
});

test('probation acknowledges three alerts at once; "select all" only with JavaScript', async () => {
  const page = await as('probation');
  await goto(page, '/alerts?severity=high&severity=medium&severity=low');
  const selectAll = page.locator('#select-all');
  assert.ok(await selectAll.isVisible(), 'holdfast.js shows "select all"');
  await selectAll.check();
  const boxes = page.locator('input[name="alert"]');
  assert.ok(await boxes.count() >= 3);
  for (let i = 0; i < await boxes.count(); i++) assert.ok(await boxes.nth(i).isChecked());
  await selectAll.uncheck();

  const rows = await inboxRows(page);
  const chosen = rows.slice(0, 3).map((r) => r.id);
  for (const id of chosen) await page.locator(`input[name="alert"][value="${id}"]`).check();
  await page.locator('#note').fill('Seen at the Monday triage meeting');
  await page.getByRole('button', { name: 'Acknowledge selected' }).click();
  await page.waitForLoadState('load');
  const url = new URL(page.url());
  assert.equal(url.pathname, '/alerts');
  assert.equal(url.searchParams.get('done'), 'acknowledged');
  assert.equal(url.searchParams.get('n'), '3');
  assert.deepEqual(url.searchParams.getAll('severity'), ['high', 'medium', 'low'], 'filters kept');
  assert.match(await page.locator('.govuk-notification-banner--success').innerText(),
               /3 alerts acknowledged/);
  const acknowledged = await listAlerts('probation', '--status', 'acknowledged');
  for (const id of chosen) {
    const a = acknowledged.find((x) => x.alert === id);
    assert.ok(a, `${id} is acknowledged`);
    assert.equal(a.acknowledged_by, node.users.probation.id);
    assert.equal(a.note, 'Seen at the Monday triage meeting');
  }
  const open = (await inboxRows(page)).map((r) => r.id);
  for (const id of chosen) assert.ok(!open.includes(id), 'gone from the open alerts');
  await checkAxe(page);

  // Without JavaScript: no "select all", the form still works.
  const context = await browser.newContext({ javaScriptEnabled: false });
  const plain = await context.newPage();
  await signIn(plain, node.url, node.users.probation);
  await goto(plain, '/alerts');
  assert.equal(await plain.locator('#select-all').isVisible(), false);
  await context.close();
});

test('acknowledging with none selected shows the error on the form; nothing is written', async () => {
  const page = await as('probation');
  const before = await listAlerts('probation', '--status', 'acknowledged');
  await goto(page, '/alerts');
  await page.locator('#note').fill('kept when refused');
  const posted = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Acknowledge selected' }).click();
  assert.equal((await posted).status(), 400);
  await page.waitForLoadState('load');
  assert.match(await page.title(), /^Error: Alerts/);
  assert.match(await page.locator('.govuk-error-summary').innerText(), /Select at least one alert/);
  assert.match(await page.locator('#alert-error').innerText(), /Select at least one alert/);
  assert.equal(await page.locator('#note').inputValue(), 'kept when refused');
  await page.locator('.govuk-error-summary a[href="#alert"]').click();
  await checkAxe(page);
  const after = await listAlerts('probation', '--status', 'acknowledged');
  assert.equal(after.length, before.length);
});

test('acknowledging several is all or nothing: one unknown alert, none written', async () => {
  const page = await as('probation');
  await goto(page, '/alerts');
  const [a, b] = (await listAlerts('probation')).map((x) => x.alert);
  const csrf = await page.locator('form[action="/sign-out"] input[name="csrf"]').inputValue();
  const unknown = '00000000-0000-4000-8000-000000000000';
  const response = await page.context().request.post(`${node.url}/alerts/acknowledge`, {
    data: `csrf=${csrf}&alert=${a}&alert=${unknown}&alert=${b}&note=x`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, maxRedirects: 0 });
  assert.equal(response.status(), 400);
  assert.match(await response.text(), /not known on this node/);
  const open = (await listAlerts('probation')).map((x) => x.alert);
  assert.ok(open.includes(a) && open.includes(b), 'neither was acknowledged');
});

test('an alert: every field police may read, a prefix redirects, ack/resolve/assign', async () => {
  const page = await as('police');
  const alert = (await listAlerts('police'))[1];
  const response = await goto(page, `/alerts/${alert.alert.slice(0, 8)}`);
  assert.equal(response.status(), 200);
  assert.equal(new URL(page.url()).pathname, `/alerts/${alert.alert}`, 'the whole id');
  const details = await page.locator('.govuk-summary-list').innerText();
  assert.match(details, new RegExp(alert.case));
  assert.match(details, new RegExp(alert.subject));
  assert.equal(await page.locator(`a[href="/cases/${alert.case}"]`).count(), 1);
  if (!('reason' in alert)) assert.doesNotMatch(details, /Reason/, 'withheld: absent');
  assert.match(await page.locator('.moj-timeline').innerText(), /Raised/);
  await checkAxe(page);
  await screenshot(page, 'alert');

  // Acknowledge.
  await page.locator('#note').fill('Checked the address');
  await page.getByRole('button', { name: 'Acknowledge alert' }).click();
  await page.waitForLoadState('load');
  assert.equal(new URL(page.url()).searchParams.get('done'), 'acknowledged');
  assert.match(await page.locator('.govuk-notification-banner--success').innerText(),
               /Alert acknowledged/);
  assert.match(await page.locator('.moj-timeline').innerText(), /Acknowledged\s+by police-1/);

  // Assign: a user id with a space is refused, in the form, with what was typed kept.
  await page.locator('#to').fill('pc one');
  await page.locator('#assign_note').fill('knows the family');
  let posted = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Assign alert' }).click();
  assert.equal((await posted).status(), 400);
  await page.waitForLoadState('load');
  assert.match(await page.title(), /^Error: /);
  assert.ok(await page.locator('#to-error').isVisible());
  assert.equal(await page.locator('.govuk-error-summary a[href="#to"]').count(), 1);
  assert.equal(await page.locator('#to').inputValue(), 'pc one');
  assert.equal(await page.locator('#assign_note').inputValue(), 'knows the family');
  await checkAxe(page);
  await screenshot(page, 'alert-error');
  await page.locator('#to').fill('pc-7');
  await page.getByRole('button', { name: 'Assign alert' }).click();
  await page.waitForLoadState('load');
  assert.equal(new URL(page.url()).searchParams.get('done'), 'assigned');
  assert.match(await page.locator('.govuk-summary-list').innerText(), /pc-7/);

  // Resolve: the action is required; then resolved.
  posted = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Resolve alert' }).click();
  assert.equal((await posted).status(), 400);
  await page.waitForLoadState('load');
  assert.match(await page.locator('#action-error').innerText(), /Enter the action taken/);
  await checkAxe(page);
  // What the daemon refuses (an action over 8 KiB) shows on the field too.
  await page.locator('#action').fill('y'.repeat(9000));
  posted = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Resolve alert' }).click();
  assert.equal((await posted).status(), 400);
  await page.waitForLoadState('load');
  assert.ok(await page.locator('#action-error').isVisible());
  assert.equal(await page.locator('.govuk-error-summary a[href="#action"]').count(), 1);
  assert.equal((await page.locator('#action').inputValue()).length, 9000, 'kept as typed');
  await page.locator('#action').fill('Home visit made');
  await page.getByRole('button', { name: 'Resolve alert' }).click();
  await page.waitForLoadState('load');
  assert.equal(new URL(page.url()).searchParams.get('done'), 'resolved');
  assert.equal(await page.getByRole('button', { name: 'Resolve alert' }).count(), 0,
               'no resolve form once resolved');
  assert.match(await page.locator('.moj-timeline').innerText(), /Resolved\s+by police-1/);
  await checkAxe(page);
  const [after] = await listAlerts('probation', '--status', 'all', '--subject', alert.subject)
    .then((list) => list.filter((a) => a.alert === alert.alert));
  assert.equal(after.status, 'resolved');
  assert.equal(after.action, 'Home visit made');
  assert.equal(after.assigned_to, 'pc-7');
  assert.equal(after.note, 'Checked the address');
});

test('a note too long for the daemon is refused in the acknowledge form', async () => {
  const page = await as('probation');
  const alert = (await listAlerts('probation'))[0];
  await goto(page, `/alerts/${alert.alert}`);
  await page.locator('#note').fill('x'.repeat(9000));
  const posted = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Acknowledge alert' }).click();
  assert.equal((await posted).status(), 400);
  await page.waitForLoadState('load');
  assert.ok(await page.locator('#note-error').isVisible());
  assert.equal(await page.locator('.govuk-error-summary a[href="#note"]').count(), 1);
  await checkAxe(page);
  const [still] = (await listAlerts('probation')).filter((a) => a.alert === alert.alert);
  assert.equal(still.status, 'open', 'nothing written');
});

test('a form posted without the session\'s CSRF token is refused and writes nothing', async () => {
  const page = await as('probation');
  const alert = (await listAlerts('probation'))[0];
  const forged = await page.context().request.post(`${node.url}/alerts/${alert.alert}/resolve`, {
    form: { csrf: 'forged', action: 'should not be written' }, maxRedirects: 0 });
  assert.equal(forged.status(), 403);
  const many = await page.context().request.post(`${node.url}/alerts/acknowledge`, {
    form: { csrf: 'forged', alert: alert.alert }, maxRedirects: 0 });
  assert.equal(many.status(), 403);
  const [still] = (await listAlerts('probation')).filter((a) => a.alert === alert.alert);
  assert.equal(still.status, 'open');
});

test('a facilitator sees no forms and gets 403 posting; an alert outside its scope shows nothing',
     async () => {
  const page = await as('facilitator');
  const alert = (await listAlerts('probation'))[0];
  const visible = await listAlerts('facilitator', '--status', 'all');
  assert.ok(!visible.some((a) => a.alert === alert.alert), 'outside this facilitator\'s scope');
  const response = await goto(page, `/alerts/${alert.alert}`);
  assert.equal(response.status(), 404);
  const body = await page.locator('main').innerText();
  assert.ok(!body.includes(alert.case) && !body.includes(alert.subject), 'nothing of it');
  assert.equal(await page.locator('form[action^="/alerts/"]').count(), 0);
  await checkAxe(page);
  // Posting with the session's own token: the role may not.
  const csrf = await page.locator('form[action="/sign-out"] input[name="csrf"]').inputValue();
  for (const action of ['acknowledge', 'resolve', 'assign']) {
    const refused = await page.context().request.post(`${node.url}/alerts/${alert.alert}/${action}`, {
      form: { csrf, note: 'x', action: 'x', to: 'x' }, maxRedirects: 0 });
    assert.equal(refused.status(), 403, action);
  }
  const many = await page.context().request.post(`${node.url}/alerts/acknowledge`, {
    form: { csrf, alert: alert.alert }, maxRedirects: 0 });
  assert.equal(many.status(), 403);
  const [still] = (await listAlerts('probation')).filter((a) => a.alert === alert.alert);
  assert.equal(still.status, 'open');
});

test('analyst and operator get 403 for an alert, and see nothing of it', async () => {
  const alert = (await listAlerts('probation'))[0];
  for (const role of ['analyst', 'operator']) {
    const page = await as(role);
    const response = await goto(page, `/alerts/${alert.alert}`);
    assert.equal(response.status(), 403, role);
    const body = await page.locator('main').innerText();
    assert.ok(!body.includes(alert.case), `${role}: nothing of it`);
    await checkAxe(page);
  }
});

test('an id too short or unknown is a clear refusal page', async () => {
  const page = await as('probation');
  let response = await goto(page, '/alerts/abc');
  assert.equal(response.status(), 400);
  assert.match(await page.locator('main').innerText(), /8/);
  await checkAxe(page);
  response = await goto(page, '/alerts/00000000-0000-4000-8000-000000000000');
  assert.equal(response.status(), 404);
  await checkAxe(page);
});

test('a facilitator reads the alerts on its agency\'s interventions, with no forms', async () => {
  // A case whose intervention is referred to this node's agency, which the person left: a
  // dropout alert on that intervention, which the node's facilitator may read.
  const author = { user: 'po-9', role: 'probation', agency: 'probation-ce' };
  const events = [
    ['11111111-1111-4111-8111-000000000001', '2025-03-01T10:00:00Z', 'case.opened',
     { case: 'C-09001', subject: 'P-09001', order: 'licence', risk: 'medium',
       lead_agency: 'probation-ce' }],
    ['11111111-1111-4111-8111-000000000002', '2025-03-02T10:00:00Z', 'intervention.referred',
     { case: 'C-09001', intervention: 'I-09001-1', programme: 'building_choices',
       provider: 'probation-ce' }],
    ['11111111-1111-4111-8111-000000000003', '2025-03-09T18:00:00Z', 'intervention.started',
     { case: 'C-09001', intervention: 'I-09001-1' }],
    ['11111111-1111-4111-8111-000000000004', '2025-04-01T12:00:00Z', 'intervention.exited',
     { case: 'C-09001', intervention: 'I-09001-1', reason: 'withdrew' }],
  ].map(([id, at, type, data]) => JSON.stringify({ id, occurred_at: at, author, type, data }));
  const file = join(node.dir, 'facilitator-case.jsonl');
  writeFileSync(file, events.join('\n') + '\n');
  await node.cli('import', '--file', file);
  const visible = await listAlerts('facilitator', '--status', 'all');
  const mine = visible.find((a) => a.case === 'C-09001');
  assert.ok(mine, 'the dropout alert is the facilitator\'s to read');

  const page = await as('facilitator');
  await goto(page, '/alerts?status=all');
  const rows = await inboxRows(page);
  assert.deepEqual(rows.map((r) => r.id), visible.slice(0, 25).map((a) => a.alert));
  assert.ok(rows.every((r) => !r.box), 'no checkboxes');
  assert.equal(await page.locator('form[method="post"][action^="/alerts"]').count(), 0);
  await checkAxe(page);

  const response = await goto(page, `/alerts/${mine.alert}`);
  assert.equal(response.status(), 200);
  assert.match(await page.locator('.govuk-summary-list').innerText(), /I-09001-1/);
  assert.equal(await page.locator('form[method="post"][action^="/alerts"]').count(), 0,
               'no acknowledge, resolve or assign form');
  await checkAxe(page);
  const csrf = await page.locator('form[action="/sign-out"] input[name="csrf"]').inputValue();
  const refused = await page.context().request.post(`${node.url}/alerts/${mine.alert}/acknowledge`,
                                                    { form: { csrf, note: 'x' }, maxRedirects: 0 });
  assert.equal(refused.status(), 403);
  const [still] = (await listAlerts('probation', '--status', 'all', '--case', 'C-09001'));
  assert.equal(still.status, 'open');
});
