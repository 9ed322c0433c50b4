// The explainer binary under test, and small process helpers for the tests that run it
// (serve.test.mjs, file-url.test.mjs).
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, TESTS_DIR } from './site.mjs';

/** $EXPLAINER_BIN (relative paths are taken from tests/browser), or ../../target/debug/explainer. */
export const EXPLAINER_BIN = path.resolve(TESTS_DIR, process.env.EXPLAINER_BIN || path.join('..', '..', 'target', 'debug', 'explainer'));

/** The binary's path; throws a clear error when it is missing. */
export function explainerBin() {
  let ok = false;
  try { ok = statSync(EXPLAINER_BIN).isFile(); } catch { /* missing */ }
  if (!ok) {
    const why = process.env.EXPLAINER_BIN ? `EXPLAINER_BIN=${process.env.EXPLAINER_BIN}` : 'the default (EXPLAINER_BIN is not set)';
    throw new Error(`the explainer binary ${EXPLAINER_BIN} (${why}) does not exist: build it with \`cd ${REPO_ROOT} && cargo build\`, or set EXPLAINER_BIN`);
  }
  return EXPLAINER_BIN;
}

/** The site sources of the repository (what `explainer serve`/`build` read). */
export const SITE_SOURCES = ['config.toml', 'content', 'templates', 'static'];

/** A temp dir holding a copy of the repository's site sources. */
export function copySite(prefix = 'explainer-site-') {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  for (const name of SITE_SOURCES) {
    const from = path.join(REPO_ROOT, name);
    if (!existsSync(from)) throw new Error(`${from} is missing: the repository site needs ${SITE_SOURCES.join(', ')}`);
    cpSync(from, path.join(dir, name), { recursive: true });
  }
  return dir;
}

export const removeDir = (dir) => { if (dir) rmSync(dir, { recursive: true, force: true }); };

/** A TCP port that was free a moment ago (listen on 0, read the port, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Run `explainer <args>` to completion; resolves { code, stdout, stderr }.
 * Rejects only if it cannot be started or outlives `timeout` ms (then it is killed).
 */
export function runExplainer(args, { timeout = 60_000 } = {}) {
  const bin = explainerBin();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`explainer ${args.join(' ')} did not finish in ${timeout} ms\n${stderr}`));
    }, timeout);
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

/**
 * Start `explainer serve --root ROOT --port PORT` and wait for its
 * "Serving … at http://127.0.0.1:PORT/…" line on stdout.
 * Resolves { url, child, output(), stop() }; stop() sends SIGTERM, then SIGKILL after 3 s.
 * The server is also killed if this Node process exits first.
 */
export async function startServe({ root, port, timeout = 30_000, log = () => {} }) {
  const bin = explainerBin();
  const args = ['serve', '--root', root, '--port', String(port)];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const killOnExit = () => { try { child.kill('SIGKILL'); } catch { /* gone */ } };
  process.once('exit', killOnExit);
  let exited = null;
  const closed = new Promise((resolve) => child.once('close', (code, signal) => { exited = { code, signal }; resolve(exited); }));

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (exited) return exited;
    child.kill('SIGTERM');
    const timer = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, 3000);
    const r = await closed;
    clearTimeout(timer);
    return r;
  };
  const output = () => `--- stdout\n${stdout}--- stderr\n${stderr}`;

  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`no "Serving … at http://…" line from \`explainer ${args.join(' ')}\` within ${timeout} ms`)), timeout);
    function fail(e) { clearTimeout(timer); stop().finally(() => reject(new Error(`${e.message}\n${output()}`))); }
    child.once('error', (e) => fail(new Error(`cannot start ${bin}: ${e.message}`)));
    child.once('close', (code, signal) => fail(new Error(`\`explainer ${args.join(' ')}\` exited (${signal || `code ${code}`}) before serving`)));
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
      const m = /^Serving .* at (http:\/\/127\.0\.0\.1:(\d+)\/\S*)/m.exec(stdout);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
      for (const line of d.split('\n')) if (line.trim()) log(`serve stderr: ${line}`);
    });
  });
  return { url, child, output, stop, exited: () => exited };
}
