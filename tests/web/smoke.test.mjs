// The browser tests' foundation: a node starts with a user per role, Chromium reaches its
// HTTPS server, GOV.UK Frontend's CSS is served from the binary, and the harness's axe check
// and screenshots work (docs/web-tests.md).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { checkAxe, launchBrowser, roles, screenshot, startNode } from './harness.mjs';

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

test('the node has a user of every role', async () => {
  const listed = await node.cli('users', 'list', '--format', 'csv');
  for (const role of roles) {
    assert.match(listed, new RegExp(`^${node.users[role].id},${role},`, 'm'));
  }
});

test('/healthz answers through the browser', async () => {
  const context = await browser.newContext();
  const response = await context.request.get(`${node.url}/healthz`);
  assert.equal(response.status(), 200, await response.text());
  await context.close();
});

test('GOV.UK Frontend\'s CSS is served from the binary', async () => {
  const context = await browser.newContext();
  const response = await context.request.get(`${node.url}/assets/govuk-frontend.min.css`);
  assert.equal(response.status(), 200, `/assets/govuk-frontend.min.css: ${response.status()}`);
  assert.match(response.headers()['content-type'], /^text\/css/);
  assert.match(await response.text(), /\.govuk-template/);
  await context.close();
});

test('Chromium renders a page, and the axe check passes it', async () => {
  const page = await browser.newPage();
  await page.setContent(`<!DOCTYPE html><html lang="en"><head><title>Smoke</title></head>
    <body><main><h1>holdfast</h1><p>A page with nothing wrong.</p></main></body></html>`);
  await checkAxe(page);
  const path = await screenshot(page, 'smoke');
  assert.ok(existsSync(path), path);
  await page.close();
});

test('the axe check fails a page with WCAG violations, naming them', async () => {
  const page = await browser.newPage();
  await page.setContent(`<!DOCTYPE html><html><head><title>Bad</title></head>
    <body><main><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body></html>`);
  await assert.rejects(checkAxe(page), (e) => {
    assert.match(e.message, /html-has-lang/);
    assert.match(e.message, /image-alt/);
    assert.match(e.message, /at img/);
    return true;
  });
  await page.close();
});

test('a node with the sample county: its cases, read as the probation officer', async () => {
  const county = await startNode({ sample: true, name: 'sample' });
  try {
    const cases = await county.cliAs('probation', 'case', 'list', '--format', 'csv');
    assert.ok(cases.split('\n').filter((line) => /^C-\d+,/.test(line)).length >= 10, cases);
    await assert.rejects(county.cliAs('analyst', 'case', 'list'), /analyst/);
  } finally {
    await county.stop();
  }
});
