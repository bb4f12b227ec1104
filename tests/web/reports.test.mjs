// Reports (docs/web-reports.md): the indicators page with its charts, tables and CSV, and the
// quality report, for every role.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { checkAxe, launchBrowser, roles, screenshot, signIn, startNode } from './harness.mjs';

let node;
let browser;
// One signed-in browser context at a time: holdfastd takes at most 16 connections from one
// address, and each context keeps a few open.
let current = null;  // { role, context, page }
// A period with the sample county's events in every month.
const from = '2025-04-01';
const to = '2026-04-01';

before(async () => {
  node = await startNode({ sample: true });
  // An anomaly the checks at entry would refuse, by import (which keeps what arrives): an
  // attendance for a case this node never opened.
  await node.cli('import', '--file', writeStrayAttendance());
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await node?.stop();
});

// A JSON Lines file of one attendance.recorded, copied from the sample county's first one
// with a new id and a case no case.opened names.
function writeStrayAttendance() {
  const county = readFileSync(`${node.dir}/county.jsonl`, 'utf8').split('\n');
  const line = county.find((l) => l.includes('"attendance.recorded"'));
  const event = JSON.parse(line);
  event.id = '0192d7a0-0000-7000-8000-00000000a0a0';
  if (event.data) event.data.case = 'C-STRAY';
  const file = `${node.dir}/stray.jsonl`;
  writeFileSync(file, JSON.stringify(event) + '\n');
  return file;
}

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

test('indicators for a period: three charts, each an accessible SVG with a table of its numbers',
     async () => {
  const { page, status } = await open('probation', `/indicators?from=${from}&to=${to}`);
  assert.equal(status, 200);
  assert.equal(await page.locator('input[name="from"]').inputValue(), from);
  assert.equal(await page.locator('input[name="to"]').inputValue(), to);
  const figures = page.locator('main figure');
  assert.equal(await figures.count(), 3);
  for (let i = 0; i < 3; i++) {
    const figure = figures.nth(i);
    assert.ok((await figure.locator('figcaption').innerText()).length > 0);
    const svg = figure.locator('svg[role="img"]');
    assert.equal(await svg.count(), 1);
    assert.ok((await svg.locator('title').textContent()).length > 0);
    assert.ok((await svg.locator('desc').textContent()).length > 0);
    // 12 months and the period's row.
    assert.equal(await figure.locator('table tbody tr').count(), 13);
  }
  // The alerts table's period total is the CLI's for the same period.
  const json = JSON.parse(await node.cliAs('probation', 'report', 'indicators', '--from', from,
                                           '--to', to, '--format', 'json'));
  const alerts = Object.values(json.alerts).reduce((a, b) => a + b, 0);
  const periodRow = figures.nth(0).locator('table tbody tr').last();
  assert.equal(await periodRow.locator('td').last().innerText(), String(alerts));
  // And its months add up to it.
  let sum = 0;
  const monthRows = figures.nth(0).locator('table tbody tr');
  for (let i = 0; i < 12; i++) sum += Number(await monthRows.nth(i).locator('td').last().innerText());
  assert.equal(sum, alerts);
  assert.ok(alerts > 0, 'the sample county raised alerts in the period');
  const completions = figures.nth(2).locator('table tbody tr').last().locator('td').nth(1);
  assert.equal(await completions.innerText(), String(json.completions));
  await checkAxe(page);
  await screenshot(page, 'indicators');
});

test('the CSV download is exactly the CLI\'s CSV for the same period', async () => {
  const page = (await pageFor('probation'));
  await page.goto(`${node.url}/indicators?from=${from}&to=${to}`);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: /Download CSV/ }).click(),
  ]);
  const downloaded = readFileSync(await download.path(), 'utf8');
  const cli = await node.cliAs('probation', 'report', 'indicators', '--from', from, '--to', to,
                               '--format', 'csv');
  assert.equal(downloaded, cli);
  const response = await page.context().request.get(
    `${node.url}/indicators.csv?from=${from}&to=${to}`);
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-type'], /^text\/csv/);
  assert.match(response.headers()['content-disposition'], /^attachment; filename="indicators-/);
  assert.equal(await response.text(), cli);
});

