// Real-browser end-to-end checks of the built site, over every page in sitemap.xml plus the 404 page.
// Run: cd tests/browser && npm ci && npm test   (needs /usr/bin/chromium and a built site in ../../public)
import { test, before, after } from 'node:test';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { launchBrowser, isLocalUrl } from './lib/browser.mjs';
import { startSite } from './lib/serve.mjs';
import { ARCHIVE, REPO_ROOT, SCREENSHOT_DIR } from './lib/site.mjs';

const JOBS = Math.max(1, Number(process.env.E2E_JOBS) || Math.min(4, Math.max(2, os.availableParallelism())));
const TEST_TIMEOUT = 240_000;
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** @type {import('playwright-core').Browser} */
let browser;
/** @type {Awaited<ReturnType<typeof startSite>>} */
let site;

const stats = {
  axeRules: 0, axeRuns: 0, axeViolationRules: 0, axeViolationNodes: 0, axeIncomplete: new Map(),
  citations: 0, citationTargets: 0, backLinks: 0, quotes: 0, screenshots: 0,
  results: new Map(), // check name -> 'pass' | 'fail (n)' | 'skipped'
};

const log = (...a) => console.log('[e2e]', ...a);

before(async () => {
  browser = await launchBrowser();
  site = await startSite();
  log(`serving ${path.relative(REPO_ROOT, site.siteDir) || site.siteDir} (${site.mode}) at ${site.base} — ${site.pages.length} pages (sitemap + 404)`);
  if (site.siteUrl && site.siteUrl !== site.base) log(`absolute URLs under the published base ${site.siteUrl} are rewritten to ${site.base} in served text files`);
}, { timeout: 90_000 });

after(async () => {
  await browser?.close();
  await site?.close();
  if (!browser || !site) return; // setup failed; every test reports why
  const lines = [
    '',
    '================ e2e summary ================',
    `pages checked:        ${site ? site.pages.length : 0} (${site ? site.pages.length - 1 : 0} from sitemap.xml + 404)`,
    `axe rules run:        ${stats.axeRules} per page (${stats.axeRuns} runs, light + dark)`,
    `axe violations:       ${stats.axeViolationNodes} (${stats.axeViolationRules} rule/page/scheme combinations)`,
    `axe needs-review:     ${[...stats.axeIncomplete].map(([id, n]) => `${id}×${n}`).join(', ') || 'none'}`,
    `citation links:       ${stats.citations} (${stats.citationTargets} distinct targets), cited-by back-links: ${stats.backLinks}`,
    `quotations checked:   ${stats.quotes}`,
    `screenshots:          ${stats.screenshots} in ${path.relative(REPO_ROOT, SCREENSHOT_DIR)}/`,
    ...[...stats.results].map(([name, r]) => `  ${r.padEnd(10)} ${name}`),
    '=============================================',
  ];
  console.log(lines.join('\n'));
});

// ---------------------------------------------------------------- helpers

// bypassCSP lets the checks' own in-page helpers run whatever the site's CSP says; check 1 loads
// every page in a context without it, so the site's CSP errors still show up there.
async function newContext(opts = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true, ...opts });
  // Nothing may leave the machine: requests to any other host are aborted (and reported by check 1).
  await ctx.route((url) => !isLocalUrl(url.href), (route) => route.abort('blockedbyclient'));
  return ctx;
}

/** Run fn(item) over items, at most `jobs` at a time. */
async function pool(items, jobs, fn) {
  let next = 0;
  const worker = async () => { while (next < items.length) await fn(items[next++]); };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
}

/**
 * Run fn(item, page) over items with up to `jobs` pages at once; one context per worker.
 * An error on one item (navigation failure, crash) is recorded in `failures` and the run goes on.
 */
async function forEach(items, ctxOpts, fn, { jobs = JOBS, failures } = {}) {
  const contexts = [];
  try {
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, async () => {
      const ctx = await newContext(ctxOpts);
      contexts.push(ctx);
      let page = await ctx.newPage();
      while (next < items.length) {
        const item = items[next++];
        try {
          await fn(item, page);
        } catch (e) {
          if (!failures) throw e;
          failures.push(`${item.name || item.href} (${item.url || item.via}): ${e.message.split('\n')[0]}`);
          await page.close().catch(() => {});
          page = await ctx.newPage();
        }
      }
    }));
  } finally {
    await Promise.all(contexts.map((ctx) => ctx.close()));
  }
}

