// The engine inside the real page under structural load: growing the graph by hundreds of
// nodes while a tone plays makes the worklet's wasm memory grow, which detaches every view
// processor.js holds on it; the tone must carry on unchanged, and removal must work too.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { measureTone, openLab, waitForFreshWindow } from './lab.mjs';

let page;
let consoleErrors;
let pageErrors;
let close;

before(async () => {
  ({ page, consoleErrors, pageErrors, close } = await openLab());
  await page.selectOption('#waveform', 'sine');
  await page.click('#play');
  await page.waitForFunction(() => window.quaver.playing === true);
});

after(async () => {
  await close?.();
});

test('the tone survives wasm memory growth in the worklet', async () => {
  await waitForFreshWindow(page);
  const before = await measureTone(page);
  assert.ok(before.rms > 0.05, `playing before: RMS ${before.rms}`);
  const grown = await page.evaluate(async () => {
    const { engine } = window.quaver;
    await engine.commit();
    const startBytes = engine.workletMemoryBytes;
    const filters = [];
    for (let i = 0; i < 800; i += 1) {
      const f = engine.createBiquadFilter();
      f.connect(engine.destination);
      filters.push(f);
    }
    await engine.commit();
    const grownBytes = engine.workletMemoryBytes;
    const nodesWithFilters = engine.nodeCount;
    for (const f of filters) f.dispose();
    await engine.commit();
    return { startBytes, grownBytes, nodesWithFilters, nodesAfter: engine.nodeCount };
  });
  assert.ok(grown.startBytes > 0, 'the worklet reported its memory');
  assert.ok(grown.grownBytes > grown.startBytes, `memory grew: ${grown.startBytes} → ${grown.grownBytes} bytes`);
  assert.equal(grown.nodesWithFilters - grown.nodesAfter, 800);
  await waitForFreshWindow(page);
  const afterGrowth = await measureTone(page);
  assert.ok(Math.abs(afterGrowth.rms - before.rms) / before.rms < 0.05, `RMS ${before.rms} → ${afterGrowth.rms}`);
  assert.ok(Math.abs(afterGrowth.hz - before.hz) / before.hz < 0.005, `frequency ${before.hz} → ${afterGrowth.hz}`);
});

test('node capacity is refused with a clear error and nothing already playing is lost', async () => {
  const result = await page.evaluate(async () => {
    const { engine } = window.quaver;
    const made = [];
    let refused = null;
    for (let i = 0; i < engine.limits.maxNodes + 5; i += 1) {
      const g = engine.createGain();
      if (g.id === null) break;
      made.push(g);
    }
    try { await engine.commit(); } catch (e) { refused = { code: e.code, message: e.message }; }
    const full = engine.nodeCount;
    // The refused node is still an object: using it records StaleNode instead of throwing.
    const dead = engine.createGain();
    let usingDead;
    try {
      dead.gain.value = 0.5;
      dead.gain.linearRampToValueAtTime(1, 1);
      dead.connect(engine.destination);
      await engine.commit();
      usingDead = 'accepted';
    } catch (e) {
      usingDead = e.code ?? `threw ${e}`;
    }
    for (const g of made) g.dispose();
    await engine.commit();
    return { refused, full, usingDead, after: engine.nodeCount, max: engine.limits.maxNodes };
  });
  assert.equal(result.refused?.code, 'NodeCapacity', JSON.stringify(result.refused));
  assert.match(result.refused.message, /capacity/);
  assert.equal(result.full, result.max);
  assert.equal(result.usingDead, 'NodeCapacity', 'the batch rejects with its first refusal, nothing threw');
  await waitForFreshWindow(page);
  const { rms } = await measureTone(page);
  assert.ok(rms > 0.05, `still playing after the refusal: RMS ${rms}`);
  assert.deepEqual([...consoleErrors, ...pageErrors], []);
});

test('a worklet module that failed to load gives a clear error at engine.node', async () => {
  const result = await page.evaluate(async () => {
    const ctx = new OfflineAudioContext(2, 1280, 48000);
    const broken = URL.createObjectURL(new Blob(['throw new Error("broken worklet");'], { type: 'text/javascript' }));
    const module = await window.quaver.compileEngine(new URL('quaver_bg.wasm', document.baseURI));
    const engine = await window.quaver.EngineClient.create(ctx, { module, workletUrl: broken }).catch((e) => e);
    if (engine instanceof Error) return { createdFailed: engine.message };
    try {
      engine.node;
      return { threw: false };
    } catch (e) {
      return { threw: true, code: e.code, message: e.message };
    }
  });
  assert.equal(result.threw, true, JSON.stringify(result));
  assert.equal(result.code, 'WorkletLoad');
  assert.match(result.message, /did not register 'quaver-engine'/);
});

