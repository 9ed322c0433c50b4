// Make the built site reachable over HTTP on 127.0.0.1 and list its pages.
// The way it is served is swappable: today a built-in static server over SITE_DIR;
// a mode that runs `explainer serve` instead can be added here without touching the checks.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { SITE_DIR, sitePages } from './site.mjs';
import { startStaticServer } from './static-server.mjs';

export const NOT_FOUND_SLUG = 'e2e-no-such-page/';

/**
 * @returns {Promise<{
 *   mode: string, siteUrl: string, origin: string, base: string, prefix: string, siteDir: string,
 *   pages: { name: string, url: string, status: number }[], close: () => Promise<void>
 * }>}
 */
export async function startSite() {
  const siteDir = SITE_DIR;
  // With a sitemap: the published base URL as it spells it (scheme, host and path
  // prefix). Without one (a default build, relative links): no base URL, prefix "/".
  const { urls: sitemap, prefix, siteUrl } = sitePages(siteDir);
  if (!existsSync(path.join(siteDir, '404.html'))) {
    throw new Error(`${path.join(siteDir, '404.html')} is missing: the site must have a 404 page`);
  }
  const server = await startStaticServer({ siteDir, prefix, siteUrl });
  const base = server.origin + prefix;
  const seen = new Set();
  const pages = [];
  for (const u of sitemap) {
    const url = server.origin + u.pathname + u.search;
    if (seen.has(url)) continue;
    seen.add(url);
    pages.push({ name: u.pathname, url, status: 200 });
  }
  // The 404 page, as a visitor meets it: served for a missing URL, with status 404. A build
  // without base_url links relative to the site root, so its 404 page works for a missing
  // address at the top level only (docs/hosting.md): that is where it is asked for then.
  const missing = siteUrl ? NOT_FOUND_SLUG : NOT_FOUND_SLUG.replace(/\/$/, '');
  pages.push({ name: '404.html', url: base + missing, status: 404 });
  return { mode: 'static', siteUrl, origin: server.origin, base, prefix, siteDir, pages, close: server.close };
}
