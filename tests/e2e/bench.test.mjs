// The sound-design bench, used as a musician would: each source plays; effects are added,
// reordered, bypassed and removed while it plays, with controls made from the engine's
// descriptions; a dropped file plays and a corrupt one is refused; the spectrum, scope and
// meters show the engine's own output (no native AnalyserNode is ever made). Screenshots kept.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { wav } from '../../scripts/assets.mjs';
import { measureTone, openLab, rms, timeDomain, waitAudio, waitForFreshWindow } from './lab.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = path.join(root, 'test-results');

let page;
let consoleErrors;
let pageErrors;
let close;

before(async () => {
  ({ page, consoleErrors, pageErrors, close } = await openLab({
    init: () => {
      // Count native analysers: the page must not make any.
      const Native = window.AnalyserNode;
      window.nativeAnalysers = 0;
      window.AnalyserNode = class extends Native {
        constructor(...args) {
          super(...args);
          window.nativeAnalysers += 1;
        }
      };
      const create = BaseAudioContext.prototype.createAnalyser;
      BaseAudioContext.prototype.createAnalyser = function counted() {
        window.nativeAnalysers += 1;
        return create.call(this);
      };
    },
  }));
  await page.click('#play');
  await page.waitForFunction(() => window.quaver.playing === true);
});

after(async () => {
  await close?.();
});

async function shot(name) {
  mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, name);
  await page.screenshot({ path: file, fullPage: true });
  assert.ok(readFileSync(file).length > 10_000);
}

test('the output meters and scope show the engine playing', async () => {
  await waitAudio(page, 0.5);
  const shown = await page.evaluate(() => ({
    left: parseFloat(document.getElementById('meter-left').style.width),
    db: document.getElementById('meter-db').textContent,
    native: window.nativeAnalysers,
    quaver: window.quaver.analyser.kind,
  }));
  assert.ok(shown.left > 30, `left meter at ${shown.left}%`);
  assert.match(shown.db, /^-?\d+\.\d dB$/);
  assert.equal(shown.native, 0, 'no native AnalyserNode on the page');
  assert.equal(shown.quaver, 'analyser');
});

test('noise, a custom wave and the bundled sample each sound', async (t) => {
  await page.selectOption('#source', 'noise');
  await page.waitForFunction(() => window.quaver.voice?.kind === 'noise');
  await waitForFreshWindow(page);
  const noise = rms((await timeDomain(page)).samples);
  await page.selectOption('#source', 'oscillator');
  await page.selectOption('#waveform', 'hollow');
  await page.waitForFunction(() => window.quaver.voice?.kind === 'oscillator');
  await waitForFreshWindow(page);
  const organ = await measureTone(page);
  await page.selectOption('#source', 'sample');
  await page.check('#sample-loop');
  await page.waitForFunction(() => window.quaver.voice?.kind === 'buffer-source' && window.quaver.voice.loop);
  await waitForFreshWindow(page);
  const sample = rms((await timeDomain(page)).samples);
  t.diagnostic(`noise RMS ${noise.toFixed(3)}, hollow wave ${organ.hz.toFixed(1)} Hz RMS ${organ.rms.toFixed(3)}, sample RMS ${sample.toFixed(3)}`);
  assert.ok(noise > 0.01 && sample > 0.005, 'noise and sample sound');
  assert.ok(Math.abs(organ.hz - 220) < 1, `the custom wave plays at 220 Hz: ${organ.hz}`);
  await shot('bench-sources.png');
});

