// The page must work without cross-origin isolation (isolation is an upgrade, not a
// requirement): served without COOP/COEP, Play still sounds at the chosen frequency.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer } from '../../scripts/serve.mjs';
import { launch } from './browser.mjs';

let server;
let context;
let page;
const errors = [];

before(async () => {
  const started = await startServer({ port: 0, isolate: false });
  server = started.server;
  context = await launch();
  page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(started.url);
});

after(async () => {
  await context?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
});

test('plays without cross-origin isolation', async () => {
  assert.equal(await page.evaluate(() => window.crossOriginIsolated), false, 'server sent no COOP/COEP');
  await page.selectOption('#waveform', 'sine');
  await page.click('#play');
  await page.waitForFunction(() => window.quaver.playing === true);
  await page.waitForTimeout(1000);
  const { rms, hz } = await page.evaluate(() => {
    const { analyser, context: ctx } = window.quaver;
    const data = new Float32Array(analyser.fftSize);
    analyser.getFloatTimeDomainData(data);
    const crossings = [];
    for (let i = 1; i < data.length; i += 1) {
      if (data[i - 1] < 0 && data[i] >= 0) crossings.push(i - 1 + data[i - 1] / (data[i - 1] - data[i]));
    }
    const seconds = (crossings[crossings.length - 1] - crossings[0]) / ctx.sampleRate;
    return { rms: Math.sqrt(data.reduce((s, v) => s + v * v, 0) / data.length), hz: (crossings.length - 1) / seconds };
  });
  assert.ok(rms > 0.05, `RMS ${rms}`);
  // The frequency slider starts at 220 Hz.
  assert.ok(Math.abs(hz - 220) / 220 < 0.01, `measured ${hz} Hz`);
  assert.match(await page.textContent('#status'), /isolation off/);
  assert.deepEqual(errors, []);
});
