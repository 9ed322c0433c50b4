// `explainer serve` in a real browser: live reload on an edit, the error overlay on a broken
// page (last good build still underneath), and the overlay gone once the file is fixed.
// Runs on a temp copy of the repository site; the repository itself is never edited.
// Run: cd tests/browser && npm test   (EXPLAINER_BIN defaults to ../../target/debug/explainer)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { launchBrowser, isLocalUrl } from './lib/browser.mjs';
import { copySite, explainerBin, freePort, removeDir, startServe } from './lib/explainer.mjs';

const PAGE_FILE = 'content/about.md'; // the page edited, as the overlay names it
const OVERLAY = '#explainer-error-overlay'; // what src/serve/live.rs injects (role="alert")
const RELOAD_WITHIN = 5_000;
const TOKEN = `Live reload check ${process.pid}-${Date.now().toString(36)}.`;
const TOKEN_FIXED = `Fixed again ${process.pid}-${Date.now().toString(36)}.`;

const log = (...a) => console.log('[serve]', ...a);

let root; // temp copy of the site
let server; // startServe() result
let browser;
let page;
let original; // about.md as copied
let edited; // about.md after step (a)
const pageErrors = [];
const consoleErrors = [];
const otherHosts = [];

const file = () => path.join(root, PAGE_FILE);

/** Replace the file the way an editor saves: write a temp file next to it, then rename over it. */
function save(text) {
  const tmp = path.join(path.dirname(file()), `.${path.basename(file())}.e2e-${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, file());
}

/** Text of the page without the overlay (the page "underneath"). */
const pageText = () => page.evaluate((sel) => {
  const c = document.body.cloneNode(true);
  c.querySelector(sel)?.remove();
  c.querySelectorAll('script').forEach((s) => s.remove());
  return c.textContent.replace(/\s+/g, ' ');
}, OVERLAY);

/** Mark the current document; a reload (a new document) loses the mark. */
const mark = (value) => page.evaluate((v) => { window.__e2eMark = v; }, value);
const markOf = () => page.evaluate(() => window.__e2eMark ?? null);

before(async () => {
  explainerBin(); // fails early, and clearly, when the binary is missing
  root = copySite('explainer-serve-');
  original = readFileSync(file(), 'utf8');
  const port = await freePort();
  server = await startServe({ root, port, log });
  log(`explainer serve --root ${root} --port ${port}: ${server.url}`);
  browser = await launchBrowser();
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // Nothing may leave the machine.
  await ctx.route((u) => !isLocalUrl(u.href), (route) => route.abort('blockedbyclient'));
  page = await ctx.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`); });
  page.on('request', (r) => { if (!isLocalUrl(r.url())) otherHosts.push(r.url()); });
}, { timeout: 60_000 });

after(async () => {
  await browser?.close().catch(() => {});
  if (server) {
    const r = await server.stop();
    log(`server stopped (${r.signal || `exit code ${r.code}`})`);
  }
  removeDir(root);
});

test('serve: the printed URL opens in Chromium with the live-reload script, and links lead to the edited page', { timeout: 30_000 }, async () => {
  const resp = await page.goto(server.url, { waitUntil: 'load' });
  assert.equal(resp?.status(), 200, `GET ${server.url}`);
  assert.ok((await page.title()).trim(), 'the home page has a <title>');
  assert.equal(await page.locator('script[data-explainer-live]').count(), 1, 'serve injects one live-reload script into HTML');
  // Follow the site's own link to the page that will be edited (about.md → …/about/).
  const href = await page.evaluate(() => [...document.querySelectorAll('a[href]')]
    .map((a) => a.href).find((h) => new URL(h).pathname.endsWith('/about/')));
  assert.ok(href, 'the home page links to the about page (…/about/)');
  const events = page.waitForResponse((r) => r.url().includes('/__explainer/events'), { timeout: 10_000 }).catch(() => null);
  await page.goto(href, { waitUntil: 'load' });
  assert.match(await page.title(), /About this explainer/, `title of ${href}`);
  const ev = await events;
  assert.ok(ev, 'the page opened the live-reload event stream (/__explainer/events)');
  assert.equal(ev.status(), 200, 'event stream status');
  log(`opened ${href} (event stream connected)`);
});

test('serve (a): an edit to content/about.md reloads the open page by itself within 5 s', { timeout: 30_000 }, async () => {
  assert.ok(!(await pageText()).includes(TOKEN), 'the new sentence is not there before the edit');
  await mark('before-edit');
  edited = `${original.replace(/\s*$/, '')}\n\n${TOKEN}\n`;
  const t0 = Date.now();
  save(edited);
  await page.waitForFunction((t) => document.body?.textContent.includes(t), TOKEN, { timeout: RELOAD_WITHIN, polling: 50 })
    .catch((e) => { throw new Error(`the page did not show the appended sentence within ${RELOAD_WITHIN} ms of the edit (${e.message.split('\n')[0]})\n${server.output()}`); });
  const ms = Date.now() - t0;
  assert.equal(await markOf(), null, 'the new text came with a reload (a new document)');
  assert.equal(await page.locator(OVERLAY).count(), 0, 'no error overlay after a good edit');
  log(`(a) edit shown after ${ms} ms`);
});

