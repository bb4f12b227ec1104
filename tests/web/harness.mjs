// The browser tests' harness (docs/web-tests.md): a real holdfastd on loopback with a user
// per role, and Debian's Chromium (its headless shell) driven by playwright-core, with axe-core checking
// each page. Nothing is mocked and nothing downloads a browser.
//
//   import { startNode, launchBrowser, signIn, checkAxe, screenshot } from './harness.mjs';
//   const node = await startNode({ sample: true });
//   const browser = await launchBrowser();
//   const page = await (await browser.newContext()).newPage();   // contexts accept the node's
//   await signIn(page, node.url, node.users.facilitator);        // certificate (see below)
//   await checkAxe(page);
//   await screenshot(page, 'today-facilitator');
//   await browser.close(); await node.stop();
//
// Each test file runs in its own process (node --test). Its temporary directory (nodes' data,
// daemon logs, screenshots) is removed when the process exits cleanly and kept, with its
// path printed, when a test failed; HOLDFAST_KEEP_TEST_DIRS=1 always keeps it.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const buildDir = resolve(process.env.HOLDFAST_BUILD_DIR || join(repoRoot, 'build'));
export const holdfastPath = join(buildDir, 'cli/holdfast');
export const holdfastdPath = join(buildDir, 'daemon/holdfastd');
export const samplePath = join(buildDir, 'ops/sample/holdfast-sample');
// Debian's chromium-headless-shell: Chromium's own engine without the browser's window and
// user interface, the build Playwright itself runs headless tests on. The whole browser
// (/usr/bin/chromium) also works (HOLDFAST_CHROMIUM) but took twice the CPU and the time
// (docs/ci.md). The binary, not /usr/bin's wrapper script, so Playwright's signals reach it.
export const chromiumPath =
    process.env.HOLDFAST_CHROMIUM || '/usr/lib/chromium/chromium-headless-shell';

// The roles of SPEC "Users, roles and rights"; startNode makes one user of each.
export const roles = ['probation', 'facilitator', 'police', 'analyst', 'operator'];

const waitLimitMs = 20000;  // for a daemon to start or stop; generous for a loaded CI machine

// ---- the test process's temporary directory ----

let testDir = null;
const running = new Set();  // holdfastd children not yet stopped

export function testTempDir() {
  if (!testDir) {
    testDir = mkdtempSync(join(tmpdir(), 'holdfast-web-'));
    process.on('exit', (code) => {
      for (const child of running) child.kill('SIGKILL');
      if (code === 0 && process.env.HOLDFAST_KEEP_TEST_DIRS !== '1') {
        rmSync(testDir, { recursive: true, force: true });
      } else {
        process.stderr.write(`web tests: kept ${testDir} (nodes' data, logs, screenshots)\n`);
      }
    });
  }
  return testDir;
}

// ---- running programs ----

