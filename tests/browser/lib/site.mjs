// Where the built site lives, what its pages are, and how its URLs map to files.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const TESTS_DIR = path.resolve(here, '..');
export const REPO_ROOT = path.resolve(TESTS_DIR, '..', '..');

export const SITE_DIR = path.resolve(TESTS_DIR, process.env.SITE_DIR || path.join('..', '..', 'public'));
export const ARCHIVE = process.env.ARCHIVE
  ? path.resolve(process.cwd(), process.env.ARCHIVE)
  : path.join(REPO_ROOT, 'content', 'sources', 'bbc-2023-05-04.txt');
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'target', 'e2e-screenshots');

/** Parse the <loc> URLs of sitemap.xml (a plain urlset). */
export function readSitemap(siteDir = SITE_DIR) {
  const file = path.join(siteDir, 'sitemap.xml');
  if (!existsSync(file)) {
    throw new Error(`no sitemap at ${file}: build the site first (cd ${REPO_ROOT} && cargo run -- build), or set SITE_DIR`);
  }
  const xml = readFileSync(file, 'utf8');
  if (/<sitemapindex[\s>]/.test(xml)) {
    throw new Error(`${file} is a sitemap index; this suite expects a plain <urlset>`);
  }
  const locs = [...xml.matchAll(/<loc>\s*([^<]+?)\s*<\/loc>/g)].map((m) => decodeXml(m[1]));
  if (locs.length === 0) throw new Error(`${file} lists no <loc> URLs`);
  return locs.map((l) => new URL(l));
}

function decodeXml(s) {
  return s
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'").replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&amp;/g, '&');
}

/** The file a URL path (already stripped of the prefix) resolves to, or null. */
export function fileFor(siteDir, relPath) {
  let rel;
  try { rel = decodeURIComponent(relPath); } catch { return null; }
  const full = path.resolve(siteDir, '.' + path.posix.normalize('/' + rel));
  if (full !== siteDir && !full.startsWith(siteDir + path.sep)) return null; // traversal
  let st;
  try { st = statSync(full); } catch { return null; }
  if (st.isDirectory()) {
    const idx = path.join(full, 'index.html');
    return existsSync(idx) ? { file: idx, dir: true } : null;
  }
  return st.isFile() ? { file: full, dir: false } : null;
}

/**
 * The path prefix the site is published under (base_url's path, e.g. "/explainer/").
 * Start from the longest directory prefix common to every sitemap URL and walk up
 * until every URL maps to a file in the site folder.
 */
export function sitePrefix(urls, siteDir = SITE_DIR) {
  const dirs = urls.map((u) => u.pathname.replace(/[^/]*$/, ''));
  let prefix = dirs.reduce((a, b) => {
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    return a.slice(0, a.lastIndexOf('/', i - 1) + 1);
  });
  for (;;) {
    const missing = urls.filter((u) => !fileFor(siteDir, u.pathname.slice(prefix.length)));
    if (missing.length === 0) return prefix;
    if (prefix === '/') {
      throw new Error(`sitemap URLs do not map to files in ${siteDir}: ${missing.slice(0, 5).map(String).join(', ')}`);
    }
    prefix = prefix.slice(0, prefix.lastIndexOf('/', prefix.length - 2) + 1);
  }
}

/** Every HTML page of the output but 404.html, as URL paths under "/" ("/", "/parties/russia/"). */
export function htmlPages(siteDir = SITE_DIR) {
  const out = [];
  const walk = (dir, rel) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory()) walk(path.join(dir, e.name), `${rel}${e.name}/`);
      else if (e.name === 'index.html') out.push(`/${rel}`);
      else if (/\.html?$/i.test(e.name) && !(rel === '' && e.name === '404.html')) out.push(`/${rel}${e.name}`);
    }
  };
  walk(siteDir, '');
  return out;
}

/**
 * The pages of the built site and the base URL it was built for. A build with a base_url
 * lists its pages in sitemap.xml; a default build (no base_url: relative links, no sitemap)
 * is published under "/" and its pages are the HTML files it wrote.
 * @returns {{ urls: URL[], prefix: string, siteUrl: string | null }}
 */
export function sitePages(siteDir = SITE_DIR) {
  if (existsSync(path.join(siteDir, 'sitemap.xml'))) {
    const urls = readSitemap(siteDir);
    const prefix = sitePrefix(urls, siteDir);
    return { urls, prefix, siteUrl: urls[0].origin + prefix };
  }
  const pages = htmlPages(siteDir);
  if (!pages.length) throw new Error(`no sitemap.xml and no HTML pages in ${siteDir}: build the site first (cd ${REPO_ROOT} && cargo run -- build), or set SITE_DIR`);
  return { urls: pages.map((p) => new URL(p, 'http://site.invalid')), prefix: '/', siteUrl: null };
}

/** The web addresses the content records for its sources (`url = "…"` in front matter): the only external links a page may carry. */
export function recordedSourceUrls(contentDir = path.join(REPO_ROOT, 'content')) {
  const urls = new Set();
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.md')) {
        for (const m of readFileSync(full, 'utf8').matchAll(/^\s*url\s*[=:]\s*["']([^"']+)["']/gm)) urls.add(m[1]);
      }
    }
  };
  walk(contentDir);
  return urls;
}
