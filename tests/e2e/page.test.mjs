// The workstation page, driven as a user would: controls in, sound measured at the native
// AnalyserNode that taps the engine's output. One browser for the whole file; the tests run
// in order and share the page (play → filter sweep → stop → bad input → screenshot).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bandPower, openLab, rms, spectrum, timeDomain, waitAudio, waitForFreshWindow, zeroCrossingHz } from './lab.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCREENSHOT = path.join(root, 'test-results', 'lab.png');

// The page's log sliders: position 0..1000 maps to min·(max/min)^(pos/1000) Hz. Computed
// here independently of www/src/ui/controls.js so a wrong mapping in the page shows up.
const LOG_SLIDERS = { frequency: [20, 5000], cutoff: [20, 20000] };

let page;
let consoleErrors;
let pageErrors;
let close;

before(async () => {
  ({ page, consoleErrors, pageErrors, close } = await openLab());
});

after(async () => {
  await close?.();
});

/** Moves a log slider to the position nearest `hz`; returns the Hz that position means. */
async function setLogSlider(id, hz) {
  const [min, max] = LOG_SLIDERS[id];
  const position = Math.round((1000 * Math.log(hz / min)) / Math.log(max / min));
  await page.evaluate(([sliderId, value]) => {
    const el = document.getElementById(sliderId);
    el.value = String(value);
    el.dispatchEvent(new Event('input'));
  }, [id, position]);
  return min * (max / min) ** (position / 1000);
}

/** The number shown in a slider's <output>, in Hz ("440.4 Hz", "2.00 kHz"). */
async function shownHz(id) {
  const text = await page.locator(`#${id}-out`).textContent();
  const match = /([\d.]+)\s*(k?)Hz/.exec(text);
  assert.ok(match, `#${id}-out shows "${text}"`);
  return Number(match[1]) * (match[2] ? 1000 : 1);
}

const toDb = (ratio) => 10 * Math.log10(ratio);

async function ensurePlaying() {
  if ((await page.locator('#play').getAttribute('aria-pressed')) !== 'true') await page.click('#play');
  await page.waitForFunction(() => window.quaver.playing && window.quaver.engine !== null);
}

test('loads with no console errors and no page errors', async () => {
  await page.waitForLoadState('load');
  assert.equal(await page.title(), 'Quaver sound lab');
  assert.match(await page.locator('#status').textContent(), /not started/);
  assert.equal(await page.locator('#stop').isDisabled(), true);
  // The sliders start at their data-value defaults, shown through the log mapping.
  assert.ok(Math.abs((await shownHz('frequency')) / 220 - 1) < 0.01);
  assert.ok(Math.abs((await shownHz('cutoff')) / 2000 - 1) < 0.01);
  assert.equal(await page.evaluate(() => window.crossOriginIsolated), true, 'server sends COOP/COEP');
  assert.deepEqual(consoleErrors, []);
  assert.deepEqual(pageErrors, []);
});

test('a 440 Hz sine plays at 440 Hz', { timeout: 30_000 }, async (t) => {
  await page.selectOption('#waveform', 'sine');
  const target = await setLogSlider('frequency', 440);
  assert.ok(Math.abs((await shownHz('frequency')) - target) < 0.1, 'the <output> shows the slider frequency');
  await page.click('#play');
  await page.waitForFunction(() => window.quaver.playing && window.quaver.engine !== null, null, { timeout: 20_000 });
  await waitAudio(page, 1);

  const { samples, sampleRate } = await timeDomain(page);
  const level = rms(samples);
  assert.ok(level > 0.05, `RMS ${level}: silent or nearly so`);
  const measured = zeroCrossingHz(samples, sampleRate);
  t.diagnostic(`measured ${measured.toFixed(3)} Hz (slider ${target.toFixed(3)} Hz), RMS ${level.toFixed(4)}, ${sampleRate} Hz`);
  assert.ok(Math.abs(measured / 440 - 1) <= 0.01, `measured ${measured.toFixed(2)} Hz, want 440 Hz ±1% (slider gives ${target.toFixed(2)})`);

  await page.waitForFunction(() => /playing/.test(document.getElementById('status').textContent));
  const status = await page.locator('#status').textContent();
  assert.match(status, /playing/);
  assert.ok(status.includes(`${sampleRate} Hz`), `status "${status}" names the sample rate ${sampleRate}`);
});

