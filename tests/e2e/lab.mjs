// Test helpers for the sound lab page (lab.html, one voice through an effect chain): open it
// in headless Chromium behind the project's server, and measure what its analyser hears.
import assert from 'node:assert/strict';
import { startServer } from '../../scripts/serve.mjs';
import { launch } from './browser.mjs';

/**
 * Serves dist/ (with COOP/COEP unless `isolate` is false), opens the page (after running
 * `init(initArg)` in it, if given; Chromium started with `browserArgs` too), and records console errors
 * and page errors from before navigation on. `close()` ends browser and server.
 */
export async function openLab({ isolate = true, init = null, initArg = undefined, path = 'lab.html', browserArgs = [] } = {}) {
  const { server, url } = await startServer({ port: 0, isolate });
  const context = await launch(browserArgs);
  const page = await context.newPage();
  if (init) await page.addInitScript(init, initArg);
  const consoleErrors = [];
  const pageErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  await page.goto(`${url}${path}`);
  const close = async () => {
    await context.close();
    await new Promise((resolve) => server.close(resolve));
  };
  return { page, consoleErrors, pageErrors, close };
}

/** The workstation (index.html) at 1400×900, once its engine is ready; as `openLab` otherwise. */
export async function openStudio(options = {}) {
  const session = await openLab({ path: '', ...options });
  await session.page.setViewportSize({ width: 1400, height: 900 });
  await session.page.waitForFunction(() => window.quaver.ready === true, null, { timeout: 60_000 });
  return session;
}

/** Waits for `seconds` of audio time, so the real-time context's clock decides, not ours. */
export async function waitAudio(page, seconds) {
  await page.evaluate(async (s) => {
    const { context: ctx } = window.quaver;
    const start = ctx.currentTime;
    while (ctx.currentTime - start < s) await new Promise((resolve) => setTimeout(resolve, 20));
  }, seconds);
}

/** Waits long enough that the analyser's whole window (fftSize frames) postdates a change. */
export async function waitForFreshWindow(page) {
  const seconds = await page.evaluate(() => window.quaver.analyser.fftSize / window.quaver.context.sampleRate);
  await waitAudio(page, seconds + 0.25);
}

export async function timeDomain(page) {
  return page.evaluate(() => {
    const { analyser, context: ctx } = window.quaver;
    const data = new Float32Array(analyser.fftSize);
    analyser.getFloatTimeDomainData(data);
    return { samples: Array.from(data), sampleRate: ctx.sampleRate };
  });
}

export async function spectrum(page) {
  return page.evaluate(() => {
    const { analyser, context: ctx } = window.quaver;
    const data = new Float32Array(analyser.frequencyBinCount);
    analyser.getFloatFrequencyData(data);
    return { db: Array.from(data), sampleRate: ctx.sampleRate, fftSize: analyser.fftSize };
  });
}

export function rms(samples) {
  let sum = 0;
  for (const v of samples) sum += v * v;
  return Math.sqrt(sum / samples.length);
}

/** Frequency from upward zero crossings, each located by linear interpolation. */
export function zeroCrossingHz(samples, sampleRate) {
  const crossings = [];
  for (let i = 1; i < samples.length; i += 1) {
    const [a, b] = [samples[i - 1], samples[i]];
    if (a < 0 && b >= 0) crossings.push(i - 1 + a / (a - b));
  }
  assert.ok(crossings.length > 10, `only ${crossings.length} upward zero crossings`);
  const span = crossings[crossings.length - 1] - crossings[0];
  return ((crossings.length - 1) / span) * sampleRate;
}

/** RMS and frequency of what the analyser holds now (a steady tone is expected). */
export async function measureTone(page) {
  const { samples, sampleRate } = await timeDomain(page);
  return { rms: rms(samples), hz: zeroCrossingHz(samples, sampleRate) };
}

/** Power (linear, summed over bins) of the analyser spectrum between two frequencies. */
export function bandPower({ db, sampleRate, fftSize }, fromHz, toHz) {
  let power = 0;
  for (let bin = 0; bin < db.length; bin += 1) {
    const hz = (bin * sampleRate) / fftSize;
    if (hz >= fromHz && hz < toHz && Number.isFinite(db[bin])) power += 10 ** (db[bin] / 10);
  }
  return power;
}

/**
 * Runs in the page: from now on the threads build's Worker answers every `job` message ('analyze'
 * or 'bounce') with an error, as a failed pool would. `window.RealWorker` keeps the real one.
 */
export function breakThreadsWorker(job) {
  const Real = window.RealWorker ?? window.Worker;
  window.RealWorker = Real;
  window.Worker = class extends Real {
    constructor(url, options) {
      super(url, options);
      if (!String(url).includes('threads/worker.js')) return;
      const post = this.postMessage.bind(this);
      this.postMessage = (message, transfer) => (message?.type === job
        ? setTimeout(() => this.onmessage({ data: { type: 'error', code: 'Internal', message: 'injected failure' } }))
        : post(message, transfer));
    }
  };
}