test('a processor that cannot start is reported as fatal and commit() rejects', async () => {
  const result = await page.evaluate(async () => {
    // A fresh context has its own worklet scope, so the glue there is not yet initialised;
    // an empty wasm module instantiates but has none of the engine's exports.
    const ctx = new OfflineAudioContext(2, 1280, 48000);
    const empty = new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    const engine = await window.quaver.EngineClient.create(ctx, {
      module: empty,
      workletUrl: new URL('quaver-worklet.js', document.baseURI),
    });
    const fatal = new Promise((resolve) => engine.addEventListener('fatal', (e) => resolve(e.detail)));
    const osc = engine.createOscillator();
    osc.connect(engine.destination);
    engine.node.connect(ctx.destination);
    const rendering = ctx.startRendering();
    const detail = await Promise.race([fatal, new Promise((r) => setTimeout(() => r(null), 5000))]);
    const committed = await engine.commit().then(() => 'resolved', (e) => e.code);
    await rendering;
    return { fatal: detail && { code: detail.code, message: detail.message }, committed, errors: engine.errors.length };
  });
  assert.ok(result.fatal, 'a fatal event arrived');
  assert.equal(result.fatal.code, 'Fatal');
  assert.equal(result.committed, 'Fatal');
  assert.ok(result.errors >= 1);
});

test('moving every control mid-tone makes no click', async () => {
  // A click is broadband: a spike in the second difference. A steady sine of amplitude A
  // and frequency f has A·(2πf/sr)² at most; the changes below happen inside the analyser's
  // window, so an abrupt one would show as a spike many times that.
  await page.evaluate(() => {
    const set = (id, value) => {
      const el = document.getElementById(id);
      el.value = String(value);
      el.dispatchEvent(new Event('input'));
    };
    set('frequency', 560); // ≈ 440 Hz on the log slider
    set('cutoff', 900); // ≈ 10 kHz
    set('volume', 0.8);
  });
  await waitForFreshWindow(page);
  await page.evaluate(async () => {
    const pause = () => new Promise((resolve) => setTimeout(resolve, 40));
    const set = (id, value) => {
      const el = document.getElementById(id);
      el.value = String(value);
      el.dispatchEvent(new Event('input'));
    };
    const type = document.getElementById('filter-type');
    set('cutoff', 560); // ≈ 960 Hz: the 440 Hz tone now sits near the corner
    await pause();
    set('q', 12);
    await pause();
    set('volume', 0.3);
    await pause();
    set('pan', -0.8);
    await pause();
    type.value = 'lowshelf';
    type.dispatchEvent(new Event('change'));
    await pause();
    set('cutoff', 300);
    await pause();
  });
  await page.waitForTimeout(100);
  const { peak, curvature, sampleRate } = await page.evaluate(() => {
    const { analyser, context: ctx } = window.quaver;
    const data = new Float32Array(analyser.fftSize);
    analyser.getFloatTimeDomainData(data);
    let maxCurvature = 0;
    let maxAbs = 0;
    for (let i = 2; i < data.length; i += 1) {
      maxCurvature = Math.max(maxCurvature, Math.abs(data[i] - 2 * data[i - 1] + data[i - 2]));
      maxAbs = Math.max(maxAbs, Math.abs(data[i]));
    }
    return { peak: maxAbs, curvature: maxCurvature, sampleRate: ctx.sampleRate };
  });
  const hz = 20 * (5000 / 20) ** (560 / 1000);
  const sineCurvature = peak * ((2 * Math.PI * hz) / sampleRate) ** 2;
  assert.ok(peak > 0.05, `still playing: peak ${peak}`);
  assert.ok(curvature < 2 * sineCurvature, `curvature ${curvature.toExponential(2)}, a ${hz.toFixed(0)} Hz sine of this peak has ${sineCurvature.toExponential(2)}`);
});

test('rapid Play/Stop cycles leave no voices behind and no errors', async () => {
  const { baseline, errorsBefore } = await page.evaluate(async () => {
    const { engine } = window.quaver;
    document.getElementById('stop').click();
    await new Promise((resolve) => setTimeout(resolve, 400));
    return { baseline: engine.nodeCount, errorsBefore: engine.errors.length };
  });
  for (let i = 0; i < 15; i += 1) {
    await page.click('#play');
    await page.waitForFunction(() => window.quaver.playing === true);
    await page.click('#stop');
    await page.waitForFunction(() => window.quaver.playing === false);
  }
  // Each stopped voice is removed once its release is over (~120 ms).
  await page.waitForFunction((n) => window.quaver.engine.nodeCount === n, baseline, { timeout: 5000 });
  const state = await page.evaluate(async (from) => {
    const { engine } = window.quaver;
    await engine.commit();
    return { nodes: engine.nodeCount, errors: engine.errors.slice(from).map((e) => `${e.code}: ${e.message}`) };
  }, errorsBefore);
  assert.equal(state.nodes, baseline);
  assert.deepEqual(state.errors, [], 'no errors during the cycles');
  await page.click('#play');
  await waitForFreshWindow(page);
  const { rms } = await measureTone(page);
  assert.ok(rms > 0.05, `plays again after the cycles: RMS ${rms}`);
});