test('moving the cutoff changes the measured spectrum', { timeout: 30_000 }, async (t) => {
  await ensurePlaying();
  await page.selectOption('#waveform', 'sawtooth');
  await page.selectOption('#filter-type', 'lowpass');
  await setLogSlider('frequency', 220);

  await setLogSlider('cutoff', 15000);
  await waitForFreshWindow(page);
  const open = await spectrum(page);
  await setLogSlider('cutoff', 300);
  await waitForFreshWindow(page);
  const closed = await spectrum(page);

  const highDrop = toDb(bandPower(open, 3000, Infinity) / bandPower(closed, 3000, Infinity));
  const lowDrop = toDb(bandPower(open, 0, 400) / bandPower(closed, 0, 400));
  t.diagnostic(`cutoff 15 kHz → 300 Hz: > 3 kHz fell ${highDrop.toFixed(1)} dB, < 400 Hz fell ${lowDrop.toFixed(1)} dB`);
  assert.ok(highDrop >= 20, `energy above 3 kHz fell by only ${highDrop.toFixed(1)} dB (want ≥ 20)`);
  assert.ok(lowDrop <= 6, `energy below 400 Hz fell by ${lowDrop.toFixed(1)} dB (want ≤ 6)`);
});

test('Stop silences it', { timeout: 30_000 }, async (t) => {
  await ensurePlaying();
  await page.click('#stop');
  // The whole analyser window must postdate the ~15 ms release for this to mean anything.
  await waitForFreshWindow(page);
  const { samples } = await timeDomain(page);
  const level = rms(samples);
  t.diagnostic(`RMS after Stop ${level.toExponential(2)}`);
  assert.ok(level < 1e-4, `RMS ${level} after Stop`);
  await page.waitForFunction(() => /stopped/.test(document.getElementById('status').textContent));
});

test('bad input reaches the page as a clear error and playing continues', { timeout: 30_000 }, async (t) => {
  const outcome = await page.evaluate(async () => {
    const { engine, nodes } = window.quaver;
    const describe = (e) => ({ name: e?.name, code: e?.code, message: e?.message });
    const result = { before: nodes.filter.frequency.value };
    nodes.filter.frequency.value = NaN;
    try { await engine.commit(); result.nan = 'resolved'; } catch (e) { result.nan = describe(e); }
    result.after = nodes.filter.frequency.value;
    // The chain is filter → volume, so volume → filter closes a cycle.
    nodes.volume.connect(nodes.filter);
    try { await engine.commit(); result.cycle = 'resolved'; } catch (e) { result.cycle = describe(e); }
    return result;
  });
  assert.equal(outcome.nan.name, 'QuaverError', `NaN: ${JSON.stringify(outcome.nan)}`);
  assert.equal(outcome.nan.code, 'NonFinite');
  assert.equal(outcome.after, outcome.before, 'a refused value changes nothing');
  assert.equal(outcome.cycle.name, 'QuaverError', `cycle: ${JSON.stringify(outcome.cycle)}`);
  assert.equal(outcome.cycle.code, 'Cycle');

  const items = await page.locator('#errors li').allTextContents();
  t.diagnostic(`#errors: ${JSON.stringify(items)}`);
  assert.equal(items.length, 2, `#errors lists ${JSON.stringify(items)}`);
  assert.match(items[0], /^NonFinite: \S/);
  assert.match(items[1], /^Cycle: \S/);

  await page.click('#play');
  await page.waitForFunction(() => window.quaver.playing);
  await waitForFreshWindow(page);
  const level = rms((await timeDomain(page)).samples);
  t.diagnostic(`RMS after playing again ${level.toFixed(4)}`);
  assert.ok(level > 0.01, `RMS ${level}: the engine stopped rendering after refusing bad input`);
  await page.waitForFunction(() => /playing · .* · 2 errors/.test(document.getElementById('status').textContent));
});

test('screenshot of the workstation while playing', { timeout: 30_000 }, async () => {
  await ensurePlaying();
  await waitAudio(page, 0.3);
  // The spectrum canvas must actually be drawing: count pixels of its amber trace (#f0b429).
  const tracePixels = await page.evaluate(() => {
    const canvas = document.getElementById('spectrum');
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let count = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] > 180 && data[i + 1] > 120 && data[i + 2] < 110) count += 1;
    return count;
  });
  assert.ok(tracePixels > 200, `only ${tracePixels} trace pixels on the spectrum canvas`);
  mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  const png = readFileSync(SCREENSHOT);
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  assert.ok(png.length > 10_000, `screenshot is only ${png.length} bytes`);
});

test('no console errors and no page errors during the whole session', () => {
  assert.deepEqual(consoleErrors, []);
  assert.deepEqual(pageErrors, []);
});
