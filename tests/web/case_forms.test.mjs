// A case's forms (docs/web-caseforms.md): record attendance, report a breach, record a risk
// change, close the case and void a record. Each form's success (the record then shows in
// `holdfast case show`), its refusals shown in the form with nothing written, a forged CSRF
// token, and what every role gets at every form.
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';

import { checkAxe, launchBrowser, roles, screenshot, signIn, startNode } from './harness.mjs';

let node;
let browser;
// A signed-in browser context per role, made when first asked for and closed after each test:
// the node takes at most 16 connections from one address, and each context keeps some open.
const contexts = {};
async function contextOf(role) {
  if (!contexts[role]) {
    contexts[role] = await browser.newContext();
    const page = await contexts[role].newPage();
    await signIn(page, node.url, node.users[role]);
    await page.close();
  }
  return contexts[role];
}
async function closeContexts() {
  for (const role of Object.keys(contexts)) {
    await contexts[role].close();
    delete contexts[role];
  }
}

// RFC 3339 for `days` days from now (negative: ago), to the second.
function daysFromNow(days) {
  return new Date(Date.now() + days * 86400000).toISOString().replace(/\.\d+Z$/, 'Z');
}

// Our own cases, whose intervention is referred to this node's agency (probation-ce), so the
// node's facilitator may read and record them; the sample county's are provider-ce's.
const caseId = 'C-WEB-1';
const closingCaseId = 'C-WEB-2';
const subject = 'P-WEB-1';
const intervention = 'I-WEB-1';
const session = 'S-WEB-1';

before(async () => {
  node = await startNode({ sample: true });
  browser = await launchBrowser();
  for (const [c, s, i] of [[caseId, subject, intervention], [closingCaseId, 'P-WEB-2', 'I-WEB-2']]) {
    await node.cliAs('probation', 'case', 'open', '--case', c, '--subject', s, '--order',
                     'community_order', '--risk', 'medium', '--lead-agency', 'probation-ce',
                     '--at', daysFromNow(-40));
    await node.cliAs('probation', 'intervention', 'refer', '--case', c, '--intervention', i,
                     '--programme', 'building_choices', '--provider', 'probation-ce',
                     '--at', daysFromNow(-39));
    await node.cliAs('probation', 'intervention', 'start', '--case', c, '--intervention', i,
                     '--group', 'grpW', '--at', daysFromNow(-30));
  }
  await node.cliAs('facilitator', 'session', 'log', '--session', session, '--group', 'grpW',
                   '--module', 'Module 1', '--facilitator', node.users.facilitator.id,
                   '--at', daysFromNow(-1));
});
afterEach(closeContexts);
after(async () => {
  await browser?.close();
  await node?.stop();
});

// The case as `holdfast case show --format json` gives it to probation.
async function caseShow(id = caseId) {
  return JSON.parse(await node.cliAs('probation', 'case', 'show', '--case', id, '--format', 'json'));
}
const ofType = (view, type) => view.timeline.filter((t) => t.type === type);

// Opens `path` as `role`; resolves {page, response}.
async function open(role, path) {
  const page = await (await contextOf(role)).newPage();
  const response = await page.goto(`${node.url}${path}`);
  return { page, response };
}

// Clicks the submit button `name` and resolves the POST's response (its redirect is followed).
async function submit(page, name) {
  const posted = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.getByRole('button', { name }).click();
  const response = await posted;
  await page.waitForLoadState('load');
  return response;
}

async function expectRefusedInForm(page, response, field, pattern) {
  assert.equal(response.status(), 400);
  assert.match(await page.title(), /^Error: /);
  const summary = page.locator('.govuk-error-summary');
  await summary.waitFor();
  assert.match(await summary.innerText(), pattern);
  if (field) {
    assert.match(await page.locator(`#${field}-error`).innerText(), pattern);
    assert.equal(await summary.locator(`a[href="#${field}"]`).count() > 0, true,
                 `the summary links to #${field}`);
  }
}

