// The engine → page lane for meters and analyser windows: shared memory on a cross-origin
// isolated page (no message posted for them), throttled messages otherwise, the same readings
// either way. A peak the page was too busy to read is still reported afterwards.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { readLane, sharedLane, sharedLaneBuffer } from '../../www/src/engine/protocol.js';
import { openLab } from './lab.mjs';

const opened = [];
after(async () => {
  for (const close of opened) await close();
});

test('a lane read never shows a torn write', async () => {
  const words = 4096;
  const buffer = sharedLaneBuffer(words);
  // The writer fills every word of each write with that write's number, as fast as it can.
  const writer = new Worker(`
    const { workerData } = require('node:worker_threads');
    import(workerData.protocol).then(({ sharedLane, writeLane }) => {
      const lane = sharedLane(workerData.buffer);
      const source = new Uint32Array(workerData.words);
      const deadline = Date.now() + 1500;
      for (let n = 1; Date.now() < deadline; n += 1) writeLane(lane, source.fill(n));
    });
  `, { eval: true, workerData: { buffer, words, protocol: new URL('../../www/src/engine/protocol.js', import.meta.url).href } });
  const done = new Promise((resolve, reject) => { writer.on('exit', resolve); writer.on('error', reject); });
  const lane = sharedLane(buffer);
  const into = new Uint32Array(words);
  let reads = 0;
  let last = 0;
  let exited = false;
  done.then(() => { exited = true; });
  while (!exited) {
    const count = readLane(lane, into);
    if (count > 0) {
      assert.equal(count, words);
      const first = into[0];
      assert.ok(into.every((w) => w === first), `read ${reads}: words from more than one write`);
      assert.ok(first > last, `write ${first} read after write ${last}`);
      last = first;
      reads += 1;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  await done;
  assert.ok(reads > 20, `only ${reads} reads went through`);
});

// A 375 Hz sine at 0.5 (128 frames a period at 48 kHz) plus, later, a 20 ms burst of 0.9 that
// starts while the page is blocked for 400 ms and reads nothing.
async function measure(isolate) {
  const { page, consoleErrors, pageErrors, close } = await openLab({ isolate });
  opened.push(close);
  const result = await page.evaluate(async () => {
    const { EngineClient, compileEngine } = window.quaver;
    const module = await compileEngine(new URL('quaver_bg.wasm', document.baseURI));
    const ctx = new AudioContext({ sampleRate: 48_000 });
    const engine = await EngineClient.create(ctx, { module, workletUrl: new URL('quaver-worklet.js', document.baseURI) });
    const osc = engine.createOscillator();
    osc.frequency.value = 375;
    const level = engine.createGain({ gain: 0.5 });
    const burst = engine.createConstantSource({ offset: 0.9 });
    const mix = engine.createGain();
    const analyser = engine.createAnalyser({ fftSize: 2048 });
    osc.connect(level).connect(mix);
    burst.connect(mix);
    level.connect(analyser);
    mix.connect(engine.destination);
    osc.start();
    const readings = [];
    engine.meter(mix, (r) => readings.push(r));
    let taps = 0;
    const port = engine.node.port;
    const receive = port.onmessage;
    port.onmessage = (event) => {
      if (event.data.type === 'taps') taps += 1;
      receive(event);
    };
    engine.node.connect(ctx.destination);
    await engine.commit();
    const waitAudio = async (s) => {
      const start = ctx.currentTime;
      while (ctx.currentTime - start < s) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    await waitAudio(0.6);
    const steady = readings.at(-1);
    const samples = new Float32Array(2048);
    analyser.getFloatTimeDomainData(samples);
    const windowPeak = samples.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    burst.start(ctx.currentTime + 0.15);
    burst.stop(ctx.currentTime + 0.17);
    await engine.commit();
    const beforeBlock = readings.length;
    const until = performance.now() + 400;
    while (performance.now() < until) { /* the page is busy: nothing is read */ }
    await waitAudio(0.25);
    const later = readings.slice(beforeBlock);
    return {
      shares: engine.sharesMemory,
      taps,
      count: readings.length,
      steady,
      windowPeak,
      burstPeak: Math.max(...later.map((r) => r.peak[0])),
      errors: engine.errors.map((e) => e.message),
    };
  });
  return { ...result, consoleErrors, pageErrors };
}

for (const isolate of [true, false]) {
  test(`meters and analyser windows ${isolate ? 'through shared memory (isolated page)' : 'as messages (no isolation)'}`, async (t) => {
    const r = await measure(isolate);
    t.diagnostic(`${r.count} readings, ${r.taps} tap messages; steady peak ${r.steady.peak[0].toFixed(4)}, RMS ${r.steady.rms[0].toFixed(4)}; burst peak ${r.burstPeak.toFixed(3)}`);
    assert.deepEqual([...r.errors, ...r.consoleErrors, ...r.pageErrors], []);
    assert.equal(r.shares, isolate);
    if (isolate) assert.equal(r.taps, 0, 'no tap message is posted when the lane is shared');
    else assert.ok(r.taps > 5, `${r.taps} tap messages`);
    assert.ok(r.count > 10, `${r.count} readings in about a second`);
    assert.ok(Math.abs(r.steady.peak[0] - 0.5) < 0.005, `peak ${r.steady.peak[0]}`);
    assert.ok(Math.abs(r.steady.rms[0] - 0.5 / Math.SQRT2) < 0.005, `RMS ${r.steady.rms[0]}`);
    assert.ok(Math.abs(r.windowPeak - 0.5) < 0.005, `the analyser's window peaks at ${r.windowPeak}`);
    assert.ok(r.burstPeak > 1.3, `the burst while the page was busy: peak ${r.burstPeak}`);
  });
}
