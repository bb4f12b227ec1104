// Today (docs/web-register.md): each role's first page. Probation, facilitator and police see
// their assigned and open alerts and the cases with recent absences, each only what their
// role may read; a facilitator also starts registers there; analyst and operator are sent on.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { checkAxe, launchBrowser, screenshot, signIn, startNode } from './harness.mjs';

const group = 'grpT';
const day = 24 * 3600 * 1000;
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

let node;
let browser;
let alertId;

// Three cases of this node's agency in one group; T-1 is absent without good reason twice
// in the last fortnight (a non-engagement alert), which probation assigns to the facilitator.
async function makeGroup() {
  for (let n = 1; n <= 3; n++) {
    const c = `T-${n}`;
    await node.cliAs('probation', 'case', 'open', '--case', c, '--subject', `TS-${n}`, '--order',
                     'community_order', '--risk', 'medium', '--lead-agency', 'probation-ce');
    await node.cliAs('probation', 'intervention', 'refer', '--case', c, '--intervention', `${c}-1`,
                     '--programme', 'building_choices', '--provider', 'probation-ce');
    await node.cliAs('facilitator', 'intervention', 'start', '--case', c, '--intervention',
                     `${c}-1`, '--group', group, '--at', iso(Date.now() - 20 * day));
  }
  for (const [session, ago] of [['S-t1', 9], ['S-t2', 2]]) {
    await node.cliAs('facilitator', 'session', 'register', '--session', session, '--group', group,
                     '--module', 'Module 1', '--facilitator', node.users.facilitator.id, '--at',
                     iso(Date.now() - ago * day), '--attendee', 'T-1:T-1-1:absent_unacceptable',
                     '--attendee', 'T-2:T-2-1:attended', '--attendee', 'T-3:T-3-1:late');
  }
  const alerts = JSON.parse(await node.cliAs('probation', 'alerts', 'list', '--case', 'T-1',
                                             '--format', 'json'));
  assert.equal(alerts.length, 1, 'T-1 has a non-engagement alert');
  alertId = alerts[0].alert;
  await node.cliAs('probation', 'alerts', 'assign', '--alert', alertId, '--to',
                   node.users.facilitator.id);
}

before(async () => {
  node = await startNode({ sample: true, name: 'today' });
  browser = await launchBrowser();
  await makeGroup();
});
after(async () => {
  await browser?.close();
  await node?.stop();
});

async function today(role) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, node.url, node.users[role]);
  const response = await page.goto(`${node.url}/`);
  return { context, page, response };
}

const headings = (page) => page.locator('main h2').allInnerTexts();

test('a facilitator sees the alert assigned to them, recent absences, and starts a register',
     async () => {
  const { context, page } = await today('facilitator');
  assert.deepEqual(await headings(page), ['Alerts assigned to you', 'Open alerts',
                                         'Cases with recent absences', 'Sessions to register']);
  const assigned = page.locator('h2#assigned + table');
  assert.match(await assigned.innerText(), /T-1/);
  assert.equal(await assigned.locator(`a[href="/alerts/${alertId}"]`).count(), 1);
  assert.match(await page.locator('h2#absences ~ table').first().innerText(), /T-1/);
  // Only its agency's cases: none of the sample county (whose provider is another agency).
  assert.doesNotMatch(await page.locator('main').innerText(), /C-0\d/);
  await checkAxe(page);
  await screenshot(page, 'today');
  await page.locator('#group').fill(group);
  await page.getByRole('button', { name: 'Start a register' }).click();
  await page.waitForLoadState('load');
  assert.equal(new URL(page.url()).pathname, '/sessions/new');
  assert.equal(await page.locator('#group').inputValue(), group);
  await context.close();
});

test('probation sees every open alert and the recent absences; nothing assigned', async () => {
  const { context, page } = await today('probation');
  assert.deepEqual(await headings(page), ['Alerts assigned to you', 'Open alerts',
                                         'Cases with recent absences']);
  assert.match(await page.locator('h2#assigned + p').innerText(), /Nothing to do/);
  const open = await page.locator('h2#open ~ table').first().innerText();
  assert.match(open, /C-0\d/, 'the sample county\'s open alerts');
  assert.match(await page.locator('h2#absences ~ table').first().innerText(), /T-1/);
  await checkAxe(page);
  await screenshot(page, 'today-probation');
  await context.close();
});

test('police see open alerts and the cases, not the register', async () => {
  const { context, page } = await today('police');
  assert.deepEqual(await headings(page), ['Alerts assigned to you', 'Open alerts',
                                         'Cases with recent absences']);
  assert.equal(await page.locator('a[href^="/sessions/"]').count(), 0);
  await checkAxe(page);
  await context.close();
});

test('analyst and operator are sent to their own first page', async () => {
  for (const [role, path] of [['analyst', '/indicators'], ['operator', '/operator']]) {
    const { context, page } = await today(role);
    assert.equal(new URL(page.url()).pathname, path, role);
    await context.close();
  }
});
