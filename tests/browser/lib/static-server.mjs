// A tiny static file server for the built site, mounted under the base_url path prefix.
import http from 'node:http';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileFor } from './site.mjs';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json', '.xml': 'application/xml', '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif',
  '.webp': 'image/webp', '.avif': 'image/avif', '.ico': 'image/x-icon',
  '.woff': 'font/woff', '.woff2': 'font/woff2', '.ttf': 'font/ttf', '.otf': 'font/otf',
  '.pdf': 'application/pdf', '.webmanifest': 'application/manifest+json', '.map': 'application/json',
};

/**
 * Serve `siteDir` at http://127.0.0.1:<random port><prefix>.
 * Directories get index.html (a directory URL without the trailing slash is redirected),
 * anything else missing gets 404.html with status 404.
 *
 * `siteUrl` is the published base URL (e.g. "https://example.org/explainer/"). A site built
 * with absolute links points every page, stylesheet and citation at it; in text files
 * (HTML, CSS, JS, XML, JSON) it is rewritten to this server's own base URL, as a preview
 * built with `--base-url http://127.0.0.1:PORT/…` would be. Absolute URLs outside the
 * base (other hosts, or other paths of the same host) are left alone.
 * @returns {Promise<{ origin: string, close: () => Promise<void> }>}
 */
export async function startStaticServer({ siteDir, prefix, siteUrl }) {
  const notFound = path.join(siteDir, '404.html');
  let localUrl = null; // set once the port is known
  const REWRITE = /\.(html?|css|m?js|xml|json|webmanifest|txt)$/i;
  const server = http.createServer((req, res) => {
    const send = (status, file, headers = {}) => {
      const type = (file && TYPES[path.extname(file).toLowerCase()]) || 'application/octet-stream';
      if (file && siteUrl && localUrl && siteUrl !== localUrl && REWRITE.test(file)) {
        let body;
        try { body = readFileSync(file, 'utf8').replaceAll(siteUrl, localUrl); } catch { return res.destroy(); }
        res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
        return res.end(req.method === 'HEAD' ? undefined : body);
      }
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
      if (req.method === 'HEAD' || !file) return res.end();
      createReadStream(file).on('error', () => res.destroy()).pipe(res);
    };
    const send404 = () => (existsSync(notFound)
      ? send(404, notFound)
      : (res.writeHead(404, { 'content-type': 'text/plain' }), res.end('404 Not Found\n')));

    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, null, { allow: 'GET, HEAD' });
    const url = new URL(req.url, 'http://127.0.0.1');
    if (!url.pathname.startsWith(prefix)) {
      if (url.pathname + '/' === prefix) return send(301, null, { location: prefix + url.search });
      return send404();
    }
    const hit = fileFor(siteDir, url.pathname.slice(prefix.length));
    if (!hit) return send404();
    if (hit.dir && !url.pathname.endsWith('/')) return send(301, null, { location: url.pathname + '/' + url.search });
    return send(200, hit.file);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  localUrl = `http://127.0.0.1:${port}${prefix}`;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}