// Runs a program to its end. Resolves {code, stdout, stderr}; rejects if it exits non-zero,
// unless allowFailure. `input` goes to its stdin.
export function run(program, args, { env = {}, input = '', allowFailure = false, cwd } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(program, args, { env: { ...process.env, ...env }, cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const result = { code, signal, stdout, stderr };
      if ((code === 0 || allowFailure) && !signal) return resolvePromise(result);
      reject(new Error(`${program} ${args.join(' ')} failed (${signal || 'exit ' + code}): ` +
                       `${stderr.trim() || stdout.trim()}`));
    });
    // A program that exits without reading its stdin closes the pipe: EPIPE here is not
    // its failure (its exit status says that), and unhandled it would fail the test file.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

// Polls `check` (async, returns a truthy value when done) until it is done or `ms` pass.
export async function waitFor(what, check, ms = waitLimitMs) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// Sets `key = value` in [section] of a holdfast.conf's text (the key must be there).
function setConfigKey(text, section, key, value) {
  const lines = text.split('\n');
  let inSection = false;
  for (let i = 0; i < lines.length; i++) {
    const header = lines[i].match(/^\[(.+)\]\s*$/);
    if (header) inSection = header[1] === section;
    else if (inSection && new RegExp(`^${key}\\s*=`).test(lines[i])) {
      lines[i] = `${key} = ${value}`;
      return lines.join('\n');
    }
  }
  throw new Error(`holdfast.conf has no ${key} in [${section}]`);
}

// ---- a node ----

// Starts a node (NAME-1 of agency probation-ce, kind probation; `config` sets more of its
// holdfast.conf) with the HTTPS server on
// 127.0.0.1 (a free port), one user per role, each with a password, and with `sample`, a
// small generated county (holdfast-sample, 40 cases) imported. Resolves
//   { url, ca, dir, users: {role: {id, password}}, cli(...args), cliAs(role, ...args),
//     log(), stop() }
// cli runs `holdfast` as the node's operator (the Unix account node init mapped), cliAs as
// the user of that role; each resolves holdfast's stdout, and rejects with its message on a
// non-zero exit. stop() sends SIGTERM and rejects if holdfastd did not exit 0.
export async function startNode({ sample = false, name = 'web', config: settings = {} } = {}) {
  for (const program of [holdfastPath, holdfastdPath, ...(sample ? [samplePath] : [])]) {
    if (!existsSync(program)) {
      throw new Error(`no ${program}: build it (ninja -C ${buildDir} holdfast holdfastd ` +
                      'holdfast-sample) or point HOLDFAST_BUILD_DIR at your build directory');
    }
  }
  const dir = mkdtempSync(join(testTempDir(), `${name}-`));
  const id = `${name}-1`;
  const pki = join(dir, 'pki');
  await run(join(repoRoot, 'ops/make-ca'), [pki]);
  await run(join(repoRoot, 'ops/make-node-cert'), [pki, id]);
  const dataDir = join(dir, 'node');
  await run(holdfastPath, ['node', 'init', '--id', id, '--agency', 'probation-ce', '--kind',
                           'probation', '--data-dir', dataDir, '--ca', join(pki, 'ca.crt'),
                           '--cert', join(pki, `${id}.crt`), '--key', join(pki, `${id}.key`)]);
  // Browsers take no Ed25519 certificate (the node's own, for its peers): the web gets an
  // ECDSA one (ops/make-web-cert), self-signed, which the browser's contexts accept.
  await run(join(repoRoot, 'ops/make-web-cert'), [pki, id]);
  const config = join(dataDir, 'holdfast.conf');
  let text = readFileSync(config, 'utf8');
  text = setConfigKey(text, 'http', 'listen', '127.0.0.1:0');
  text = setConfigKey(text, 'http', 'cert', join(pki, `${id}-web.crt`));
  text = setConfigKey(text, 'http', 'key', join(pki, `${id}-web.key`));
  // More settings: { section: { key: value } }, each a line node init wrote.
  for (const [section, keys] of Object.entries(settings)) {
    for (const [key, value] of Object.entries(keys)) text = setConfigKey(text, section, key, String(value));
  }
  writeFileSync(config, text);

  const logPath = join(dir, 'holdfastd.log');
  const logFd = openSync(logPath, 'a');
  const daemon = spawn(holdfastdPath, ['--config', config], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  running.add(daemon);
  let exited = null;
  const exitedPromise = new Promise((r) => daemon.on('exit', (code, signal) => {
    running.delete(daemon);
    exited = { code, signal };
    r(exited);
  }));
  const log = () => readFileSync(logPath, 'utf8');

  const env = { HOLDFAST_CONFIG: config };
  const cli = async (...args) => (await run(holdfastPath, args, { env })).stdout;
  const stop = async () => {
    if (!exited) {
      daemon.kill('SIGTERM');
      const timer = setTimeout(() => daemon.kill('SIGKILL'), waitLimitMs);
      await exitedPromise;
      clearTimeout(timer);
    }
    if (exited.code !== 0) {
      throw new Error(`holdfastd exited ${exited.signal || exited.code}; its log:\n${log()}`);
    }
  };

  try {
    const marker = /http: listening on 127\.0\.0\.1:(\d+)/;
    const port = await waitFor('holdfastd to log "http: listening on"', () => {
      if (exited) throw new Error(`holdfastd exited while starting; its log:\n${log()}`);
      const m = log().match(marker);
      return m && Number(m[1]);
    });
    await waitFor('holdfastd to answer on its Unix socket', async () =>
      (await run(holdfastPath, ['users', 'list'], { env, allowFailure: true })).code === 0);

    const users = {};
    for (const role of roles) {
      const user = { id: `${role}-1`, password: `pw-${role}-${randomBytes(9).toString('hex')}` };
      await cli('users', 'add', '--id', user.id, '--role', role, '--name', `Test ${role}`);
      await run(holdfastPath, ['users', 'password', '--id', user.id],
                { env, input: `${user.password}\n` });
      users[role] = user;
    }
    if (sample) {
      const county = join(dir, 'county.jsonl');
      const { stdout } = await run(samplePath, ['--cases', '40', '--seed', '7']);
      writeFileSync(county, stdout);
      await cli('import', '--file', county);
    }
    // As the user of `role`, by an API token made on first use (as the quickstart's users).
    const tokenFiles = {};
    const cliAs = async (role, ...args) => {
      if (!tokenFiles[role]) {
        const token = await cli('users', 'token', '--id', users[role].id);
        tokenFiles[role] = join(dir, `token-${role}`);
        writeFileSync(tokenFiles[role], token, { mode: 0o600 });
      }
      return (await run(holdfastPath, args,
                        { env: { ...env, HOLDFAST_TOKEN_FILE: tokenFiles[role] } })).stdout;
    };
    return { url: `https://127.0.0.1:${port}`, ca: join(pki, 'ca.crt'), dir, users, cli, cliAs,
             log, stop };
  } catch (e) {
    await stop().catch(() => {});
    throw e;
  }
}

// ---- the browser ----

// Debian's Chromium headless shell. The node's certificate comes from its own CA and names the
// node, not 127.0.0.1, so every context this browser makes accepts it (ignoreHTTPSErrors);
// the harness starts the only server these pages reach. Close it with browser.close().
export async function launchBrowser() {
  if (!existsSync(chromiumPath)) {
    throw new Error(`no ${chromiumPath}: install Debian's chromium-headless-shell (ops/install-deps)`);
  }
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox'],
  });
  // browser.newPage makes its context with browser.newContext, so this covers both.
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options = {}) => {
    const context = await newContext({ ignoreHTTPSErrors: true, ...options });
    // An action or a wait that never ends fails the test within a minute, never at ctest's
    // timeout with nothing said.
    context.setDefaultTimeout(60_000);
    return context;
  };
  return browser;
}