async function open(page, p) {
  const resp = await page.goto(p.url, { waitUntil: 'load', timeout: 30_000 });
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  return resp;
}

/** Wait for running CSS transitions/animations (e.g. a skip link sliding in), at most 2 s. */
const settle = (page) => page.evaluate(() => Promise.race([
  Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined))),
  new Promise((r) => setTimeout(r, 2000)),
]).then(() => undefined));

function finish(name, failures, heading) {
  stats.results.set(name, failures.length ? `FAIL (${failures.length})` : 'pass');
  if (failures.length) {
    const err = new Error(`${heading}: ${failures.length} failure(s)\n  - ${failures.join('\n  - ')}`);
    err.stack = err.message; // the list is the useful part; the stack into this file is not
    throw err;
  }
}

// Describe an element in the page for messages (runs in the browser).
const DESCRIBE = `(el) => {
  const parts = [];
  for (let e = el; e && e.nodeType === 1 && parts.length < 4; e = e.parentElement) {
    let s = e.localName;
    if (e.id) { parts.unshift(s + '#' + e.id); break; }
    const cls = [...e.classList].slice(0, 2).join('.');
    if (cls) s += '.' + cls;
    parts.unshift(s);
  }
  return parts.join(' > ');
}`;

// ---------------------------------------------------------------- 1. load

test('1. every page loads: HTTP status, no console errors, no failed requests, no other hosts', { timeout: TEST_TIMEOUT }, async () => {
  const failures = [];
  // A fresh context per page, so every request of the page (cached or not) is seen.
  await pool(site.pages, JOBS, async (p) => {
    const ctx = await newContext({ bypassCSP: false });
    try {
      const page = await ctx.newPage();
      const problems = [];
      page.on('console', (m) => {
        if (m.type() !== 'error') return;
        const loc = m.location();
        // Chromium logs the intentional 404 of the 404 page's own document; that one is expected.
        if (p.status === 404 && loc.url === p.url && /status of 404/.test(m.text())) return;
        // A request to another host is reported below already; its blocked-load message adds nothing.
        if (loc.url && !isLocalUrl(loc.url) && /ERR_BLOCKED_BY_CLIENT/.test(m.text())) return;
        problems.push(`console error: ${m.text()}${loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
      });
      page.on('pageerror', (e) => problems.push(`uncaught exception: ${e.message}`));
      page.on('request', (r) => { if (!isLocalUrl(r.url())) problems.push(`request to another host: ${r.url()}`); });
      page.on('requestfailed', (r) => {
        if (isLocalUrl(r.url())) problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`);
      });
      page.on('response', (r) => {
        if (r.status() >= 400 && !(r.url() === p.url && r.status() === p.status)) {
          problems.push(`HTTP ${r.status()} for ${r.url()}`);
        }
      });
      let resp;
      try {
        resp = await page.goto(p.url, { waitUntil: 'load', timeout: 30_000 });
        await page.waitForLoadState('networkidle', { timeout: 10_000 }).catch(() => {});
      } catch (e) {
        problems.push(`navigation failed: ${e.message.split('\n')[0]}`);
      }
      if (resp && resp.status() !== p.status) problems.push(`status ${resp.status()}, expected ${p.status}`);
      if (p.status === 404 && resp) {
        const title = await page.title();
        if (!title.trim()) problems.push('the 404 page has no <title>');
      }
      for (const pr of problems) failures.push(`${p.name} (${p.url}): ${pr}`);
    } finally {
      await ctx.close();
    }
  });
  log(`loaded ${site.pages.length} pages`);
  finish('1. load', failures, 'page load problems');
});

// ---------------------------------------------------------------- 2. axe