test('effects are added, reordered, bypassed and removed while it plays', async (t) => {
  await page.selectOption('#source', 'oscillator');
  await page.selectOption('#waveform', 'sawtooth');
  // Voices replaced by a source change are removed once their release is over.
  await waitAudio(page, 0.5);
  const baseline = await page.evaluate(() => window.quaver.engine.nodeCount);
  const kinds = ['delay', 'reverb', 'compressor', 'limiter', 'waveshaper', 'convolver'];
  for (const kind of kinds) {
    await page.selectOption('#effect-kind', kind);
    await page.click('#add-effect');
    await page.waitForFunction((k) => document.querySelector(`#effects li[data-device="${k}"]`), kind);
  }
  const controls = await page.evaluate(() => Array.from(document.querySelectorAll('#effects li')).map((li) => ({
    device: li.dataset.device,
    sliders: li.querySelectorAll('input[type=range]').length,
    selects: li.querySelectorAll('select').length,
  })));
  const described = await page.evaluate(() => Object.fromEntries(['reverb', 'compressor', 'limiter'].map((k) => [k, window.quaver.engine.kinds.get(k).params.length])));
  for (const kind of ['reverb', 'compressor', 'limiter']) {
    assert.equal(controls.find((c) => c.device === kind).sliders, described[kind], `${kind}: a slider per described parameter`);
  }
  assert.ok(controls.find((c) => c.device === 'waveshaper').selects >= 2, 'curve and oversample menus');
  // Each slider starts at its parameter's value, within the range the engine describes.
  const shown = await page.evaluate(() => Array.from(document.querySelectorAll('#effects li[data-device="reverb"] label output')).map((o) => o.textContent));
  assert.deepEqual(shown, ['0.50', '2.00 s', '0.40', '20.0 ms', '0.30'], 'reverb size, decay, damping, preDelay, mix');
  await waitForFreshWindow(page);
  const withAll = rms((await timeDomain(page)).samples);
  await waitAudio(page, 0.3);
  const meters = await page.evaluate(() => window.quaver.devices.map((d) => parseFloat(d.level.style.width)));
  t.diagnostic(`RMS with six effects ${withAll.toFixed(3)}; device meters ${meters.map((m) => m.toFixed(0)).join(', ')}%`);
  assert.ok(withAll > 0.01, 'still sounding through six effects');
  assert.ok(meters.every((m) => m > 0), 'every device meter moves');
  await shot('bench-effects.png');

  // Move the limiter first, bypass the waveshaper, then remove everything.
  await page.click('#effects li[data-device="limiter"] button[aria-label="Move up"]');
  await page.click('#effects li[data-device="limiter"] button[aria-label="Move up"]');
  const order = await page.evaluate(() => window.quaver.devices.map((d) => d.name));
  assert.deepEqual(order, ['delay', 'limiter', 'reverb', 'compressor', 'waveshaper', 'convolver']);
  await page.check('#effects li[data-device="waveshaper"] input.bypass');
  await waitForFreshWindow(page);
  assert.ok(rms((await timeDomain(page)).samples) > 0.01, 'still sounding after moving and bypassing');
  for (let i = 0; i < kinds.length; i += 1) await page.click('#effects li button[aria-label="Remove"]');
  await page.evaluate(() => window.quaver.engine.commit());
  const after = await page.evaluate(() => window.quaver.engine.nodeCount);
  assert.equal(after, baseline, `removing every device gives every node back (${after} nodes, ${baseline} before)`);
  await waitForFreshWindow(page);
  const dry = await measureTone(page);
  assert.ok(Math.abs(dry.hz - 220) < 1 && dry.rms > 0.05, `the dry voice plays on: ${dry.hz} Hz`);
  assert.deepEqual(await page.evaluate(() => window.quaver.engine.errors.map((e) => e.message)), []);
});

test('a dropped sound file plays, and a corrupt one is refused with the old sample kept', async (t) => {
  const dir = mkdirSync(path.join(tmpdir(), `quaver-${process.pid}`), { recursive: true }) ?? path.join(tmpdir(), `quaver-${process.pid}`);
  const good = path.join(dir, 'a880.wav');
  const sr = 48_000;
  writeFileSync(good, wav(sr, [Float32Array.from({ length: sr * 2 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 880 * i) / sr))]));
  const bad = path.join(dir, 'broken.wav');
  writeFileSync(bad, Buffer.from('RIFF1234WAVEfmt not really a wave file'));
  await page.selectOption('#source', 'sample');
  await page.setInputFiles('#sample-file', good);
  await page.waitForFunction(() => /a880\.wav/.test(document.getElementById('sample-name').textContent));
  await waitForFreshWindow(page);
  const tone = await measureTone(page);
  t.diagnostic(`dropped file plays at ${tone.hz.toFixed(1)} Hz`);
  assert.ok(Math.abs(tone.hz - 880) < 2, `${tone.hz} Hz`);
  await page.setInputFiles('#sample-file', bad);
  await page.waitForFunction(() => /Decode: broken\.wav could not be decoded/.test(document.getElementById('errors').textContent));
  assert.match(await page.locator('#sample-name').textContent(), /a880\.wav/, 'the previous sample is kept');
  await page.evaluate(() => { document.getElementById('errors').replaceChildren(); });
});

test('no console errors and no page errors during the whole session', () => {
  assert.deepEqual(consoleErrors.filter((m) => !/decod/i.test(m)), []);
  assert.deepEqual(pageErrors, []);
});
