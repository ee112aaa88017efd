// What the browser benchmarks share: the benchmark page opened in headless Chromium behind the
// project's server (cross-origin isolated), and the run's metadata for their reports.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './serve.mjs';
import { launch } from '../tests/e2e/browser.mjs';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function git(args) {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** Serves the project, opens `benches/browser/` and waits for it; page errors are collected. */
export async function openBenchPage(browserArgs = []) {
  const { server, url } = await startServer({ dir: root, port: 0, isolate: true });
  const context = await launch(browserArgs);
  const close = async () => {
    await context.close();
    server.close();
  };
  try {
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
    await page.goto(`${url}benches/browser/index.html`);
    await page.waitForFunction(() => window.benchReady === true, null, { timeout: 30_000 });
    return { page, pageErrors, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** When, on what code, browser and machine a run was made. */
export async function runMeta(page) {
  return {
    date: new Date().toISOString(),
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirty: git(['status', '--porcelain', '--', 'src', 'www', 'Cargo.toml', 'Cargo.lock']) !== '',
    browser: await page.evaluate(() => navigator.userAgent),
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    load_average_start: os.loadavg(),
  };
}

/** The report's first line after its title: date, commit, browser, machine, load. */
export function describeRun(meta) {
  const browser = meta.browser.match(/(Headless)?Chrome\/[\d.]+/)?.[0] ?? meta.browser;
  const load = meta.load_average_start.map((l) => l.toFixed(1)).join(' ');
  return `${meta.date} (commit ${meta.commit}${meta.dirty ? ', engine sources modified' : ''}), ${browser}, ${meta.cpus} × ${meta.cpu}, load ${load}`;
}