test('2. axe-core: no WCAG 2.2 A/AA violations, light and dark', { timeout: TEST_TIMEOUT }, async () => {
  const failures = [];
  await forEach(site.pages, {}, async (p, page) => {
    await page.emulateMedia({ colorScheme: 'light' });
    await open(page, p);
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      await settle(page); // colour transitions, if any, finish before contrast is measured
      const res = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
      const rules = res.passes.length + res.violations.length + res.incomplete.length + res.inapplicable.length;
      stats.axeRules = Math.max(stats.axeRules, rules);
      stats.axeRuns++;
      for (const inc of res.incomplete) stats.axeIncomplete.set(inc.id, (stats.axeIncomplete.get(inc.id) || 0) + inc.nodes.length);
      for (const v of res.violations) {
        stats.axeViolationRules++;
        stats.axeViolationNodes += v.nodes.length;
        const targets = v.nodes.map((n) => n.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : t)).join(' '));
        const first = v.nodes[0] && (v.nodes[0].any[0] || v.nodes[0].all[0] || v.nodes[0].none[0])?.message;
        failures.push(`[${scheme}] ${v.id} (${v.impact}) on ${p.url}: ${v.nodes.length} element(s): ${targets.join(' | ')}` +
          `\n      ${v.help}${first ? ` — e.g. ${first}` : ''}`);
      }
    }
  }, { failures });
  log(`axe: ${stats.axeRules} rules per run (tags ${AXE_TAGS.join(',')}), ${site.pages.length} pages × light/dark = ${stats.axeRuns} runs, ${stats.axeViolationNodes} violations`);
  if (stats.axeIncomplete.size) {
    log(`axe needs review (not failures): ${[...stats.axeIncomplete].map(([id, n]) => `${id}×${n}`).join(', ')}`);
  }
  finish('2. axe (light + dark)', failures, 'axe violations');
});

// ---------------------------------------------------------------- 3. keyboard

test('3. keyboard: first Tab focuses the skip link, Enter moves focus into main, focus is visible', { timeout: TEST_TIMEOUT }, async () => {
  const failures = [];
  // One page at a time: keyboard focus is the one thing best not shared.
  await forEach(site.pages, {}, async (p, page) => {
    await open(page, p);
    await page.keyboard.press('Tab');
    await settle(page);
    const r = await page.evaluate((describe) => {
      const d = eval(describe);
      const skip = document.querySelector('a.skip-link') ||
        [...document.querySelectorAll('a[href]')].find((a) => a.getAttribute('href') === '#main');
      const a = document.activeElement;
      const out = { skip: skip ? d(skip) : null, skipHref: skip?.getAttribute('href'), focused: a && a !== document.body ? d(a) : '(body)', onSkip: !!skip && a === skip };
      if (out.onSkip) {
        const cs = getComputedStyle(a);
        const rect = a.getBoundingClientRect();
        out.outline = `${cs.outlineStyle} ${cs.outlineWidth} ${cs.outlineColor}`;
        const transparent = /^(transparent|rgba\(.*,\s*0\))$/.test(cs.outlineColor);
        const outline = cs.outlineStyle !== 'none' && (cs.outlineStyle === 'auto' || parseFloat(cs.outlineWidth) > 0) && !transparent;
        out.boxShadow = cs.boxShadow;
        out.indicator = outline || (cs.boxShadow && cs.boxShadow !== 'none');
        out.onScreen = rect.width > 0 && rect.height > 0 && rect.bottom > 0 && rect.right > 0 &&
          rect.top < innerHeight && rect.left < innerWidth && cs.visibility !== 'hidden' && parseFloat(cs.opacity) > 0;
        out.rect = `${Math.round(rect.left)},${Math.round(rect.top)} ${Math.round(rect.width)}×${Math.round(rect.height)}`;
      }
      return out;
    }, DESCRIBE);
    const where = `${p.name} (${p.url})`;
    if (!r.skip) { failures.push(`${where}: no skip link (a.skip-link or a[href="#main"])`); return; }
    if (!r.onSkip) { failures.push(`${where}: first Tab focused ${r.focused}, not the skip link ${r.skip}`); return; }
    if (!r.indicator) failures.push(`${where}: focused skip link ${r.skip} has no visible focus indicator (outline: ${r.outline}; box-shadow: ${r.boxShadow})`);
    if (!r.onScreen) failures.push(`${where}: focused skip link ${r.skip} is not visible on screen (rect ${r.rect})`);
    await page.keyboard.press('Enter');
    await page.waitForTimeout(50);
    const m = await page.evaluate((describe) => {
      const d = eval(describe);
      const main = document.querySelector('main') || document.querySelector('[role="main"]');
      const a = document.activeElement;
      return { main: main ? d(main) : null, inMain: !!main && !!a && (a === main || main.contains(a)), focused: a && a !== document.body ? d(a) : '(body)', hash: location.hash };
    }, DESCRIBE);
    if (!m.main) failures.push(`${where}: no <main> element`);
    else if (!m.inMain) {
      failures.push(`${where}: Enter on the skip link (href="${r.skipHref}") left focus on ${m.focused}, not in ${m.main}` +
        ' (the target needs to be focusable, e.g. <main id="main" tabindex="-1">)');
    }
  }, { jobs: 1, failures });
  log(`keyboard: ${site.pages.length} pages`);
  finish('3. keyboard / skip link', failures, 'keyboard problems');
});