test('recording attendance: required fields, an unknown session, a future time, then success',
     async () => {
  const before = ofType(await caseShow(), 'attendance.recorded').length;
  const { page, response } = await open('probation', `/cases/${caseId}/attendance`);
  assert.equal(response.status(), 200);
  assert.equal(await page.locator('h1').innerText(), 'Record attendance');
  assert.equal(await page.locator('#intervention').inputValue(), intervention,
               'the one running intervention is chosen');
  await checkAxe(page);
  await screenshot(page, 'attendance-form');

  // Nothing filled in: the handler's own checks, in GOV.UK's words.
  await page.locator('#intervention').selectOption('');
  let r = await submit(page, 'Record attendance');
  await expectRefusedInForm(page, r, 'session', /Enter the session ID/);
  assert.match(await page.locator('#outcome-error').innerText(), /Select an outcome/);
  assert.match(await page.locator('#intervention-error').innerText(), /Select an intervention/);
  await checkAxe(page);

  // A session this node holds no session.held for, without the one-to-one box.
  await page.locator('#intervention').selectOption(intervention);
  await page.locator('#session').fill('S-NOT-LOGGED');
  await page.getByLabel('Absent, unacceptable').check();
  await page.locator('#reason').fill('no contact');
  r = await submit(page, 'Record attendance');
  await expectRefusedInForm(page, r, 'session', /session S-NOT-LOGGED is not logged on this node/i);
  assert.match(await page.locator('#session-error').innerText(), /One-to-one appointment/);
  assert.equal(await page.locator('#session').inputValue(), 'S-NOT-LOGGED', 'what was typed is kept');
  assert.equal(await page.locator('#reason').inputValue(), 'no contact');
  assert.equal(await page.getByLabel('Absent, unacceptable').isChecked(), true);
  await checkAxe(page);
  await screenshot(page, 'attendance-form-error');

  // A time in the future.
  await page.locator('#session').fill(session);
  await page.locator('#when').fill('2099-01-01 18:00');
  r = await submit(page, 'Record attendance');
  await expectRefusedInForm(page, r, 'when', /is in the future/);

  // A time that is no time.
  await page.locator('#when').fill('yesterday');
  r = await submit(page, 'Record attendance');
  await expectRefusedInForm(page, r, 'when', /Enter the date and time as 2026-12-07 18:00/);
  assert.equal(ofType(await caseShow(), 'attendance.recorded').length, before,
               'nothing was written by the refusals');

  // Right, at last.
  await page.locator('#when').fill('');
  await page.getByLabel('Behaviour concern').check();
  r = await submit(page, 'Record attendance');
  assert.equal(r.status(), 303);
  assert.equal(r.headers().location, `/cases/${caseId}?done=attendance`);
  const recorded = ofType(await caseShow(), 'attendance.recorded');
  assert.equal(recorded.length, before + 1);
  const data = recorded.at(-1).data.data;
  assert.deepEqual([data.session, data.outcome, data.reason, data.concern, data.intervention],
                   [session, 'absent_unacceptable', 'no contact', true, intervention]);
  await page.close();
});

test('a one-to-one appointment takes a session the node has not logged', async () => {
  const { page } = await open('facilitator', `/cases/${caseId}/attendance`);
  await page.locator('#session').fill('121-WEB-1');
  await page.getByLabel('One-to-one appointment (no group session)').check();
  await page.getByLabel('Attended').check();
  await page.locator('#when').fill(daysFromNow(-2).replace('T', ' ').slice(0, 16));
  const r = await submit(page, 'Record attendance');
  assert.equal(r.status(), 303, await page.content());
  const recorded = ofType(await caseShow(), 'attendance.recorded').map((t) => t.data);
  const one = recorded.find((e) => e.data.session === '121-WEB-1');
  assert.ok(one, 'the one-to-one attendance is in case show');
  assert.equal(one.author.user, node.users.facilitator.id, 'recorded as the signed-in user');
  await page.close();
});

test('reporting a breach: a kind is required, then it is recorded', async () => {
  const { page, response } = await open('probation', `/cases/${caseId}/breach`);
  assert.equal(response.status(), 200);
  await checkAxe(page);
  let r = await submit(page, 'Report breach');
  await expectRefusedInForm(page, r, 'kind', /Select the kind of breach/);
  await checkAxe(page);
  assert.equal(ofType(await caseShow(), 'breach.reported').length, 0);
  await page.getByLabel('Failure to comply').check();
  await page.locator('#detail').fill('missed 3 appointments');
  r = await submit(page, 'Report breach');
  assert.equal(r.status(), 303);
  assert.equal(r.headers().location, `/cases/${caseId}?done=breach`);
  const breaches = ofType(await caseShow(), 'breach.reported').map((t) => t.data.data);
  assert.deepEqual(breaches, [{ case: caseId, kind: 'failure_to_comply',
                                detail: 'missed 3 appointments' }]);
  await page.close();
});

test('recording a risk change: a level is required, then it stands with MARAC', async () => {
  const { page, response } = await open('probation', `/cases/${caseId}/risk`);
  assert.equal(response.status(), 200);
  assert.match(await page.locator('.govuk-inset-text').innerText(), /The risk now: Medium/);
  await checkAxe(page);
  let r = await submit(page, 'Record risk change');
  await expectRefusedInForm(page, r, 'risk', /Select the new risk level/);
  await checkAxe(page);
  await page.getByLabel('Very high').check();
  await page.getByLabel('Referred to MARAC').check();
  r = await submit(page, 'Record risk change');
  assert.equal(r.status(), 303);
  assert.equal(r.headers().location, `/cases/${caseId}?done=risk`);
  const view = await caseShow();
  assert.equal(view.header.risk, 'very_high');
  assert.equal(view.header.marac, true);
  await page.close();
});

