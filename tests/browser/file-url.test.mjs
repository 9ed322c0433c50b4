// The default build (no base_url, so every internal link is relative) opened from file:// in a
// real browser: starting at index.html, follow every relative link to every page; each page
// loads, is styled, and requests nothing but file: (and data:) URLs; no link or resource
// leaves the site (the only absolute URLs allowed are the source addresses the content
// records). Every HTML page the build wrote must be reached.
// Run: cd tests/browser && npm test   (EXPLAINER_BIN defaults to ../../target/debug/explainer)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launchBrowser } from './lib/browser.mjs';
import { explainerBin, removeDir, runExplainer } from './lib/explainer.mjs';
import { REPO_ROOT, htmlPages, recordedSourceUrls, sitePages } from './lib/site.mjs';

const log = (...a) => console.log('[file-url]', ...a);
const ALLOWED = new Set(['file:', 'data:']);

let tmp;
let siteDir;
let browser;

before(async () => {
  explainerBin(); // fails early, and clearly, when the binary is missing
  tmp = mkdtempSync(path.join(os.tmpdir(), 'explainer-file-url-'));
  siteDir = path.join(tmp, 'public');
  const args = ['build', '--root', REPO_ROOT, '-o', siteDir];
  const r = await runExplainer(args);
  if (r.code !== 0) throw new Error(`\`explainer ${args.join(' ')}\` failed (${r.signal || `exit code ${r.code}`}):\n${r.stderr}${r.stdout}`);
  log(`explainer ${args.join(' ')}: ${(r.stderr + r.stdout).trim().split('\n').pop()}`);
  browser = await launchBrowser();
}, { timeout: 90_000 });

after(async () => {
  await browser?.close().catch(() => {});
  removeDir(tmp);
});

/** A file: URL without its query and fragment: the identity of a page. */
const pageKey = (u) => { const x = new URL(u); x.hash = ''; x.search = ''; return x.href; };