// ---------------------------------------------------------------- 4. 360 px

test('4. no horizontal scrolling at 360 px', { timeout: TEST_TIMEOUT }, async () => {
  const failures = [];
  await forEach(site.pages, { viewport: { width: 360, height: 740 } }, async (p, page) => {
    await open(page, p);
    await settle(page);
    const r = await page.evaluate((describe) => {
      const d = eval(describe);
      const iw = window.innerWidth;
      const sw = document.documentElement.scrollWidth;
      const wide = [];
      if (sw > iw) {
        for (const el of document.body.querySelectorAll('*')) {
          const rect = el.getBoundingClientRect();
          if (rect.right > iw + 0.5 && rect.width > 0) {
            // Report the innermost offenders only.
            const inner = [...el.children].some((c) => c.getBoundingClientRect().right > iw + 0.5);
            if (!inner) wide.push(`${d(el)} (right edge ${Math.round(rect.right)}px)`);
          }
        }
      }
      return { iw, sw, wide: wide.slice(0, 6) };
    }, DESCRIBE);
    if (r.sw > r.iw) {
      failures.push(`${p.name} (${p.url}): scrollWidth ${r.sw}px > innerWidth ${r.iw}px; widest: ${r.wide.join('; ') || '?'}`);
    }
  }, { failures });
  log(`360 px: ${site.pages.length} pages`);
  finish('4. 360 px, no horizontal scroll', failures, 'horizontal scrolling at 360 px');
});

// ---------------------------------------------------------------- 5. print

test('5. print: the site navigation is not displayed', { timeout: TEST_TIMEOUT }, async () => {
  const failures = [];
  let withNav = 0;
  await forEach(site.pages, {}, async (p, page) => {
    await page.emulateMedia({ media: 'print' });
    await open(page, p);
    const navs = await page.evaluate((describe) => {
      const d = eval(describe);
      const els = new Set(document.querySelectorAll('header nav, [role="banner"] nav, header [role="navigation"]'));
      return [...els].map((n) => ({ what: d(n), shown: n.checkVisibility() && n.getClientRects().length > 0 }));
    }, DESCRIBE);
    if (navs.length) withNav++;
    for (const n of navs.filter((x) => x.shown)) failures.push(`${p.name} (${p.url}): ${n.what} is displayed in print`);
  }, { failures });
  log(`print: ${withNav} of ${site.pages.length} pages have a nav in their header`);
  if (withNav === 0) failures.push('no page has a <nav> inside its <header>: the check has nothing to test (site nav missing?)');
  finish('5. print hides site nav', failures, 'print problems');
});

// ---------------------------------------------------------------- 6. citations

const LAND = (id) => {
  const el = document.getElementById(id);
  return { present: !!el, target: !!el && el.matches(':target'), url: location.href };
};
const fragmentId = (href) => decodeURIComponent(new URL(href).hash.slice(1));

async function checkLanding(page, href, via, failures) {
  let resp;
  try {
    resp = await page.goto(href, { waitUntil: 'load', timeout: 30_000 });
  } catch (e) {
    failures.push(`${href} (linked from ${via}): navigation failed: ${e.message.split('\n')[0]}`);
    return;
  }
  if (resp && resp.status() !== 200) { failures.push(`${href} (linked from ${via}): HTTP ${resp.status()}`); return; }
  const id = fragmentId(href);
  const r = await page.evaluate(LAND, id);
  if (!r.present) failures.push(`${href} (linked from ${via}): no element with id="${id}" on ${r.url.split('#')[0]}`);
  else if (!r.target) failures.push(`${href} (linked from ${via}): #${id} exists but is not :target`);
}

