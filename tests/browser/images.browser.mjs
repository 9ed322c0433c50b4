// Images in a real browser, over a site tests/browser.rs builds from the starter
// (`explainer new`) with a page of large pictures (SITE_DIR): on every page, at
// 360 px wide, no request leaves the machine or fails, nothing scrolls sideways,
// axe-core finds no WCAG 2.2 A/AA violation, and every picture loads, from a
// copy its srcset offers (a WebP one where the page offers WebP), with the
// width and height the page gives it. Run with `node --test images.browser.mjs`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AxeBuilder } from '@axe-core/playwright';
import { launchBrowser, isLocalUrl } from './lib/browser.mjs';
import { startSite } from './lib/serve.mjs';

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
let browser;
let site;

before(async () => {
  browser = await launchBrowser();
  site = await startSite();
}, { timeout: 90_000 });

after(async () => {
  await browser?.close();
  await site?.close();
});

test('pictures: local only, no sideways scrolling at 360 px, axe clean, srcset copies load', { timeout: 300_000 }, async () => {
  const failures = [];
  let pictures = 0;
  // The 404 page (served with status 404, so the browser logs an error) shows no picture.
  const pages = site.pages.filter((p) => p.status === 200);
  for (const p of pages) {
    const ctx = await browser.newContext({ viewport: { width: 360, height: 740 } });
    await ctx.route((url) => !isLocalUrl(url.href), (route) => route.abort('blockedbyclient'));
    const page = await ctx.newPage();
    const problems = [];
    page.on('request', (r) => { if (!isLocalUrl(r.url())) problems.push(`request off the machine: ${r.url()}`); });
    page.on('requestfailed', (r) => problems.push(`failed request: ${r.url()}`));
    page.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`); });
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
    await page.goto(p.url, { waitUntil: 'load' });
    // Lazy pictures load as they come into view.
    for (const img of await page.locator('img').all()) {
      await img.scrollIntoViewIfNeeded();
      await img.evaluate((el) => el.complete || new Promise((ok) => { el.onload = ok; el.onerror = ok; }));
    }
    await page.evaluate(() => window.scrollTo(0, 0));
    const r = await page.evaluate(() => ({
      iw: window.innerWidth,
      sw: document.documentElement.scrollWidth,
      imgs: [...document.querySelectorAll('img')].map((el) => ({
        src: el.getAttribute('src'),
        current: el.currentSrc,
        natural: el.naturalWidth,
        width: el.getAttribute('width'),
        height: el.getAttribute('height'),
        srcset: el.srcset,
        webp: el.parentElement.tagName === 'PICTURE' ? el.parentElement.querySelector('source').srcset : '',
        shown: el.getBoundingClientRect().width,
      })),
    }));
    if (r.sw > r.iw) problems.push(`scrollWidth ${r.sw}px > innerWidth ${r.iw}px`);
    for (const img of r.imgs) {
      pictures++;
      if (img.natural === 0) problems.push(`${img.src} did not load`);
      if (!img.width || !img.height) problems.push(`${img.src} has no width and height`);
      if (img.shown > r.iw) problems.push(`${img.src} is ${img.shown}px wide`);
      const offered = img.webp || img.srcset;
      if (offered) {
        const urls = offered.split(',').map((c) => new URL(c.trim().split(/\s+/)[0], p.url).href);
        if (!urls.includes(img.current)) problems.push(`${img.src} shows ${img.current}, not one of its srcset copies ${urls.join(' ')}`);
        if (img.webp && !img.current.endsWith('.webp')) problems.push(`${img.src} offers WebP but shows ${img.current}`);
      }
    }
    const axe = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
    for (const v of axe.violations) {
      problems.push(`axe ${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(' | ')} — ${v.help}`);
    }
    if (problems.length) failures.push(`${p.name} (${p.url}):\n    ${problems.join('\n    ')}`);
    await ctx.close();
  }
  console.log(`[images] ${pages.length} pages, ${pictures} pictures checked at 360 px`);
  assert.ok(pictures >= 3, `expected the built site to show at least 3 pictures, saw ${pictures}`);
  assert.deepEqual(failures, [], `\n  ${failures.join('\n  ')}`);
});