test('file://: every page of the default build is reachable by links, loads, is styled, requests only file: URLs and links nowhere else', { timeout: 60_000 }, async () => {
  const failures = [];
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // Anything but file:/data: is recorded (and aborted, so nothing leaves the machine).
  const leaks = [];
  await ctx.route((u) => !ALLOWED.has(u.protocol), (route) => route.abort('blockedbyclient'));
  try {
    // What an unstyled document looks like in this browser, to tell the site's CSS took effect.
    const blank = await ctx.newPage();
    await blank.goto('data:text/html,<!doctype html><title>x</title><body><p>x</p>');
    const unstyled = await blank.evaluate(() => {
      const s = getComputedStyle(document.body);
      return { fontFamily: s.fontFamily, margin: s.margin, background: s.backgroundColor };
    });
    await blank.close();

    const page = await ctx.newPage();
    let current = null; // the page being checked, for the listeners
    const problems = new Map(); // page key -> [problem]
    const problem = (key, msg) => { if (!problems.has(key)) problems.set(key, []); problems.get(key).push(msg); };
    page.on('request', (r) => {
      const u = r.url();
      let proto;
      try { proto = new URL(u).protocol; } catch { proto = '?'; }
      if (!ALLOWED.has(proto)) { leaks.push(`${u} (from ${current})`); problem(current, `request left file://: ${u}`); }
    });
    page.on('requestfailed', (r) => {
      if (ALLOWED.has(new URL(r.url()).protocol)) problem(current, `request failed: ${r.url()} (${r.failure()?.errorText})`);
    });
    page.on('pageerror', (e) => problem(current, `uncaught exception: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') problem(current, `console error: ${m.text()}`); });

    // A default build has no base URL (null); one built with base_url names it in sitemap.xml,
    // and a link to it would leave the local copy.
    const { siteUrl } = sitePages(siteDir);
    const sourceUrls = recordedSourceUrls();
    const isWeb = (raw) => /^https?:/i.test(raw) || raw.startsWith('//');

    const start = pathToFileURL(path.join(siteDir, 'index.html')).href;
    const queue = [start];
    const queued = new Set([start]);
    const linkedFrom = new Map([[start, '(start)']]);
    // The 404 page is in the output but no link leads to it; check it too, after the crawl.
    const notFound = pathToFileURL(path.join(siteDir, '404.html')).href;
    let notFoundSeeded = false;
    const visited = new Set(); // page keys that loaded
    const anchors = []; // { key, id, from } fragments to check on the target page
    const idsOf = new Map(); // page key -> Set of ids
    let links = 0;
    let fragments = 0;
    let external = 0;

    while (queue.length || !notFoundSeeded) {
      if (!queue.length) {
        notFoundSeeded = true;
        if (queued.has(notFound) || !existsSync(fileURLToPath(notFound))) continue;
        queued.add(notFound); linkedFrom.set(notFound, '(404 page, opened directly)'); queue.push(notFound);
      }
      const key = queue.shift();
      current = key;
      try {
        await page.goto(key, { waitUntil: 'load', timeout: 15_000 });
      } catch (e) {
        problem(key, `did not load: ${e.message.split('\n')[0]} (linked from ${linkedFrom.get(key)})`);
        continue;
      }
      visited.add(key);
      const r = await page.evaluate(() => {
        const s = getComputedStyle(document.body);
        const sheets = [...document.querySelectorAll('link[rel~="stylesheet"]')].map((l) => ({ href: l.href, loaded: !!l.sheet }));
        return {
          url: location.href,
          title: document.title,
          listing: !!document.querySelector('#parentDirLinkBox, #listing') || /^Index of /.test(document.title),
          style: { fontFamily: s.fontFamily, margin: s.margin, background: s.backgroundColor },
          sheets,
          links: [...document.querySelectorAll('a[href]')].map((a) => ({ raw: a.getAttribute('href'), abs: a.href })),
          // Every other URL-bearing attribute: stylesheets, icons, canonical, images, scripts.
          others: [...document.querySelectorAll('[href]:not(a), [src]')].flatMap((e) => ['href', 'src']
            .filter((n) => e.hasAttribute(n)).map((n) => `<${e.localName} ${n}="${e.getAttribute(n)}">`)),
          ids: [...document.querySelectorAll('[id]')].map((e) => e.id),
        };
      });
      idsOf.set(key, new Set(r.ids));
      if (pageKey(r.url) !== key) problem(key, `ended up at ${r.url}`);
      if (r.listing) problem(key, 'shows a folder listing, not a page');
      if (!r.title.trim()) problem(key, 'no <title>');
      // The stylesheet applied: it is linked, loaded, and the body no longer looks like an unstyled document.
      if (!r.sheets.length) problem(key, 'no <link rel="stylesheet">');
      for (const sh of r.sheets) if (!sh.loaded) problem(key, `stylesheet did not load: ${sh.href}`);
      if (r.style.fontFamily === unstyled.fontFamily) {
        problem(key, `stylesheet not applied: body font-family is the browser default (${r.style.fontFamily}); margin ${r.style.margin}, background ${r.style.background}`);
      }

      for (const o of r.others) {
        const raw = /="(.*)">$/.exec(o)[1];
        if (isWeb(raw)) problem(key, `${o} points off the site`);
      }
      for (const { raw, abs } of r.links) {
        // Relative links only: no scheme, not protocol-relative, not same-page fragments.
        if (raw.startsWith('#')) {
          fragments++;
          if (raw.length > 1) anchors.push({ key, id: decodeURIComponent(raw.slice(1)), from: `${key} (${raw})` });
          continue;
        }
        if (/^[a-z][a-z0-9+.-]*:/i.test(raw) || raw.startsWith('//')) {
          external++;
          if (siteUrl && abs.startsWith(siteUrl)) problem(key, `link ${raw} points at the published site, not the local copy`);
          else if (isWeb(raw) && !sourceUrls.has(raw)) problem(key, `link ${raw} leaves the site (not a source address the content records)`);
          continue;
        }
        links++;
        const u = new URL(abs);
        if (u.protocol !== 'file:') { problem(key, `relative link ${raw} resolves outside file: (${abs})`); continue; }
        const target = pageKey(abs);
        let st = null;
        try { st = statSync(fileURLToPath(target)); } catch { /* missing */ }
        if (!st) { problem(key, `broken link ${raw}: ${fileURLToPath(target)} does not exist`); continue; }
        if (st.isDirectory()) {
          problem(key, `link ${raw} points at a folder (${fileURLToPath(target)}); from file:// that shows a folder listing, not its index.html`);
          continue;
        }
        if (u.hash.length > 1) anchors.push({ key: target, id: decodeURIComponent(u.hash.slice(1)), from: `${key} (${raw})` });
        if (!/\.html?$/i.test(u.pathname)) continue; // feeds, CSS and other files: existence is enough
        if (!queued.has(target)) { queued.add(target); linkedFrom.set(target, key); queue.push(target); }
      }
    }

    // Every #fragment (same page or another one) names an element of its target page.
    for (const a of anchors) {
      const ids = idsOf.get(a.key);
      if (ids && !ids.has(a.id)) problem(a.key, `no element with id="${a.id}" (linked from ${a.from})`);
    }

    // Every HTML page the build wrote was reached by following links.
    const written = htmlPages(siteDir).map((p) => path.join(siteDir, p.endsWith('/') ? `${p}index.html` : p));
    const missing = written.filter((f) => !visited.has(pathToFileURL(f).href)).map((f) => path.relative(siteDir, f));

    const rel = (k) => (k ? path.relative(siteDir, fileURLToPath(k)) || k : '(setup)');
    for (const [k, list] of problems) for (const p of list) failures.push(`${rel(k)}: ${p}`);
    for (const m of missing) failures.push(`page not reached by following links from index.html: ${m}`);

    log(`visited ${visited.size} pages over file:// (${visited.has(notFound) ? 'incl. 404.html, opened directly; ' : ''}${links} relative links followed or checked, ` +
      `${fragments} same-page #fragment links, ${anchors.length} #fragments checked on their target page, ${external} absolute links skipped)`);
    log(`pages written: ${written.length}, ${written.length - missing.length} reached; requests outside file:/data:: ${leaks.length}; recorded source addresses: ${sourceUrls.size}`);
    log(`pages: ${[...visited].map(rel).join(', ')}`);
  } finally {
    await ctx.close();
  }
  if (failures.length) {
    const err = new Error(`file:// problems: ${failures.length}\n  - ${failures.join('\n  - ')}`);
    err.stack = err.message;
    throw err;
  }
});
