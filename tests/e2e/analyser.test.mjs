// Chromium as the oracle for the analyser: the same windows of audio give the same spectrum —
// Blackman window, FFT, smoothing across calls, decibels and bytes — as Chromium's
// AnalyserNode. Chromium's own time-domain windows (taken at three suspends of an offline
// render) are handed to the engine's analyser node as if its worklet had sent them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openTwinPage } from './twin.mjs';

let page;
let close;
let result;

before(async () => {
  ({ page, close } = await openTwinPage());
  result = await page.evaluate(async () => {
    const { EngineClient, compileEngine } = window.quaver;
    const sampleRate = 48_000;
    const ctx = new OfflineAudioContext(1, sampleRate / 2, sampleRate);
    const osc = new OscillatorNode(ctx, { frequency: 1234, type: 'sawtooth' });
    const quiet = new GainNode(ctx, { gain: 0.25 });
    const analyser = new AnalyserNode(ctx, { fftSize: 2048, smoothingTimeConstant: 0.6, minDecibels: -90, maxDecibels: -10 });
    osc.connect(quiet).connect(analyser).connect(ctx.destination);
    osc.frequency.linearRampToValueAtTime(3000, 0.5);
    osc.start();
    const frames = [];
    for (const t of [0.1, 0.2, 0.3]) {
      ctx.suspend(t).then(() => {
        const td = new Float32Array(2048);
        const fd = new Float32Array(1024);
        const bytes = new Uint8Array(1024);
        const tdBytes = new Uint8Array(2048);
        analyser.getFloatTimeDomainData(td);
        analyser.getFloatFrequencyData(fd);
        analyser.getByteFrequencyData(bytes);
        analyser.getByteTimeDomainData(tdBytes);
        frames.push({ td, fd, bytes, tdBytes });
        ctx.resume();
      });
    }
    await ctx.startRendering();

    const module = await compileEngine(new URL('quaver_bg.wasm', document.baseURI));
    const engine = await EngineClient.create(new OfflineAudioContext(1, 128, sampleRate), {
      module, workletUrl: new URL('quaver-worklet.js', document.baseURI),
    });
    const ours = engine.createAnalyser({ fftSize: 2048, smoothingTimeConstant: 0.6, minDecibels: -90, maxDecibels: -10 });
    const out = [];
    for (const f of frames) {
      ours.window = f.td;
      ours.windowFresh = true;
      const fd = new Float32Array(1024);
      const bytes = new Uint8Array(1024);
      const tdBytes = new Uint8Array(2048);
      ours.getFloatFrequencyData(fd);
      ours.getByteFrequencyData(bytes);
      ours.getByteTimeDomainData(tdBytes);
      out.push({ fd: Array.from(fd), bytes: Array.from(bytes), tdBytes: Array.from(tdBytes) });
    }
    return {
      native: frames.map((f) => ({ fd: Array.from(f.fd), bytes: Array.from(f.bytes), tdBytes: Array.from(f.tdBytes) })),
      ours: out,
      bins: ours.frequencyBinCount,
      errors: engine.errors.map((e) => e.message),
    };
  });
});

after(async () => {
  await close?.();
});

test('frequency data in decibels matches Chromium across three smoothed calls', (t) => {
  assert.deepEqual(result.errors, []);
  assert.equal(result.bins, 1024);
  let worst = 0;
  for (let f = 0; f < 3; f += 1) {
    const { fd: theirs } = result.native[f];
    const { fd: mine } = result.ours[f];
    for (let k = 1; k < 1024; k += 1) {
      // Well above the FFTs' single-precision noise floor, the two must agree closely.
      if (theirs[k] < -120) continue;
      worst = Math.max(worst, Math.abs(theirs[k] - mine[k]));
    }
    assert.ok(Math.max(...theirs) > -50, `the saw is there: peak ${Math.max(...theirs)} dB, ours ${Math.max(...mine)} dB`);
  }
  t.diagnostic(`worst difference ${worst.toExponential(2)} dB`);
  assert.ok(worst < 0.01, `worst difference ${worst} dB`);
});

test('byte frequency data and byte time-domain data match Chromium', () => {
  for (let f = 0; f < 3; f += 1) {
    const off = result.native[f].bytes.filter((b, k) => Math.abs(b - result.ours[f].bytes[k]) > 1).length;
    assert.equal(off, 0, `frame ${f}: bytes more than 1 apart in ${off} bins`);
    const tdOff = result.native[f].tdBytes.map((b, i) => [i, b, result.ours[f].tdBytes[i]]).filter(([, a, b]) => a !== b);
    assert.equal(tdOff.length, 0, `time-domain bytes differ at ${tdOff.length} frames: ${JSON.stringify(tdOff.slice(0, 5))}`);
    assert.ok(result.native[f].bytes.some((b) => b > 100), 'the byte spectrum is not empty');
  }
});
