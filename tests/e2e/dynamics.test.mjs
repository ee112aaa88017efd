// The compressor against Chromium's DynamicsCompressorNode, which Web Audio does not specify
// sample by sample: the static curve (steady sines from −40 to 0 dBFS through default and
// gentler settings) and the attack (how fast the gain falls after a jump in level).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openTwinPage, renderTwins } from './twin.mjs';

// Both share the curve's formula and make-up gain; their level detectors differ in how they
// track a sine between its peaks, which moved the steady gain by at most 0.2 dB when measured.
const STATIC_TOLERANCE_DB = 0.3;

const LEVELS = [-40, -30, -24, -18, -12, -6, 0];
const SETTINGS = [
  { name: 'defaults', setup: '' },
  { name: 'threshold −30 dB, knee 10, ratio 4', setup: 'c.threshold.value = -30; c.knee.value = 10; c.ratio.value = 4;' },
];

const steady = (db, settings) => ({
  frames: 48_000,
  native: `const o = new OscillatorNode(ctx, { frequency: 441 }); const g = new GainNode(ctx, { gain: ${10 ** (db / 20)} });
           const c = new DynamicsCompressorNode(ctx); ${settings.setup} o.connect(g).connect(c); o.start(); return c;`,
  ours: `const o = engine.createOscillator(); o.frequency.value = 441; const g = engine.createGain(); g.gain.value = ${10 ** (db / 20)};
         const c = engine.createDynamicsCompressor(); ${settings.setup} o.connect(g).connect(c).connect(engine.destination); o.start();`,
});

const jump = {
  frames: 24_000,
  native: `const o = new OscillatorNode(ctx, { frequency: 441 }); const g = new GainNode(ctx, { gain: 0.01 }); g.gain.setValueAtTime(1, 0.25);
           const c = new DynamicsCompressorNode(ctx); o.connect(g).connect(c); o.start(); return c;`,
  ours: `const o = engine.createOscillator(); o.frequency.value = 441; const g = engine.createGain(); g.gain.value = 0.01; g.gain.setValueAtTime(1, 0.25);
         const c = engine.createDynamicsCompressor(); o.connect(g).connect(c).connect(engine.destination); o.start();`,
};

let page;
let close;
let steadyResults;
let jumpResult;

const rmsDb = (x, from, to) => {
  let sum = 0;
  for (let i = from; i < to; i += 1) sum += x[i] * x[i];
  return 10 * Math.log10(sum / (to - from));
};

before(async () => {
  ({ page, close } = await openTwinPage());
  const cases = SETTINGS.flatMap((s) => LEVELS.map((db) => ({ name: `${s.name} ${db}`, ...steady(db, s) })));
  steadyResults = await renderTwins(page, cases);
  [jumpResult] = await renderTwins(page, [{ name: 'jump', ...jump }]);
});

after(async () => {
  await close?.();
});

SETTINGS.forEach((settings, s) => {
  test(`static curve (${settings.name}) within ${STATIC_TOLERANCE_DB} dB of Chromium`, (t) => {
    const rows = LEVELS.map((db, i) => {
      const r = steadyResults[s * LEVELS.length + i];
      const input = db - 3.0103; // a sine's RMS
      return { db, native: rmsDb(r.native[0], 36_000, 48_000) - input, ours: rmsDb(r.ours[0], 36_000, 48_000) - input };
    });
    t.diagnostic(rows.map((r) => `${r.db} dBFS: Chromium ${r.native.toFixed(2)} dB, ours ${r.ours.toFixed(2)} dB`).join('; '));
    for (const r of rows) {
      assert.ok(Math.abs(r.native - r.ours) <= STATIC_TOLERANCE_DB, `${r.db} dBFS: Chromium gain ${r.native.toFixed(2)} dB, ours ${r.ours.toFixed(2)} dB`);
    }
    assert.ok(rows[0].native - rows[rows.length - 1].native > 5, 'the oracle compresses: louder input, less gain');
  });
});

test('after a 40 dB jump the gain settles about as fast as Chromium\'s', (t) => {
  // Time from the jump until the output's 10 ms RMS is within 1 dB of its settled level.
  const settle = (x) => {
    const final = rmsDb(x, 19_200, 24_000);
    for (let start = 12_000; start < 19_200; start += 48) {
      if (Math.abs(rmsDb(x, start, start + 480) - final) < 1) return (start - 12_000) / 48;
    }
    return Infinity;
  };
  const [theirs, mine] = [settle(jumpResult.native[0]), settle(jumpResult.ours[0])];
  t.diagnostic(`settled after ${theirs} ms (Chromium) and ${mine} ms (ours)`);
  assert.ok(mine <= Math.max(2 * theirs, theirs + 20) && mine >= theirs / 2 - 10, `Chromium ${theirs} ms, ours ${mine} ms`);
});

test('reduction reports the gain reduction as Chromium\'s does', async (t) => {
  const r = await page.evaluate(async () => {
    const { EngineClient, compileEngine } = window.quaver;
    const module = await compileEngine(new URL('quaver_bg.wasm', document.baseURI));
    const ctx = new OfflineAudioContext(2, 48_000, 48_000);
    const engine = await EngineClient.create(ctx, { module, workletUrl: new URL('quaver-worklet.js', document.baseURI) });
    const o = engine.createOscillator();
    o.frequency.value = 441;
    const ours = engine.createDynamicsCompressor();
    o.connect(ours).connect(engine.destination);
    o.start();
    engine.node.connect(ctx.destination);
    const n = new OscillatorNode(ctx, { frequency: 441 });
    const theirs = new DynamicsCompressorNode(ctx);
    n.connect(theirs).connect(new GainNode(ctx, { gain: 0 })).connect(ctx.destination);
    n.start();
    const quiet = ours.reduction;
    await ctx.startRendering();
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { quiet, ours: ours.reduction, theirs: theirs.reduction };
  });
  t.diagnostic(`reduction: Chromium ${r.theirs.toFixed(2)} dB, ours ${r.ours.toFixed(2)} dB`);
  assert.equal(r.quiet, 0, 'nothing reduced before any sound');
  assert.ok(r.theirs < -3, `Chromium reduces a full-scale sine: ${r.theirs}`);
  assert.ok(Math.abs(r.ours - r.theirs) < 1.5, `Chromium ${r.theirs} dB, ours ${r.ours} dB`);
});
