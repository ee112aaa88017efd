// Chromium as the oracle: the engine's biquad must reproduce the native BiquadFilterNode
// sample by sample. Both sides render the same seeded noise offline (deterministic), so any
// difference is the engine's, not timing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer } from '../../scripts/serve.mjs';
import { launch } from './browser.mjs';

const SAMPLE_RATE = 48_000;
const FRAMES = 8192;
const TOLERANCE = 1e-4;
const NOISE_SEED = 0x5eed;

// Per type: ordinary settings plus the degenerate limits the spec defines (Q = 0, corner at
// 0 or Nyquist), which must take the same shortcut as Chromium. `silent` marks settings whose
// correct output is silence. Shelves ignore Q; lowpass/highpass Q is in dB.
const CASES = {
  lowpass: [
    { frequency: 350, Q: 1 },
    { frequency: 1000, Q: 6 },
    { frequency: 5000, Q: 0 },
    { frequency: 12000, Q: -6 },
    { frequency: 500, Q: 3, detune: 1200 },
    { frequency: 24000, Q: 3 },
  ],
  highpass: [
    { frequency: 250, Q: 1 },
    { frequency: 2000, Q: 10 },
    { frequency: 10000, Q: -3 },
    { frequency: 0, Q: 0 },
  ],
  bandpass: [
    { frequency: 500, Q: 1 },
    { frequency: 2000, Q: 10 },
    { frequency: 8000, Q: 0.5 },
    { frequency: 1000, Q: 4, detune: -700 },
    { frequency: 1000, Q: 0 },
  ],
  lowshelf: [
    { frequency: 250, Q: 1, gain: 6 },
    { frequency: 1000, Q: 1, gain: -12 },
    { frequency: 5000, Q: 1, gain: 12 },
    { frequency: 24000, Q: 1, gain: 6 },
  ],
  highshelf: [
    { frequency: 300, Q: 1, gain: -6 },
    { frequency: 3000, Q: 1, gain: 9 },
    { frequency: 12000, Q: 1, gain: -12 },
    { frequency: 0, Q: 1, gain: 6 },
  ],
  peaking: [
    { frequency: 1000, Q: 1, gain: 12 },
    { frequency: 250, Q: 4, gain: -9 },
    { frequency: 6000, Q: 0.7, gain: 6 },
    { frequency: 1000, Q: 0, gain: 6 },
  ],
  notch: [
    { frequency: 1000, Q: 1 },
    { frequency: 4000, Q: 10 },
    { frequency: 9000, Q: 3 },
    { frequency: 1000, Q: 0, silent: true },
  ],
  allpass: [
    { frequency: 250, Q: 0.7 },
    { frequency: 2000, Q: 2 },
    { frequency: 12000, Q: 8 },
    { frequency: 2000, Q: 0 },
  ],
};

// Corners at or below ~80 Hz are where a single-precision biquad drifts from Chromium's
// double-precision one (errors up to ~2e-3 at 20 Hz with f32 state); the engine's f64
// direct-form kernel holds them to the tolerance. The exception is a 40 Hz shelf/peak at
// +12 dB: those types depend on A = 10^(gain/40), whose last bit differs between Rust's
// libm pow and Chromium's, and a corner that low amplifies it to ~1e-4. They get their own
// bound, stated here rather than hidden by loosening the tolerance for everything.
const GAIN_DEPENDENT_LOW_CORNER_TOLERANCE = 2e-4;
const LOW_CORNER_CASES = [
  { type: 'highpass', frequency: 20, Q: 0 },
  { type: 'lowpass', frequency: 40, Q: 12 },
  { type: 'lowshelf', frequency: 40, Q: 1, gain: 12 },
  { type: 'peaking', frequency: 40, Q: 2, gain: 12 },
  { type: 'notch', frequency: 40, Q: 10 },
  { type: 'allpass', frequency: 40, Q: 10 },
];

const label = (c) => `${c.type} f=${c.frequency}${c.detune ? ` detune=${c.detune}` : ''} Q=${c.Q}${c.gain !== undefined ? ` gain=${c.gain}dB` : ''}`;

let server;
let context;
let page;
const rendered = new Map(); // label → { native, ours, engineErrors }

