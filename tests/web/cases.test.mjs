// The case pages (docs/web-casepages.md): /cases with search, filters and paging, a case
// (/cases/ID) with its timeline's voids and corrections marked, and a subject
// (/subjects/ID), for every role, with axe on every page.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { checkAxe, launchBrowser, roles, screenshot, signIn, startNode } from './harness.mjs';

let node;
let browser;
// The events the tests void and correct, by their ids.
const ids = {
  first: randomUUID(), correction: randomUUID(), mistaken: randomUUID(), incident: randomUUID(),
};

before(async () => {
  node = await startNode({ sample: true });
  browser = await launchBrowser();
  const p = (...args) => node.cliAs('probation', ...args);
  // T-0001: an intervention this node's agency provides (so its facilitator sees the case),
  // an attendance record corrected by a later one of the same session, one voided, a breach
  // with a detail police may not read, and an incident police reported about its subject.
  await p('case', 'open', '--case', 'T-0001', '--subject', 'TS-1', '--order', 'community_order',
          '--risk', 'high', '--lead-agency', 'probation-ce', '--at', '2026-11-02 09:00');
  await p('intervention', 'refer', '--case', 'T-0001', '--intervention', 'I-T1', '--programme',
          'building_choices', '--provider', 'probation-ce', '--at', '2026-11-02 10:00');
  await p('intervention', 'start', '--case', 'T-0001', '--intervention', 'I-T1', '--group',
          'G-T', '--at', '2026-11-03 10:00');
  await p('attendance', 'record', '--case', 'T-0001', '--intervention', 'I-T1', '--session',
          'S-T-1', '--outcome', 'absent_unacceptable', '--reason', 'no contact from him',
          '--unlisted-session', '--at', '2026-11-10 18:00', '--id', ids.first);
  await p('attendance', 'record', '--case', 'T-0001', '--intervention', 'I-T1', '--session',
          'S-T-1', '--outcome', 'attended', '--unlisted-session', '--at', '2026-11-10 18:00',
          '--id', ids.correction);
  await p('attendance', 'record', '--case', 'T-0001', '--intervention', 'I-T1', '--session',
          'S-T-2', '--outcome', 'late', '--unlisted-session', '--at', '2026-11-17 18:00',
          '--id', ids.mistaken);
  await p('record', 'void', '--event', ids.mistaken, '--reason', 'recorded on the wrong case');
  await p('breach', 'report', '--case', 'T-0001', '--kind', 'failure_to_comply', '--detail',
          'missed two appointments in a row', '--at', '2026-11-20 12:00');
  await node.cliAs('police', 'incident', 'report', '--subject', 'TS-1', '--incident', 'INC-T1',
                   '--category', 'domestic_abuse', '--crime', '--at', '2026-11-25 22:00',
                   '--id', ids.incident);
  // T-0002: led by another agency (the lead agency filter), closed (the status filter).
  await p('case', 'open', '--case', 'T-0002', '--subject', 'TS-2', '--order', 'dvpo', '--risk',
          'standard', '--lead-agency', 'youth-ce', '--at', '2026-11-04 09:00');
  await p('case', 'close', '--case', 'T-0002', '--reason', 'transferred', '--at',
          '2026-11-30 09:00');
});
after(async () => {
  await browser?.close();
  await node?.stop();
});

// A page signed in as the user of `role`.
async function pageAs(role) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, node.url, node.users[role]);
  return page;
}

async function open(page, path) {
  const response = await page.goto(`${node.url}${path}`);
  return response.status();
}

const caseIds = async (page) =>
  page.locator('table.govuk-table tbody tr td:first-child').allInnerTexts();