test('serve (b): broken front matter shows an error overlay naming content/about.md and the line; the last good page stays underneath', { timeout: 30_000 }, async () => {
  assert.ok(edited, 'step (a) ran');
  const lines = edited.split('\n');
  const i = lines.findIndex((l) => /^title\s*=\s*"/.test(l));
  assert.ok(i >= 0, `${PAGE_FILE} has a \`title = "…"\` line in its front matter`);
  const lineNo = i + 1;
  lines[i] = lines[i].replace(/"\s*$/, ''); // unterminated string: invalid TOML
  assert.notEqual(lines[i], edited.split('\n')[i], 'the title line was changed');
  await mark('before-break');
  const t0 = Date.now();
  save(lines.join('\n'));
  const overlay = page.locator(`${OVERLAY}[role="alert"]`);
  await overlay.waitFor({ state: 'visible', timeout: RELOAD_WITHIN })
    .catch((e) => { throw new Error(`no error overlay (${OVERLAY}, role="alert") within ${RELOAD_WITHIN} ms of breaking ${PAGE_FILE} (${e.message.split('\n')[0]})\n${server.output()}`); });
  const ms = Date.now() - t0;
  const text = (await overlay.innerText()).replace(/\s+/g, ' ');
  log(`(b) overlay after ${ms} ms: ${text.slice(0, 300)}`);
  const at = new RegExp(`${PAGE_FILE.replace(/[./]/g, '\\$&')}:(\\d+)`).exec(text);
  assert.ok(at, `the overlay names ${PAGE_FILE} with a line number (file:line); it says: ${text}`);
  assert.equal(Number(at[1]), lineNo, `the overlay points at line ${lineNo} (the broken title line)`);
  // The structured location, as the script renders it.
  const loc = await page.locator(`${OVERLAY} [data-file]`).first().evaluate((e) => ({ file: e.dataset.file, line: e.dataset.line }));
  assert.deepEqual(loc, { file: PAGE_FILE, line: String(lineNo) }, 'data-file / data-line of the overlay');
  // Underneath: the same document as before (no reload to an error page), still the last good build.
  assert.equal(await markOf(), 'before-break', 'the page was not reloaded or replaced');
  assert.match(await page.title(), /About this explainer/, 'the document title is still the last good one');
  assert.ok((await pageText()).includes(TOKEN), 'the page underneath still shows the last good version (with the sentence from step a)');
  // And the server keeps serving that build to new requests.
  const served = await page.evaluate(async () => {
    const r = await fetch(location.href, { cache: 'no-store' });
    return { status: r.status, body: await r.text() };
  });
  assert.equal(served.status, 200, 'the page is still served while the build is broken');
  assert.ok(served.body.includes(TOKEN), 'the server still serves the last good build of the page');
});

test('serve (c): fixing the file removes the overlay and shows the fixed page', { timeout: 30_000 }, async () => {
  assert.ok(edited, 'step (a) ran');
  const fixed = `${edited.replace(/\s*$/, '')}\n\n${TOKEN_FIXED}\n`;
  const t0 = Date.now();
  save(fixed);
  await page.waitForFunction(([t, sel]) => !document.querySelector(sel) && document.body?.textContent.includes(t),
    [TOKEN_FIXED, OVERLAY], { timeout: RELOAD_WITHIN, polling: 50 })
    .catch(async (e) => {
      const still = await page.locator(OVERLAY).count().catch(() => '?');
      throw new Error(`within ${RELOAD_WITHIN} ms of fixing ${PAGE_FILE} the page did not show the fixed version without the overlay ` +
        `(overlay elements: ${still}; ${e.message.split('\n')[0]})\n${server.output()}`);
    });
  const ms = Date.now() - t0;
  assert.match(await page.title(), /About this explainer/);
  // Stays gone: the fixed build's hello/reload messages must not bring it back.
  await page.waitForTimeout(500);
  assert.equal(await page.locator(OVERLAY).count(), 0, 'the overlay stays gone');
  log(`(c) overlay gone, fixed page shown after ${ms} ms`);
});

test('serve: no uncaught exceptions, console errors or requests to other hosts in the page; the server is still running', () => {
  assert.equal(server.exited(), null, `the server exited early\n${server.output()}`);
  assert.deepEqual(pageErrors, [], 'uncaught exceptions');
  assert.deepEqual(otherHosts, [], 'requests to hosts other than 127.0.0.1');
  assert.deepEqual(consoleErrors, [], 'console errors');
});