/** Renders each case twice in the page (native, engine) and decodes both channel-0 outputs. */
async function render(cases) {
  const results = await page.evaluate(async ({ cases, frames, sampleRate, seed }) => {
    const { EngineClient, compileEngine } = window.quaver;
    window.oracleModule ??= await compileEngine(new URL('quaver_bg.wasm', document.baseURI));
    const workletUrl = new URL('quaver-worklet.js', document.baseURI);

    // mulberry32: the same seed gives the same noise in both contexts and on every run.
    let state = seed >>> 0;
    const random = () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
    const noise = new Float32Array(frames);
    for (let i = 0; i < frames; i += 1) noise[i] = random() * 2 - 1; // full scale

    const source = (ctx) => {
      const buffer = ctx.createBuffer(1, frames, sampleRate);
      buffer.copyToChannel(noise, 0);
      const node = new AudioBufferSourceNode(ctx, { buffer });
      node.start();
      return node;
    };
    // Float32Array → base64, so 2 × 8192 samples per case cross the protocol compactly and exactly.
    const encode = (samples) => {
      const bytes = new Uint8Array(samples.buffer.slice(samples.byteOffset, samples.byteOffset + samples.byteLength));
      let text = '';
      for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(text);
    };

    const out = [];
    for (const c of cases) {
      const settings = { type: c.type, frequency: c.frequency, Q: c.Q, gain: c.gain ?? 0, detune: c.detune ?? 0 };

      const nativeCtx = new OfflineAudioContext(2, frames, sampleRate);
      source(nativeCtx).connect(new BiquadFilterNode(nativeCtx, settings)).connect(nativeCtx.destination);
      const native = await nativeCtx.startRendering();

      const oursCtx = new OfflineAudioContext(2, frames, sampleRate);
      const engine = await EngineClient.create(oursCtx, { module: window.oracleModule, workletUrl });
      const filter = engine.createBiquadFilter();
      filter.type = settings.type;
      filter.frequency.value = settings.frequency;
      filter.detune.value = settings.detune;
      filter.Q.value = settings.Q;
      filter.gain.value = settings.gain;
      engine.input.connect(filter).connect(engine.destination);
      // Only now touch engine.node: it carries the whole graph above in processorOptions.
      // No `await engine.commit()` here: offline, it would settle only once rendering runs.
      source(oursCtx).connect(engine.node).connect(oursCtx.destination);
      const ours = await oursCtx.startRendering();

      out.push({
        native: encode(native.getChannelData(0)),
        ours: encode(ours.getChannelData(0)),
        engineErrors: engine.errors.map((e) => `${e.code}: ${e.message}`),
      });
    }
    return out;
  }, { cases, frames: FRAMES, sampleRate: SAMPLE_RATE, seed: NOISE_SEED });
  const decode = (text) => new Float32Array(new Uint8Array(Buffer.from(text, 'base64')).buffer);
  return results.map((r) => ({ native: decode(r.native), ours: decode(r.ours), engineErrors: r.engineErrors }));
}

function maxAbsError(a, b, lag = 0) {
  let max = 0;
  let at = -1;
  for (let i = Math.max(0, -lag); i < a.length && i + lag < b.length; i += 1) {
    const d = Math.abs(a[i] - b[i + lag]);
    if (d > max) { max = d; at = i; }
  }
  return { max, at };
}

/** If the outputs are merely offset, this finds by how much (ours[i + lag] ≈ native[i]). */
function bestLag(a, b, maxLag = 512) {
  let best = { lag: 0, max: Infinity };
  for (let lag = -maxLag; lag <= maxLag; lag += 1) {
    const { max } = maxAbsError(a, b, lag);
    if (max < best.max) best = { lag, max };
  }
  return best;
}

function rms(samples) {
  let sum = 0;
  for (const v of samples) sum += v * v;
  return Math.sqrt(sum / samples.length);
}

before(async () => {
  const started = await startServer({ port: 0 });
  server = started.server;
  const { url } = started;
  context = await launch();
  page = await context.newPage();
  await page.goto(`${url}lab.html`);
  const exposed = await page.evaluate(() => typeof window.quaver?.EngineClient === 'function' && typeof window.quaver?.compileEngine === 'function');
  assert.ok(exposed, 'window.quaver.EngineClient/compileEngine missing: dist/ is older than www/src/lab.js — rebuild it (node scripts/build.mjs)');

  const all = Object.entries(CASES).flatMap(([type, list]) => list.map((c) => ({ type, ...c })));
  const results = await render(all);
  all.forEach((c, i) => rendered.set(label(c), { ...results[i], case: c }));
});

after(async () => {
  await context?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
});

