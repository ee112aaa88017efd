// The page must work without cross-origin isolation (isolation is an upgrade, not a
// requirement): served without COOP/COEP, Play still sounds at the chosen frequency.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { measureTone, openLab, waitForFreshWindow } from './lab.mjs';

let page;
let consoleErrors;
let pageErrors;
let close;

before(async () => {
  ({ page, consoleErrors, pageErrors, close } = await openLab({ isolate: false }));
});

after(async () => {
  await close?.();
});

test('plays without cross-origin isolation', async () => {
  assert.equal(await page.evaluate(() => window.crossOriginIsolated), false, 'server sent no COOP/COEP');
  await page.selectOption('#waveform', 'sine');
  await page.click('#play');
  await page.waitForFunction(() => window.quaver.playing === true);
  await waitForFreshWindow(page);
  const { rms, hz } = await measureTone(page);
  assert.ok(rms > 0.05, `RMS ${rms}`);
  // The frequency slider starts at 220 Hz.
  assert.ok(Math.abs(hz - 220) / 220 < 0.01, `measured ${hz} Hz`);
  assert.match(await page.textContent('#status'), /isolation off/);
  assert.deepEqual([...consoleErrors, ...pageErrors], []);
});
