// A bilingual site made with `explainer new` (English, and French under /fr/) in a real
// browser: every page passes axe (WCAG 2.2 A/AA, light and dark), a translated page and its
// original each carry a language switcher (a list of links with hreflang and lang, the
// current one marked aria-current), and a quotation translated into French is labelled as
// ours and shows the original words, marked as English.
// Run: cd tests/browser && npm test   (EXPLAINER_BIN defaults to ../../target/debug/explainer)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { launchBrowser } from './lib/browser.mjs';
import { explainerBin, removeDir, runExplainer } from './lib/explainer.mjs';
import { htmlPages } from './lib/site.mjs';

const log = (...a) => console.log('[multilingual]', ...a);
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const QUOTE_EN = 'The bridge has been closed as a precaution while engineers inspect the railings and the deck.';
const QUOTE_FR = 'Le pont a été fermé par précaution pendant que des ingénieurs inspectent les garde-corps et le tablier.';

let tmp;
let siteDir;
let browser;

async function explainer(args) {
  const r = await runExplainer(args);
  if (r.code !== 0) throw new Error(`\`explainer ${args.join(' ')}\` failed (${r.signal || `exit code ${r.code}`}):\n${r.stderr}${r.stdout}`);
}

before(async () => {
  explainerBin();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'explainer-multilingual-'));
  const root = path.join(tmp, 'site');
  siteDir = path.join(tmp, 'public');
  await explainer(['new', root]);
  appendFileSync(path.join(root, 'config.toml'), '\n[languages.fr]\ntitle = "Incident d’exemple, déclaration par déclaration"\n');
  // The council's page in French: its statement is our translation, checked through its original.
  const council = readFileSync(path.join(root, 'content/parties/council.md'), 'utf8')
    .replace('title = "Exampletown Council"', 'title = "Le conseil d’Exampletown"')
    .replaceAll('id = "council-', 'id = "fr-council-')
    .replace(`text = "${QUOTE_EN}"`, `text = "${QUOTE_FR}"\noriginal = "${QUOTE_EN}"`);
  writeFileSync(path.join(root, 'content/parties/council.fr.md'), council);
  writeFileSync(path.join(root, 'content/parties/_index.fr.md'), '+++\ntitle = "Les parties"\nsort_by = "weight"\npage_template = "party.html"\n+++\nQui a dit quoi.\n');
  writeFileSync(path.join(root, 'content/_index.fr.md'), '+++\ntitle = "Exampletown ferme la passerelle du Vieux Moulin"\n+++\nContenu d’exemple.\n');
  await explainer(['build', '--root', root, '-o', siteDir]);
  browser = await launchBrowser();
}, { timeout: 90_000 });

after(async () => {
  await browser?.close().catch(() => {});
  removeDir(tmp);
});

test('a bilingual starter site: axe passes on every page, light and dark; switcher and translated quotation as the reader meets them', { timeout: 120_000 }, async () => {
  const pages = htmlPages(siteDir);
  assert.ok(pages.includes('/fr/parties/council/'), `no French council page among ${pages.join(', ')}`);
  const failures = [];
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await ctx.newPage();
    for (const p of pages) {
      await page.goto(pathToFileURL(path.join(siteDir, p.endsWith('/') ? `${p}index.html` : p)).href);
      for (const scheme of ['light', 'dark']) {
        await page.emulateMedia({ colorScheme: scheme });
        const res = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
        for (const v of res.violations) failures.push(`[${scheme}] ${v.id} on ${p}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')} — ${v.help}`);
      }
    }
    await page.goto(pathToFileURL(path.join(siteDir, 'fr/parties/council/index.html')).href);
    assert.equal(await page.getAttribute('html', 'lang'), 'fr');
    const switcher = page.getByRole('navigation', { name: 'Languages' });
    const links = await switcher.getByRole('link').evaluateAll((as) => as.map((a) => [a.getAttribute('hreflang'), a.getAttribute('lang'), a.getAttribute('aria-current'), a.textContent]));
    assert.deepEqual(links, [['en', 'en', null, 'Exampletown Council'], ['fr', 'fr', 'page', 'Le conseil d’Exampletown']]);
    const figure = page.locator('figure.quote--translated');
    assert.equal(await figure.locator('blockquote').innerText(), QUOTE_FR);
    assert.match(await figure.locator('figcaption').innerText(), /notre traduction/);
    assert.equal(await figure.locator('.quote__original').getAttribute('lang'), 'en');
    assert.match(await figure.locator('.quote__original').innerText(), new RegExp(QUOTE_EN.replace(/[.]/g, '\\.')));
    await switcher.getByRole('link', { name: 'Exampletown Council' }).click();
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await page.locator('figure.quote--translated').count(), 0, 'the English page quotes verbatim');
  } finally {
    await ctx.close();
  }
  log(`axe on ${pages.length} pages × light/dark: ${failures.length} violations`);
  assert.deepEqual(failures, [], `axe violations:\n  ${failures.join('\n  ')}`);
});