test('the engine adds no latency: an impulse comes out on the same frame as through Chromium', async () => {
  // Frame 300 sits inside a render quantum, so a whole-quantum delay would show as 428.
  const { native, ours } = await page.evaluate(async ({ frames, sampleRate }) => {
    const { EngineClient } = window.quaver;
    const impulse = (ctx) => {
      const buffer = ctx.createBuffer(1, frames, sampleRate);
      buffer.getChannelData(0)[300] = 1;
      const node = new AudioBufferSourceNode(ctx, { buffer });
      node.start();
      return node;
    };
    const firstNonZero = (data) => data.findIndex((v) => v !== 0);
    const a = new OfflineAudioContext(2, frames, sampleRate);
    impulse(a).connect(a.destination);
    const b = new OfflineAudioContext(2, frames, sampleRate);
    const engine = await EngineClient.create(b, { module: window.oracleModule, workletUrl: new URL('quaver-worklet.js', document.baseURI) });
    engine.input.connect(engine.destination);
    impulse(b).connect(engine.node).connect(b.destination);
    const [ra, rb] = [await a.startRendering(), await b.startRendering()];
    return { native: firstNonZero(ra.getChannelData(0)), ours: firstNonZero(rb.getChannelData(0)) };
  }, { frames: 1024, sampleRate: SAMPLE_RATE });
  assert.equal(native, 300);
  assert.equal(ours, native, `engine output is offset by ${ours - native} frames relative to Chromium`);
});

for (const type of Object.keys(CASES)) {
  test(`${type}: engine matches Chromium's BiquadFilterNode within ${TOLERANCE}`, (t) => {
    const rows = CASES[type].map((c) => {
      const r = rendered.get(label({ type, ...c }));
      return { r, name: label({ type, ...c }), ...maxAbsError(r.native, r.ours) };
    });
    for (const { r, name } of rows) assert.deepEqual(r.engineErrors, [], `${name}: engine refused something`);
    const worst = rows.reduce((a, b) => (b.max > a.max ? b : a));
    const summary = rows.map((row) => `${row.name}: ${row.max.toExponential(2)}`).join('; ');
    if (worst.max > TOLERANCE) {
      // Say whether it is a misalignment (report it) or a real difference; never shift to pass.
      const lag = bestLag(worst.r.native, worst.r.ours);
      const hint = lag.lag !== 0 && lag.max <= TOLERANCE
        ? `outputs are OFFSET: ours lags Chromium by ${lag.lag} frames (aligned error ${lag.max.toExponential(2)})`
        : `not an offset (best lag ${lag.lag}: ${lag.max.toExponential(2)})`;
      assert.fail(`${type}: worst ${worst.name} max |error| ${worst.max.toExponential(3)} at frame ${worst.at} `
        + `(native ${worst.r.native[worst.at]}, ours ${worst.r.ours[worst.at]}); ${hint}. All: ${summary}`);
    }
    t.diagnostic(`worst max |error| ${worst.max.toExponential(2)} (${worst.name}); all: ${summary}`);
  });
}

test('outputs are not trivially silent (and silent exactly where the spec says)', () => {
  for (const [name, { native, ours, case: c }] of rendered) {
    const [rn, ro] = [rms(native), rms(ours)];
    if (c.silent) {
      assert.ok(rn < 1e-6 && ro < 1e-6, `${name}: expected silence, RMS native ${rn}, ours ${ro}`);
    } else {
      assert.ok(rn > 0.01, `${name}: native RMS ${rn} — the oracle itself is silent`);
      assert.ok(ro > 0.01, `${name}: engine RMS ${ro} — the engine is silent`);
    }
  }
});

test('low corners (≤ 40 Hz) match Chromium within the tolerance', async (t) => {
  const results = await render(LOW_CORNER_CASES);
  const rows = LOW_CORNER_CASES.map((c, i) => ({ name: label(c), ...maxAbsError(results[i].native, results[i].ours) }));
  t.diagnostic(rows.map((row) => `${row.name}: ${row.max.toExponential(2)}`).join('; '));
  const bound = (c) => (['lowshelf', 'highshelf', 'peaking'].includes(c.type) ? GAIN_DEPENDENT_LOW_CORNER_TOLERANCE : TOLERANCE);
  const failing = rows.filter((row, i) => row.max > bound(LOW_CORNER_CASES[i]));
  assert.deepEqual(failing.map((row) => `${row.name}: ${row.max.toExponential(2)}`), []);
});