test('6. citations reach their source entries; cited-by links reach their statements', { timeout: TEST_TIMEOUT }, async () => {
  const failures = [];
  const citations = new Map(); // href -> [page names]
  const backLinks = new Map(); // href -> [page names]
  const sourcePages = [];
  let clicked = 0;
  await forEach(site.pages, {}, async (p, page) => {
    await open(page, p);
    const found = await page.evaluate(() => {
      const hashOf = (a) => { try { return new URL(a.href).hash; } catch { return ''; } };
      const links = [...document.querySelectorAll('a[href]')];
      return {
        cites: links.filter((a) => hashOf(a).startsWith('#src-')).map((a) => a.href),
        hasSources: !!document.querySelector('[id^="src-"]'),
        back: links.filter((a) => /^#(st|fact|ev)-/.test(hashOf(a))).map((a) => a.href),
      };
    });
    for (const href of found.cites) {
      if (!href.startsWith(site.base)) { failures.push(`${p.name}: citation link ${href} points outside the site`); continue; }
      citations.set(href, [...(citations.get(href) || []), p.name]);
    }
    if (found.hasSources) {
      sourcePages.push(p.name);
      for (const href of found.back) {
        if (!href.startsWith(site.base)) { failures.push(`${p.name}: cited-by link ${href} points outside the site`); continue; }
        backLinks.set(href, [...(backLinks.get(href) || []), p.name]);
      }
    }
    stats.citations += found.cites.length;
    // Click the first visible citation on the page, as a reader would.
    let link = null;
    let href = null;
    for (const l of await page.locator('a[href*="#src-"]').filter({ visible: true }).all()) {
      href = await l.evaluate((a) => a.href);
      if (href.startsWith(site.base)) { link = l; break; }
    }
    if (link) {
      {
        try {
          await Promise.all([page.waitForURL(href, { timeout: 15_000 }), link.click({ timeout: 10_000 })]);
          await page.waitForLoadState('load');
          const r = await page.evaluate(LAND, fragmentId(href));
          if (!r.present || !r.target) failures.push(`${p.name}: clicking citation ${href} landed on ${r.url} without a :target #${fragmentId(href)}`);
          clicked++;
        } catch (e) {
          failures.push(`${p.name}: clicking citation ${href} failed: ${e.message.split('\n')[0]}`);
        }
      }
    }
  }, { failures });
  stats.citationTargets = citations.size;
  stats.backLinks = [...backLinks.values()].reduce((n, v) => n + v.length, 0);
  log(`citations: ${stats.citations} links to ${citations.size} distinct #src- targets on ${site.pages.length} pages (${clicked} clicked); ` +
    `source entries on: ${sourcePages.join(', ') || 'no page'}; ${backLinks.size} distinct cited-by targets`);
  if (citations.size === 0) failures.push('no page links to any #src-… source entry: no citations found on the site');
  if (sourcePages.length === 0) failures.push('no page has a source entry ([id^="src-"]): the sources page is missing');
  else if (backLinks.size === 0) failures.push(`the sources page (${sourcePages.join(', ')}) has no cited-by links to #st-/#fact-/#ev- anchors`);

  const targets = [...citations].map(([href, from]) => ({ href, via: from.slice(0, 3).join(', ') }));
  const backs = [...backLinks].map(([href, from]) => ({ href, via: `cited-by on ${from[0]}` }));
  // Grouped by document, so following the links of one page after another is a fragment
  // navigation within the page already loaded.
  const byDoc = new Map();
  for (const t of [...targets, ...backs]) {
    const doc = t.href.split('#')[0];
    byDoc.set(doc, [...(byDoc.get(doc) || []), t]);
  }
  await forEach([...byDoc].map(([doc, links]) => ({ name: doc, url: doc, links })), {}, async ({ links }, page) => {
    for (const { href, via } of links) await checkLanding(page, href, via, failures);
  }, { failures });
  finish('6. citations + cited-by', failures, 'citation link problems');
});

// ---------------------------------------------------------------- 7. screenshots

test('7. screenshots at 1280 and 390 px, light and dark', { timeout: TEST_TIMEOUT }, async () => {
  rmSync(SCREENSHOT_DIR, { recursive: true, force: true });
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const failures = [];
  const slug = (p) => (p.status === 404 ? '404' : p.name.slice(site.prefix.length).replace(/\/+$/, '').replace(/[^a-zA-Z0-9._-]+/g, '_') || 'home');
  for (const width of [1280, 390]) {
    await forEach(site.pages, { viewport: { width, height: width > 800 ? 800 : 844 } }, async (p, page) => {
      await page.emulateMedia({ colorScheme: 'light' });
      await open(page, p);
      for (const scheme of ['light', 'dark']) {
        await page.emulateMedia({ colorScheme: scheme });
        await settle(page);
        const file = path.join(SCREENSHOT_DIR, `${slug(p)}.${width}.${scheme}.png`);
        try {
          await page.screenshot({ path: file, fullPage: true, animations: 'disabled', timeout: 30_000 });
          stats.screenshots++;
        } catch (e) {
          failures.push(`${p.name} @${width} ${scheme}: ${e.message.split('\n')[0]}`);
        }
      }
    }, { failures });
  }
  log(`screenshots: ${stats.screenshots} written to ${SCREENSHOT_DIR}`);
  finish('7. screenshots', failures, 'screenshot problems');
});

// ---------------------------------------------------------------- 8. quotations

test('8. every <blockquote> and <q> appears verbatim in the archived source', { timeout: TEST_TIMEOUT }, async (t) => {
  if (!existsSync(ARCHIVE)) {
    const msg = `archive ${path.relative(REPO_ROOT, ARCHIVE)} does not exist yet: quotation check skipped`;
    log(`SKIP: ${msg}`);
    stats.results.set('8. quotations verbatim', 'skipped');
    t.skip(msg);
    return;
  }
  const archive = readFileSync(ARCHIVE, 'utf8');
  const failures = [];
  await forEach(site.pages, {}, async (p, page) => {
    await open(page, p);
    // The comparison runs in the page, on the text the browser parsed.
    const r = await page.evaluate(([archiveText, describe]) => {
      const d = eval(describe);
      const norm = (s) => s.replace(/\s+/g, ' ').trim();
      const hay = norm(archiveText);
      const textOf = (el) => {
        const c = el.cloneNode(true);
        // Attribution and citation markers are ours, not the source's words.
        c.querySelectorAll('cite, footer, figcaption, .citation, script, style, template').forEach((x) => x.remove());
        return norm(c.textContent);
      };
      const checked = [];
      for (const bq of document.querySelectorAll('blockquote')) {
        const paras = bq.querySelectorAll(':scope > p, :scope > ul > li, :scope > ol > li');
        const parts = paras.length ? [...paras] : [bq];
        for (const part of parts) checked.push({ el: d(part), kind: 'blockquote', text: textOf(part) });
      }
      for (const q of document.querySelectorAll('q')) checked.push({ el: d(q), kind: 'q', text: textOf(q) });
      const items = checked.filter((c) => c.text);
      return { count: items.length, missing: items.filter((c) => !hay.includes(c.text)) };
    }, [archive, DESCRIBE]);
    stats.quotes += r.count;
    for (const m of r.missing) {
      const short = m.text.length > 160 ? m.text.slice(0, 157) + '…' : m.text;
      failures.push(`${p.name} (${p.url}): <${m.kind}> at ${m.el} not found verbatim in ${path.basename(ARCHIVE)}: "${short}"`);
    }
  }, { failures });
  log(`quotations: ${stats.quotes} <blockquote>/<q> texts checked against ${path.relative(REPO_ROOT, ARCHIVE)}`);
  finish('8. quotations verbatim', failures, 'quotations not found in the archive');
});

// ---------------------------------------------------------------- 9. home page length

// A newsroom "what we know" piece runs to about 500–700 words: the home page's prose (everything
// in <main> but navigation lists) must stay within that. Fewer than 300 words means the page lost
// its text, or this count lost the page.
const HOME_MAX_WORDS = 700;
const HOME_MIN_WORDS = 300;

test(`9. the home page's prose is at most ${HOME_MAX_WORDS} words`, { timeout: TEST_TIMEOUT }, async () => {
  const failures = [];
  const home = site.pages.find((p) => p.url === site.base);
  if (!home) failures.push(`no home page at ${site.base} among the pages checked`);
  else {
    await forEach([home], {}, async (p, page) => {
      await open(page, p);
      const r = await page.evaluate(() => {
        const main = document.querySelector('main');
        if (!main) return null;
        const copy = main.cloneNode(true);
        copy.querySelectorAll('nav, script, style, template').forEach((x) => x.remove());
        // innerText of a detached node is its textContent: put spaces between blocks.
        copy.querySelectorAll('*').forEach((el) => el.append(' '));
        const words = (copy.textContent.match(/\S+/g) || []).filter((w) => /[\p{L}\p{N}]/u.test(w));
        return { words: words.length };
      });
      if (!r) { failures.push(`${p.url}: no <main>`); return; }
      log(`home page: ${r.words} words of prose (limit ${HOME_MAX_WORDS})`);
      if (r.words > HOME_MAX_WORDS) failures.push(`${p.url}: ${r.words} words of prose, more than ${HOME_MAX_WORDS}`);
      if (r.words < HOME_MIN_WORDS) failures.push(`${p.url}: only ${r.words} words of prose: is the text missing?`);
    }, { failures });
  }
  finish('9. home page length', failures, 'home page length');
});

// ---------------------------------------------------------------- 10. search

test('10. search finds a phrase from the report and lands on its statement; without JavaScript the page says where to look', { timeout: TEST_TIMEOUT }, async () => {
  const failures = [];
  const search = site.pages.find((p) => p.name.endsWith('/search/'));
  const PHRASE = 'nothing to do with the alleged';
  if (!search) failures.push('no /search/ page among the pages checked');
  else {
    await forEach([search], {}, async (p, page) => {
      await open(page, p);
      await page.fill('#search-q', PHRASE.toUpperCase());
      const first = page.locator('#search-results li a').first();
      await first.waitFor({ timeout: 10_000 });
      const status = await page.locator('#search-status').innerText();
      if (!/^\d+ results? for /.test(status)) failures.push(`status line reads ${JSON.stringify(status)}`);
      await Promise.all([page.waitForURL((u) => u.hash.startsWith('#st-'), { timeout: 10_000 }), first.click()]);
      const landed = await page.evaluate(() => {
        const target = document.getElementById(location.hash.slice(1));
        return { hash: location.hash, path: location.pathname, text: target ? target.innerText : null };
      });
      log(`search for "${PHRASE}" landed on ${landed.path}${landed.hash}`);
      if (!landed.text) failures.push(`the first result leads to ${landed.hash}, which no element on ${landed.path} has`);
      else if (!landed.text.includes(PHRASE)) failures.push(`the first result's statement ${landed.hash} does not contain "${PHRASE}"`);
    }, { failures });
    // Folding that changes a text's length (a ligature, an ellipsis) must still
    // mark the words found, not give up on the whole result.
    await forEach([search], {}, async (p, page) => {
      const TITLE = 'Injected: the \ufb01nal words \u2026 after an ellipsis';
      await page.route('**/search-index.js', async (route) => {
        const response = await route.fetch();
        const extra = `\nwindow.explainerSearch.push(${JSON.stringify({ k: 'page', t: TITLE, p: '', x: 'x' })});`;
        await route.fulfill({ response, body: (await response.text()) + extra });
      });
      await open(page, p);
      await page.fill('#search-q', 'final after');
      const link = page.locator('#search-results li a', { hasText: 'Injected:' }).first();
      await link.waitFor({ timeout: 10_000 });
      const marks = await link.locator('mark').allInnerTexts();
      const expected = ['\ufb01nal', 'after'];
      if (JSON.stringify(marks) !== JSON.stringify(expected)) failures.push(`in "${TITLE}" the words marked are ${JSON.stringify(marks)}, not ${JSON.stringify(expected)}`);
      const shown = await link.innerText();
      if (shown !== TITLE) failures.push(`the result reads ${JSON.stringify(shown)}, not the entry's title`);
    }, { failures });
    await forEach([search], { javaScriptEnabled: false }, async (p, page) => {
      await open(page, p);
      if (!(await page.locator('#search-without-script').isVisible())) failures.push('without JavaScript the page does not say where to look');
      if (await page.locator('#search-results').isVisible()) failures.push('without JavaScript an empty results list shows');
    }, { failures });
  }
  finish('10. search', failures, 'search');
});
