// Launch Debian's chromium through playwright-core (never a downloaded browser).
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    const where = process.env.CI === 'true' ? 'CI' : 'this machine';
    throw new Error(`${CHROMIUM} not found on ${where}: install chromium: apt-get install -y chromium`);
  }
  // chromium.launch runs the browser with a fresh temporary profile (--user-data-dir in a
  // new temp dir, removed on close); every test context is a separate incognito-like context.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** Is this request URL allowed (the local server, or an inline data:/blob: URL)? */
export function isLocalUrl(u) {
  let url;
  try { url = new URL(u); } catch { return false; }
  if (url.protocol === 'data:' || url.protocol === 'blob:' || u === 'about:blank') return true;
  return url.hostname === '127.0.0.1';
}
