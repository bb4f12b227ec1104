// The README's walk-through, as a newcomer does it: `ops/quickstart --serve` starts a local
// partnership of three nodes (probation, provider, police) and prints a sign-in for each
// role; the facilitator signs in to provider-1, takes a register marking one person absent
// (unacceptable), and the non-engagement alert probation-1 raises for it arrives in police-1's
// inbox. Real daemons syncing over mutual TLS, a real browser.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { buildDir, checkAxe, launchBrowser, repoRoot, screenshot, waitFor } from './harness.mjs';

let quickstart;
let output = '';
let info;
let browser;

before(async () => {
  quickstart = spawn(join(repoRoot, 'ops/quickstart'), ['--serve'], {
    env: { ...process.env, HOLDFAST_BUILD_DIR: buildDir, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,  // its own process group: stopping it stops its daemons too
  });
  quickstart.stdout.on('data', (d) => { output += d; });
  quickstart.stderr.on('data', (d) => { output += d; });
  let exited = null;
  quickstart.on('exit', (code) => { exited = code; });
  const file = await waitFor('ops/quickstart to start the partnership and list its sign-ins',
    () => {
      if (exited !== null) throw new Error(`ops/quickstart exited ${exited}:\n${output}`);
      const m = output.match(/details in (\S+quickstart\.json)/);
      return m && m[1];
    }, 600_000);
  info = JSON.parse(readFileSync(file, 'utf8'));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (quickstart && quickstart.exitCode === null) {
    const done = new Promise((resolve) => quickstart.on('exit', resolve));
    quickstart.kill('SIGTERM');  // its trap stops the three daemons and removes their files
    await done;
  }
});

async function signInAt(url, user) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${url}/sign-in`);
  await page.locator('input[name="user"]').fill(user.id);
  await page.locator('input[name="password"]').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState('load');
  assert.notEqual(new URL(page.url()).pathname, '/sign-in', `${user.id} signed in`);
  return { context, page };
}

test('the quickstart prints an address and a sign-in for each role', () => {
  for (const role of ['probation', 'facilitator', 'police', 'analyst', 'operator']) {
    assert.ok(info.users[role], `a ${role} sign-in`);
    assert.match(output, new RegExp(`https://localhost:\\d+ +${info.users[role].id} +${role} +` +
                                    info.users[role].password));
  }
});

test('a facilitator registers a session; the alert it raises reaches the police inbox', async () => {
  const { context, page } = await signInAt(info.provider, info.users.facilitator);
  await page.goto(`${info.provider}/sessions/new`);
  await page.locator('#group').fill(info.group);
  await page.locator('#module').fill('Module 2');
  await page.getByRole('button', { name: 'Open the register' }).click();
  await page.waitForLoadState('load');
  assert.match(new URL(page.url()).pathname, /^\/sessions\/[^/]+\/register$/);
  // Everyone attended but the absentee, who did not come and gave no reason.
  const rows = page.locator('fieldset');
  const count = await rows.count();
  assert.ok(count >= 3, `the group's roster has its three people (${count} fieldsets)`);
  let marked = 0;
  for (let i = 0; i < count; ++i) {
    const row = rows.nth(i);
    const legend = await row.locator('legend').innerText();
    const absent = legend.includes(info.absentee);
    await row.getByLabel(absent ? 'Absent (unacceptable)' : 'Attended', { exact: true }).check();
    marked += absent ? 1 : 0;
  }
  assert.equal(marked, 1, `${info.absentee} is on the register`);
  await checkAxe(page);
  await page.getByRole('button', { name: 'Save register' }).click();
  await page.waitForLoadState('load');
  assert.match(await page.locator('.govuk-notification-banner').innerText(), /Register saved/);
  await screenshot(page, 'quickstart-register-saved');
  await context.close();

  // probation-1 receives the register, derives the alert and sends it to police-1: the
  // officer's inbox shows it once it has arrived (reloaded until then, at most a minute).
  const police = await signInAt(info.police, info.users.police);
  const today = new Date().toLocaleDateString('sv-SE', { timeZone: 'Europe/London' });  // 2026-12-07
  const row = police.page.locator('tr', { hasText: info.absentee }).filter({ hasText: /non.engagement/i });
  await waitFor(`the non-engagement alert of ${info.absentee} in police-1's inbox`, async () => {
    // The inbox lists the longest waiting first: today's filter puts the new one on page 1.
    await police.page.goto(`${info.police}/alerts?status=open&rule=non_engagement&since=${today}`);
    return (await row.count()) > 0;
  }, 60_000);
  await checkAxe(police.page);
  await screenshot(police.page, 'quickstart-police-inbox');
  await police.context.close();
});