// Signs `user` ({id, password}) in on the node at `url` with the sign-in form at /sign-in
// (fields `user` and `password`, the button "Sign in"). Resolves the response to the form's
// submission; the page is then wherever the server sent it.
export async function signIn(page, url, user) {
  await page.goto(`${url}/sign-in`);
  await page.locator('input[name="user"]').fill(user.id);
  await page.locator('input[name="password"]').fill(user.password);
  const posted = page.waitForResponse(
    (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/sign-in');
  await page.getByRole('button', { name: 'Sign in' }).click();  // waits for the navigation
  const response = await posted;
  await page.waitForLoadState('load');
  return response;
}

// ---- checks ----

export const axeTags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const axeSource = readFileSync(join(repoRoot, 'node_modules/axe-core/axe.min.js'), 'utf8');

// Runs axe-core on the page as it is now, at WCAG 2.2 AA; throws, listing every violation
// (rule, what it asks, the elements), if there is any.
export async function checkAxe(page) {
  // Evaluated through the DevTools protocol, not as a <script>: the pages' Content-Security-
  // Policy forbids inline scripts, and the test must not loosen it.
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(axeSource);
  const results = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }), axeTags);
  if (results.violations.length === 0) return results;
  const lines = [];
  for (const v of results.violations) {
    lines.push(`${v.id} (${v.impact}): ${v.help} [${v.helpUrl}]`);
    for (const node of v.nodes) lines.push(`    at ${node.target.join(' ')}`);
  }
  throw new Error(`axe: ${results.violations.length} WCAG 2.2 AA violation(s) on ` +
                  `${page.url()}:\n  ${lines.join('\n  ')}`);
}

// A full-page PNG of the page: docs/screenshots/NAME.png when HOLDFAST_SCREENSHOTS=1 (the
// pictures in docs/), else in the test's temporary directory. Resolves the file's path.
export async function screenshot(page, name) {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new Error(`screenshot: name "${name}" must be lower-case letters, digits and -`);
  }
  const dir = process.env.HOLDFAST_SCREENSHOTS === '1' ? join(repoRoot, 'docs/screenshots')
                                                       : join(testTempDir(), 'screenshots');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true, animations: 'disabled' });
  return path;
}