test('the period picker: the last 12 months by default, quick links, errors in the form',
     async () => {
  const { page, status } = await open('analyst', '/indicators');
  assert.equal(status, 200);
  const fromValue = await page.locator('input[name="from"]').inputValue();
  const toValue = await page.locator('input[name="to"]').inputValue();
  assert.match(fromValue, /^\d{4}-\d{2}-01$/);
  const months = (d) => Number(d.slice(0, 4)) * 12 + Number(d.slice(5, 7));
  assert.equal(months(toValue) - months(fromValue), 12);
  assert.equal(await page.locator('main figure').first().locator('table tbody tr').count(), 13);
  await page.getByRole('link', { name: /^last quarter/ }).click();
  await page.waitForLoadState('load');
  assert.equal(await page.locator('main figure').first().locator('table tbody tr').count(), 4);
  await page.getByRole('link', { name: /^this year/ }).click();
  await page.waitForLoadState('load');
  assert.equal(await page.locator('input[name="from"]').inputValue(),
               `${new URL(page.url()).searchParams.get('from')}`);

  const bad = await open('analyst', '/indicators?from=last+tuesday&to=2026-01-01');
  assert.equal(bad.status, 400);
  assert.match(await bad.page.title(), /^Error: Indicators/);
  assert.match(await bad.page.locator('#from-error').innerText(), /2026-12-07/);
  await checkAxe(bad.page);
  const backwards = await open('analyst', '/indicators?from=2026-01-01&to=2025-01-01');
  assert.equal(backwards.status, 400);
  assert.match(await backwards.page.locator('#to-error').innerText(), /after its start/);
  const long = await open('analyst', '/indicators?from=2020-01-01&to=2026-01-01');
  assert.equal(long.status, 400);
  assert.match(await long.page.locator('#to-error').innerText(), /24 months or less/);
  const csv = await (await pageFor('analyst')).context().request.get(`${node.url}/indicators.csv?from=x&to=y`);
  assert.equal(csv.status(), 400);
});

test('indicators: probation and analyst see them, with no case named; others get 403', async () => {
  for (const role of roles) {
    const { page, status } = await open(role, `/indicators?from=${from}&to=${to}`);
    const csv = await page.context().request.get(`${node.url}/indicators.csv?from=${from}&to=${to}`);
    if (role === 'probation' || role === 'analyst') {
      assert.equal(status, 200, role);
      assert.equal(csv.status(), 200, role);
      assert.equal(await page.locator('main a[href^="/cases/"]').count(), 0, role);
      assert.doesNotMatch(await page.locator('main').innerText(), /C-\d{4}/, role);
      await checkAxe(page);
    } else {
      assert.equal(status, 403, role);
      assert.equal(csv.status(), 403, role);
      assert.equal(await page.locator('main figure').count(), 0, role);
      assert.doesNotMatch(await csv.text(), /referrals/, role);
      await checkAxe(page);
    }
  }
});

test('quality: anomalies by kind with case links for case readers; counts only for analysts; 403 for operators',
     async () => {
  const probation = await open('probation', '/quality');
  assert.equal(probation.status, 200);
  const counts = probation.page.locator('main table').first();
  assert.match(await counts.innerText(), /unknown_case/);
  const section = probation.page.locator('#unknown_case');
  assert.match(await section.innerText(), /An event naming a case not opened here/);
  const stray = probation.page.locator('main a[href="/cases/C-STRAY"]');
  assert.ok(await stray.count() >= 1, 'the stray attendance is listed, its case a link');
  await checkAxe(probation.page);
  await screenshot(probation.page, 'quality');

  const analyst = await open('analyst', '/quality');
  assert.equal(analyst.status, 200);
  assert.match(await analyst.page.locator('main table').first().innerText(), /unknown_case\s+\d+/);
  assert.equal(await analyst.page.locator('main table').count(), 1, 'the counts table only');
  assert.equal(await analyst.page.locator('main a[href^="/cases/"]').count(), 0);
  assert.doesNotMatch(await analyst.page.locator('main').innerText(), /C-STRAY|C-\d{4}/);
  assert.match(await analyst.page.locator('main').innerText(), /counts only/);
  await checkAxe(analyst.page);

  for (const role of ['facilitator', 'police']) {
    const { page, status } = await open(role, '/quality');
    assert.equal(status, 200, role);
    assert.match(await page.locator('h1').innerText(), /Quality report/);
    await checkAxe(page);
  }
  const operator = await open('operator', '/quality');
  assert.equal(operator.status, 403);
  assert.equal(await operator.page.locator('main table').count(), 0);
  await checkAxe(operator.page);
});