test('closing a case: a reason is required, the warning, then a closed case refuses attendance',
     async () => {
  const { page, response } = await open('probation', `/cases/${closingCaseId}/close`);
  assert.equal(response.status(), 200);
  assert.match(await page.locator('main').innerText(), /I-WEB-2 has not ended/);
  await checkAxe(page);
  let r = await submit(page, 'Close case');
  await expectRefusedInForm(page, r, 'reason', /Select why the case is closing/);
  await checkAxe(page);
  await page.getByLabel('The order ended').check();
  r = await submit(page, 'Close case');
  assert.equal(r.status(), 303);
  assert.equal(r.headers().location, `/cases/${closingCaseId}?done=closed`);
  const view = await caseShow(closingCaseId);
  assert.equal(view.header.status, 'closed');
  assert.equal(view.header.close_reason, 'order_ended');

  // A refusal that names no field: in the summary alone, linking to the first field.
  const attendance = await open('probation', `/cases/${closingCaseId}/attendance`);
  assert.match(await attendance.page.locator('.govuk-inset-text').innerText(), /was closed on/);
  await attendance.page.locator('#session').fill(session);
  await attendance.page.getByLabel('Attended').check();
  r = await submit(attendance.page, 'Record attendance');
  await expectRefusedInForm(attendance.page, r, null, /case C-WEB-2 is closed/i);
  assert.equal(await attendance.page.locator('.govuk-error-summary a[href="#intervention"]').count(), 1);
  assert.equal(await attendance.page.locator('.govuk-error-message').count(), 0,
               'no field claims the error');
  assert.equal(ofType(await caseShow(closingCaseId), 'attendance.recorded').length, 0);
  await checkAxe(attendance.page);
  await attendance.page.close();
  await page.close();
});

test('voiding a record: shows the record, a reason is required, then it is struck through',
     async () => {
  const target = ofType(await caseShow(), 'attendance.recorded')
    .find((t) => t.data.data.session === session);
  const { page, response } = await open('probation', `/cases/${caseId}/void?event=${target.event}`);
  assert.equal(response.status(), 200);
  const summary = await page.locator('.govuk-summary-list').innerText();
  assert.match(summary, /attendance\.recorded/);
  assert.match(summary, new RegExp(session));
  assert.match(summary, /Absent unacceptable/);
  await checkAxe(page);
  await screenshot(page, 'void-form');
  let r = await submit(page, 'Void this record');
  await expectRefusedInForm(page, r, 'reason', /Enter why this record is wrong/);
  await checkAxe(page);
  assert.equal(ofType(await caseShow(), 'attendance.recorded').find((t) => t.event === target.event)
    .voided, false, 'nothing voided by the refusal');
  await page.locator('#reason').fill('recorded against the wrong person');
  r = await submit(page, 'Void this record');
  assert.equal(r.status(), 303);
  assert.equal(r.headers().location, `/cases/${caseId}?done=voided`);
  const voided = ofType(await caseShow(), 'attendance.recorded').find((t) => t.event === target.event);
  assert.equal(voided.voided, true);
  assert.equal(voided.void_reason, 'recorded against the wrong person');
  // Asked again: it says so, and offers no button.
  const again = await open('probation', `/cases/${caseId}/void?event=${target.event}`);
  assert.match(await again.page.locator('.govuk-inset-text').innerText(), /was voided on/);
  assert.equal(await again.page.getByRole('button', { name: 'Void this record' }).count(), 0);
  await again.page.close();
  await page.close();
});

test('voids for a record the role may not void, or cannot see, are refused', async () => {
  const view = await caseShow();
  const opened = ofType(view, 'case.opened')[0].event;
  const breach = ofType(view, 'breach.reported')[0].event;
  // Police may void (their own incidents) but not a case's opening.
  let { page, response } = await open('police', `/cases/${caseId}/void?event=${opened}`);
  assert.equal(response.status(), 403);
  assert.equal(await page.locator('#reason').count(), 0);
  await page.close();
  // A facilitator is not shown breaches: for it there is no such record.
  ({ page, response } = await open('facilitator', `/cases/${caseId}/void?event=${breach}`));
  assert.equal(response.status(), 404);
  assert.doesNotMatch(await page.content(), /failure_to_comply|Failure to comply/);
  await page.close();
  ({ page, response } = await open('probation', `/cases/${caseId}/void?event=not-an-id`));
  assert.equal(response.status(), 404);
  await page.close();
});