test('cases: probation sees every case, searches, filters and pages', async () => {
  const page = await pageAs('probation');
  assert.equal(await open(page, '/cases?status=all&limit=100'), 200);
  assert.equal(await page.title(), 'Cases - holdfast');
  let shown = await caseIds(page);
  assert.ok(shown.includes('C-00001'), 'a sample case');
  assert.ok(shown.includes('T-0001') && shown.includes('T-0002'));
  await checkAxe(page);

  // The default is open cases only: the closed T-0002 is not among them.
  assert.equal(await open(page, '/cases?limit=100'), 200);
  shown = await caseIds(page);
  assert.ok(shown.includes('T-0001') && !shown.includes('T-0002'));
  await open(page, '/cases');
  await screenshot(page, 'cases');

  // Search: by case id (a prefix, any case), by subject id; with the form.
  await page.locator('#q').fill('t-000');
  await page.locator('#status').selectOption('all');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForLoadState('load');
  assert.deepEqual(await caseIds(page), ['T-0001', 'T-0002']);
  assert.equal(await page.locator('#q').inputValue(), 't-000', 'the search stays in the box');
  await open(page, '/cases?q=TS-2&status=all');
  assert.deepEqual(await caseIds(page), ['T-0002']);
  assert.match(await page.locator('tbody').innerText(), /DVPO[\s\S]*youth-ce[\s\S]*Closed/);
  await open(page, '/cases?q=nobody-like-this');
  assert.match(await page.locator('main').innerText(), /No cases match these filters/);

  // Filters: the lead agency (the daemon's), closed cases (this page's).
  await open(page, '/cases?status=all&agency=youth-ce');
  assert.deepEqual(await caseIds(page), ['T-0002']);
  await open(page, '/cases?status=closed');
  shown = await caseIds(page);
  assert.ok(shown.includes('T-0002') && !shown.includes('T-0001'));
  const statuses = await page.locator('tbody tr td:last-child').allInnerTexts();
  assert.ok(statuses.every((s) => s.trim() === 'Closed'), statuses.join());
  await checkAxe(page);

  // Paging: 10 a page, by the "Next page" link, to the end; every case once, in order.
  await open(page, '/cases?status=all&limit=10');
  const seen = [];
  for (let pages = 0; ; pages++) {
    assert.ok(pages < 10, 'the listing ends');
    const ids = await caseIds(page);
    assert.ok(ids.length <= 10);
    seen.push(...ids);
    const next = page.getByRole('link', { name: 'Next page' });
    if ((await next.count()) === 0) break;
    assert.equal(ids.length, 10);
    await next.click();
    await page.waitForLoadState('load');
  }
  assert.equal(seen.length, 42, 'the 40 sample cases and 2 of the test');
  assert.deepEqual(seen, [...seen].sort());
  assert.equal(new Set(seen).size, seen.length);

  // Paging through a search filtered on this side: 1 a page, T-0001 then T-0002, then no more.
  await open(page, '/cases?q=T-&status=all&limit=1');
  assert.deepEqual(await caseIds(page), ['T-0001']);
  await page.getByRole('link', { name: 'Next page' }).click();
  await page.waitForLoadState('load');
  assert.deepEqual(await caseIds(page), ['T-0002']);
  assert.equal(await page.getByRole('link', { name: 'Next page' }).count(), 0);

  // What was typed comes back as text, never as markup.
  assert.equal(await open(page, '/cases?q=%3Cb%3Ebold'), 200);
  assert.equal(await page.locator('#q').inputValue(), '<b>bold');
  assert.equal(await page.locator('main b').count(), 0);

  // Bad input: one line naming the field.
  assert.equal(await open(page, '/cases?limit=0'), 400);
  assert.match(await page.locator('main').innerText(), /limit: give a whole number/);
  await page.context().close();
});

test('cases: a facilitator sees only its agency\'s, police every case', async () => {
  const page = await pageAs('facilitator');
  assert.equal(await open(page, '/cases?status=all'), 200);
  assert.deepEqual(await caseIds(page), ['T-0001']);
  await checkAxe(page);
  await page.context().close();

  const police = await pageAs('police');
  assert.equal(await open(police, '/cases?status=all&limit=100'), 200);
  assert.equal((await caseIds(police)).length, 42);
  await checkAxe(police);
  await police.context().close();
});