test('a form posted with a forged CSRF token is refused, and nothing is written', async () => {
  const before = ofType(await caseShow(), 'breach.reported').length;
  const { page } = await open('probation', `/cases/${caseId}/breach`);
  await page.getByLabel('Recall').check();
  await page.locator('input[name="csrf"]').last().evaluate((input) => { input.value = 'forged'; });
  const posted = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Report breach' }).click();
  assert.equal((await posted).status(), 403);
  const refused = await (await contextOf('probation')).request.post(`${node.url}/cases/${caseId}/breach`, {
    form: { csrf: 'forged', kind: 'recall' }, maxRedirects: 0 });
  assert.equal(refused.status(), 403);
  assert.equal(ofType(await caseShow(), 'breach.reported').length, before);
  await page.close();
});

test('every role at every form: the form, or 403 and nothing of the case', async () => {
  const forms = { attendance: 'Record attendance', breach: 'Report a breach',
                  risk: 'Record a risk change', close: 'Close the case' };
  const may = { probation: ['attendance', 'breach', 'risk', 'close'], facilitator: ['attendance'],
                police: [], analyst: [], operator: [] };
  const before = (await caseShow()).timeline.length;
  const checked = new Set();
  for (const role of roles) {
    for (const [form, heading] of Object.entries(forms)) {
      const { page, response } = await open(role, `/cases/${caseId}/${form}`);
      if (may[role].includes(form)) {
        assert.equal(response.status(), 200, `${role} at ${form}`);
        assert.equal(await page.locator('h1').innerText(), heading);
        await checkAxe(page);
      } else {
        assert.equal(response.status(), 403, `${role} at ${form}`);
        assert.doesNotMatch(await page.content(), new RegExp(subject), `${role} sees nothing of it`);
        // Posted anyway, with the session's own CSRF token (the sign-out form's): the role
        // is refused, not the token, and nothing is written.
        const csrf = await page.locator('input[name="csrf"]').first().inputValue();
        const posted = await (await contextOf(role)).request.post(`${node.url}/cases/${caseId}/${form}`, {
          form: { csrf, intervention, session, outcome: 'attended', kind: 'recall',
                  risk: 'high', reason: 'other' }, maxRedirects: 0 });
        assert.equal(posted.status(), 403, `${role} posting ${form}`);
        assert.doesNotMatch(await posted.text(), /This form has expired/);
        if (!checked.has(role)) {  // the 403 page is the same for each form: checked once
          await checkAxe(page);
          checked.add(role);
        }
      }
      await page.close();
    }
    await closeContexts();
  }
  assert.equal((await caseShow()).timeline.length, before, 'nothing written by the refused posts');
});

test('every role at the void form: the form, 403, or 404 for a record it cannot see', async () => {
  const view = await caseShow();
  const attendance = ofType(view, 'attendance.recorded').find((t) => !t.voided).event;
  const opened = ofType(view, 'case.opened')[0].event;
  // attendance.recorded: probation and facilitator record it; police are not shown attendance.
  // case.opened: probation's alone.
  const expected = {
    probation: [200, 200], facilitator: [200, 403], police: [404, 403], analyst: [403, 403],
    operator: [403, 403],
  };
  for (const role of roles) {
    for (const [k, event] of [attendance, opened].entries()) {
      const { page, response } = await open(role, `/cases/${caseId}/void?event=${event}`);
      assert.equal(response.status(), expected[role][k], `${role} voiding ${k ? 'the opening' : 'attendance'}`);
      if (response.status() === 200) {
        assert.equal(await page.getByRole('button', { name: 'Void this record' }).count(), 1);
      } else {
        assert.equal(await page.locator('#reason').count(), 0);
        assert.doesNotMatch(await page.content(), new RegExp(subject));
      }
      await checkAxe(page);
      await page.close();
    }
    await closeContexts();
  }
});

test('a facilitator gets 403 and nothing of a case outside its agency', async () => {
  const cases = JSON.parse(await node.cliAs('probation', 'case', 'list', '--format', 'json'));
  const list = Array.isArray(cases) ? cases : cases.cases;
  const other = list.map((c) => c.case).find((c) => c && c.startsWith('C-') && !c.startsWith('C-WEB'));
  assert.ok(other, 'a sample case');
  const { page, response } = await open('facilitator', `/cases/${other}/attendance`);
  assert.equal(response.status(), 403);
  assert.equal(await page.locator('form #session').count(), 0);
  await page.close();
});