test('a case as probation: header, forms, voids and corrections marked, alerts', async () => {
  const page = await pageAs('probation');
  assert.equal(await open(page, '/cases/T-0001'), 200);
  assert.equal(await page.title(), 'Case T-0001 - holdfast');
  const summary = await page.locator('.govuk-summary-list').innerText();
  assert.match(summary, /Subject\s+TS-1/);
  assert.match(summary, /Order\s+Community order/);
  assert.match(summary, /Risk\s+High/);
  assert.match(summary, /Status\s+Open/);
  assert.equal(await page.locator('.govuk-summary-list a[href="/subjects/TS-1"]').count(), 1);
  for (const [name, href] of [['Record attendance', '/cases/T-0001/attendance'],
                              ['Report a breach', '/cases/T-0001/breach'],
                              ['Change risk', '/cases/T-0001/risk'],
                              ['Close case', '/cases/T-0001/close']]) {
    assert.equal(await page.getByRole('button', { name }).getAttribute('href'), href, name);
  }
  assert.equal(await page.locator('.govuk-inset-text').count(), 0, 'probation sees it all');

  const timeline = page.locator('#timeline + table');
  // The voided record: struck through, with who voided it, when and why; no Void link.
  const voided = timeline.locator('tr', { has: page.locator('del') });
  assert.equal(await voided.count(), 1);
  assert.match(await voided.innerText(),
               /S-T-2[\s\S]*Voided by probation-1 at \d+ \w+ \d{4}, \d\d:\d\d: recorded on the wrong case/);
  assert.equal(await voided.getByRole('link', { name: /^Void/ }).count(), 0);
  // The corrected record and its correction, each marked.
  const replaced = timeline.locator('tr', { hasText: 'Replaced by a later record' });
  assert.equal(await replaced.count(), 1);
  assert.match(await replaced.innerText(), /S-T-1: Absent unacceptable \(no contact from him\)/);
  const correction = timeline.locator('tr', { hasText: 'Corrects an earlier record' });
  assert.equal(await correction.count(), 1);
  assert.match(await correction.innerText(), /S-T-1: Attended/);
  assert.equal(await correction.getByRole('link', { name: /^Void/ }).getAttribute('href'),
               `/cases/T-0001/void?event=${ids.correction}`);
  // The subject's incident is in the timeline; probation may not void it (police's own).
  const incident = timeline.locator('tr', { hasText: 'INC-T1' });
  assert.match(await incident.innerText(), /Incident reported/);
  assert.equal(await incident.getByRole('link', { name: /^Void/ }).count(), 0);
  assert.match(await timeline.innerText(), /missed two appointments in a row/);

  // The attendance summary counts the standing records only: S-T-1 attended.
  const attendance = await page.locator('#attendance + table tbody').innerText();
  assert.match(attendance, /I-T1\s+1\s+1\s+0\s+0\s+0\s+0\s+100%/);
  // The breach raised an alert, linked to its page.
  const alert = page.locator('#alerts + table tbody tr').first();
  assert.match(await alert.innerText(), /Breach/);
  assert.match(await alert.getByRole('link').getAttribute('href'), /^\/alerts\/[0-9a-f-]{36}$/);
  await checkAxe(page);
  await screenshot(page, 'case');

  // The banner after a form, from its fixed word only.
  await open(page, '/cases/T-0001?done=attendance');
  assert.match(await page.locator('.govuk-notification-banner--success').innerText(),
               /Attendance recorded/);
  await checkAxe(page);
  await open(page, '/cases/T-0001?done=%3Cb%3Ehello');
  assert.equal(await page.locator('.govuk-notification-banner').count(), 0);

  // A closed case offers no form but voids.
  await open(page, '/cases/T-0002');
  assert.match(await page.locator('.govuk-summary-list').innerText(),
               /Status\s+Closed[\s\S]*Reason for closing\s+Transferred/);
  assert.equal(await page.getByRole('button', { name: 'Record attendance' }).count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Close case' }).count(), 0);
  assert.ok((await page.locator('#timeline + table').getByRole('link', { name: /^Void/ }).count()) > 0);
  await checkAxe(page);

  assert.equal(await open(page, '/cases/NO-SUCH-CASE'), 404);
  await page.context().close();
});

test('a case as police: no attendance, notes or reasons; what is withheld is said', async () => {
  const page = await pageAs('police');
  assert.equal(await open(page, '/cases/T-0001'), 200);
  const main = await page.locator('main').innerText();
  assert.match(await page.locator('.govuk-inset-text').innerText(),
               /Not shown to police:[\s\S]*Attendance details/);
  assert.match(main, /Attendance details are not shown to police\./);
  assert.doesNotMatch(main, /S-T-1|S-T-2|no contact from him|missed two appointments|I-T1/);
  assert.match(main, /Breach reported/);
  assert.match(main, /Failure to comply/);
  assert.match(main, /INC-T1/);
  for (const name of ['Record attendance', 'Report a breach', 'Change risk', 'Close case']) {
    assert.equal(await page.getByRole('button', { name }).count(), 0, name);
  }
  // Police may void their own kind of record: the incident.
  const incident = page.locator('#timeline + table tr', { hasText: 'INC-T1' });
  assert.equal(await incident.getByRole('link', { name: /^Void/ }).getAttribute('href'),
               `/cases/T-0001/void?event=${ids.incident}`);
  await checkAxe(page);
  await screenshot(page, 'case-police');
  await page.context().close();
});

test('a case as a facilitator: its agency\'s; another agency\'s is 403 and shows nothing', async () => {
  const page = await pageAs('facilitator');
  assert.equal(await open(page, '/cases/T-0001'), 200);
  assert.equal(await page.getByRole('button', { name: 'Record attendance' }).getAttribute('href'),
               '/cases/T-0001/attendance');
  for (const name of ['Report a breach', 'Change risk', 'Close case']) {
    assert.equal(await page.getByRole('button', { name }).count(), 0, name);
  }
  assert.match(await page.locator('#timeline + table').innerText(), /Replaced by a later record/);
  assert.match(await page.locator('.govuk-inset-text').innerText(), /Not shown to facilitator/);
  await checkAxe(page);

  // C-00001 (subject P-00001) has no intervention this agency provides.
  assert.equal(await open(page, '/cases/C-00001'), 403);
  const body = await page.content();
  assert.doesNotMatch(body, /P-00001/);
  assert.match(await page.locator('h1').innerText(), /You do not have access to this/);
  await checkAxe(page);
  assert.equal(await open(page, '/subjects/P-00001'), 403);
  assert.doesNotMatch(await page.content(), /C-00001/);
  await page.context().close();
});

test('a subject: every case of the person, incidents and alerts, per role', async () => {
  const page = await pageAs('probation');
  assert.equal(await open(page, '/subjects/TS-1'), 200);
  assert.equal(await page.title(), 'Subject TS-1 - holdfast');
  assert.equal(await page.locator('#cases + table a[href="/cases/T-0001"]').count(), 1);
  assert.match(await page.locator('#incidents + table').innerText(), /INC-T1: Domestic abuse, a crime/);
  assert.match(await page.locator('#alerts + table').innerText(), /Breach[\s\S]*T-0001/);
  await checkAxe(page);
  await screenshot(page, 'subject');
  await page.context().close();

  const police = await pageAs('police');
  assert.equal(await open(police, '/subjects/TS-1'), 200);
  assert.match(await police.locator('#incidents + table').innerText(), /INC-T1/);
  await checkAxe(police);
  await police.context().close();

  const facilitator = await pageAs('facilitator');
  assert.equal(await open(facilitator, '/subjects/TS-1'), 200);
  assert.equal(await facilitator.locator('#cases + table a[href="/cases/T-0001"]').count(), 1);
  assert.doesNotMatch(await facilitator.locator('main').innerText(), /INC-T1/,
                      'a facilitator never sees incidents');
  await checkAxe(facilitator);
  await facilitator.context().close();
});

test('analyst and operator may not see cases: 403 on every case page', async () => {
  for (const role of roles.filter((r) => r === 'analyst' || r === 'operator')) {
    const page = await pageAs(role);
    for (const path of ['/cases', '/cases/T-0001', '/subjects/TS-1']) {
      assert.equal(await open(page, path), 403, `${role} ${path}`);
      const body = await page.content();
      assert.doesNotMatch(body, /TS-1|INC-T1|C-00001/, `${role} ${path}`);
      await checkAxe(page);
    }
    await page.context().close();
  }
});

test('a case too long for one frame shows its whole timeline', async () => {
  // 6,000 attendance records: the daemon sends the timeline in parts of about 1 MiB.
  const author = { user: 'po-1', role: 'probation', agency: 'probation-ce' };
  const at = (minutes) => new Date(Date.UTC(2024, 0, 1) + minutes * 60000).toISOString();
  const lines = [
    { type: 'case.opened', occurred_at: at(0),
      data: { case: 'L-0001', subject: 'LS-1', order: 'licence', risk: 'medium',
              lead_agency: 'probation-ce' } },
    { type: 'intervention.referred', occurred_at: at(1),
      data: { case: 'L-0001', intervention: 'I-L1', programme: 'one_to_one',
              provider: 'probation-ce' } },
    { type: 'intervention.started', occurred_at: at(2),
      data: { case: 'L-0001', intervention: 'I-L1' } },
  ];
  const sessions = 6000;
  for (let i = 1; i <= sessions; i++) {
    lines.push({ type: 'attendance.recorded', occurred_at: at(10 + i),
                 data: { case: 'L-0001', intervention: 'I-L1', session: `S-L-${i}`,
                         outcome: 'attended' } });
  }
  const file = join(node.dir, 'long-case.jsonl');
  writeFileSync(file, lines.map((e) => JSON.stringify({ id: randomUUID(), author, ...e }))
    .join('\n') + '\n');
  await node.cli('import', '--file', file);

  const page = await pageAs('probation');
  const response = await page.request.get(`${node.url}/cases/L-0001`);
  assert.equal(response.status(), 200);
  const html = await response.text();
  const shown = html.match(/session S-L-\d+:/g) || [];
  assert.equal(shown.length, sessions, 'every attendance record, from every frame');
  assert.equal(new Set(shown).size, sessions);
  assert.match(html, /I-L1<\/td><td class="govuk-table__cell govuk-table__cell--numeric">6000</);
  await page.context().close();
});
