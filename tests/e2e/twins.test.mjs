// Chromium as the oracle for the AudioParam timeline and the node library: every automation
// method (and the cases a spec test suite tries: events at one time, a ramp after a target,
// cancels mid-ramp), audio-rate modulation, clamping to the nominal range, and each node with
// a Chromium twin — rendered both ways offline and compared sample by sample.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { maxError, openTwinPage, renderTwins, rms } from './twin.mjs';

// Automation is computed in single precision by both; a ramp's value differs in the last bits
// (Chromium interpolates in float, we in float with a double time base).
const PARAM_TOLERANCE = 2e-6;
// setTargetAtTime: Chromium steps the exponential by a per-sample recursion, we evaluate it in
// closed form; the two drift apart by a few ulps over a decay.
const TARGET_TOLERANCE = 1e-5;

// A gain fed a constant 1 shows its `gain` parameter's timeline as the output. `timeline`
// is the same code for Chromium's AudioParam and Quaver's.
const gainTimeline = (name, timeline, tolerance = PARAM_TOLERANCE) => ({
  name,
  tolerance,
  frames: 2048,
  native: `const src = new ConstantSourceNode(ctx); src.start(); const g = new GainNode(ctx); const p = g.gain; ${timeline}; src.connect(g); return g;`,
  ours: `const g = engine.createGain(); const p = g.gain; ${timeline}; engine.input.connect(g).connect(engine.destination);
         const src = new ConstantSourceNode(ctx); src.start(); return src;`,
});

const CASES = [
  gainTimeline('setValueAtTime at times between frames', 'p.setValueAtTime(0.2, 0.0013); p.setValueAtTime(0.7, 0.0101); p.setValueAtTime(-0.4, 0.02)'),
  gainTimeline('linearRampToValueAtTime after a set', 'p.setValueAtTime(0.1, 0.002); p.linearRampToValueAtTime(0.9, 0.02)'),
  gainTimeline('exponentialRampToValueAtTime after a set', 'p.setValueAtTime(0.05, 0.001); p.exponentialRampToValueAtTime(1, 0.03)'),
  gainTimeline('ramps with no event before them start at time 0', 'p.linearRampToValueAtTime(0.25, 0.01); p.exponentialRampToValueAtTime(0.01, 0.03)'),
  gainTimeline('setTargetAtTime, then a set', 'p.setTargetAtTime(0.1, 0.005, 0.004); p.setValueAtTime(0.8, 0.03)', TARGET_TOLERANCE),
  gainTimeline('setValueCurveAtTime, then its last value holds', 'p.setValueCurveAtTime([0.1, 0.9, 0.3, 0.6], 0.004, 0.02)'),
  gainTimeline('events at the same time keep their order', 'p.setValueAtTime(0.3, 0.01); p.setValueAtTime(0.6, 0.01); p.linearRampToValueAtTime(0.1, 0.03)'),
  gainTimeline('a linear ramp after a target', 'p.setTargetAtTime(0.8, 0.002, 0.005); p.linearRampToValueAtTime(0.2, 0.03)', TARGET_TOLERANCE),
  gainTimeline('cancelScheduledValues mid-ramp removes the ramp', 'p.setValueAtTime(0.3, 0); p.linearRampToValueAtTime(1, 0.04); p.cancelScheduledValues(0.02)'),
  gainTimeline('cancelAndHoldAtTime mid linear ramp', 'p.setValueAtTime(0, 0); p.linearRampToValueAtTime(1, 0.04); p.cancelAndHoldAtTime(0.02)'),
  gainTimeline('cancelAndHoldAtTime mid exponential ramp', 'p.setValueAtTime(0.01, 0); p.exponentialRampToValueAtTime(1, 0.04); p.cancelAndHoldAtTime(0.025)'),
  gainTimeline('cancelAndHoldAtTime during a target', 'p.setTargetAtTime(0, 0.001, 0.01); p.cancelAndHoldAtTime(0.015)', TARGET_TOLERANCE),
  gainTimeline('cancelAndHoldAtTime mid curve', 'p.setValueCurveAtTime([0, 1, 0.5], 0.001, 0.03); p.cancelAndHoldAtTime(0.012)'),
  {
    name: 'the computed value is clamped to minValue/maxValue (pan ramps from -3 to 3)',
    tolerance: 1e-6,
    native: `const src = new ConstantSourceNode(ctx); src.start(); const pan = new StereoPannerNode(ctx);
             pan.pan.setValueAtTime(-3, 0); pan.pan.linearRampToValueAtTime(3, 0.06); src.connect(pan); return pan;`,
    ours: `const pan = engine.createStereoPanner(); pan.pan.setValueAtTime(-3, 0); pan.pan.linearRampToValueAtTime(3, 0.06);
           engine.input.connect(pan).connect(engine.destination); const src = new ConstantSourceNode(ctx); src.start(); return src;`,
  },
  {
    name: 'audio-rate modulation: a ramping source into gain.gain adds to its value',
    tolerance: PARAM_TOLERANCE,
    native: `const one = new ConstantSourceNode(ctx); one.start(); const g = new GainNode(ctx, { gain: 0.5 });
             const m = new ConstantSourceNode(ctx, { offset: 0 }); m.offset.linearRampToValueAtTime(-1, 0.05); m.start();
             m.connect(g.gain); one.connect(g); return g;`,
    ours: `const g = engine.createGain(); g.gain.value = 0.5; const m = engine.createConstantSource(); m.offset.value = 0;
           m.offset.linearRampToValueAtTime(-1, 0.05); m.start(); m.connect(g.gain);
           engine.input.connect(g).connect(engine.destination); const one = new ConstantSourceNode(ctx); one.start(); return one;`,
  },
  {
    name: 'ConstantSourceNode: offset between start and stop at times between frames',
    tolerance: 0,
    native: `const c = new ConstantSourceNode(ctx, { offset: 0.375 }); c.start(0.00301); c.stop(0.0207); return c;`,
    ours: `const c = engine.createConstantSource(); c.offset.value = 0.375; c.start(0.00301); c.stop(0.0207); c.connect(engine.destination);`,
  },
  {
    name: 'DelayNode: a fractional delay of noise',
    tolerance: 1e-6,
    // The interpolation is not in the spec: Chromium reads at a single-precision position on
    // a line of 1 + maxDelayTime·rate frames, and the engine rounds its delay the same way.
    native: `const d = new DelayNode(ctx, { delayTime: 0.00373 }); noise().connect(d); return d;`,
    ours: `const d = engine.createDelay(); d.delayTime.value = 0.00373; engine.input.connect(d).connect(engine.destination); return noise();`,
  },
  {
    name: 'DelayNode: a delay time that moves (a-rate) reads between samples',
    tolerance: 1e-5,
    native: `const d = new DelayNode(ctx, { delayTime: 0.001 }); d.delayTime.linearRampToValueAtTime(0.004, 0.08); noise().connect(d); return d;`,
    ours: `const d = engine.createDelay(); d.delayTime.value = 0.001; d.delayTime.linearRampToValueAtTime(0.004, 0.08);
           engine.input.connect(d).connect(engine.destination); return noise();`,
  },
  {
    name: 'DelayNode in a feedback cycle (5 ms, feedback 0.6): each lap takes the delay plus one quantum',
    tolerance: 1e-6,
    frames: 8192,
    native: `const d = new DelayNode(ctx, { delayTime: 0.005 }); const fb = new GainNode(ctx, { gain: 0.6 }); const sum = new GainNode(ctx);
             const burst = new ConstantSourceNode(ctx); burst.start(0); burst.stop(0.001);
             burst.connect(sum); sum.connect(d); d.connect(fb); fb.connect(sum); return sum;`,
    ours: `const d = engine.createDelay(); d.delayTime.value = 0.005; const fb = engine.createGain(); fb.gain.value = 0.6; const sum = engine.createGain();
           const burst = engine.createConstantSource(); burst.start(0); burst.stop(0.001);
           burst.connect(sum); sum.connect(d); d.connect(fb); fb.connect(sum); sum.connect(engine.destination);`,
  },
  {
    name: 'ChannelSplitterNode and ChannelMergerNode cross the channels of stereo noise',
    tolerance: 0,
    native: `const s = new ChannelSplitterNode(ctx, { numberOfOutputs: 2 }); const m = new ChannelMergerNode(ctx, { numberOfInputs: 2 });
             noise(2).connect(s); s.connect(m, 0, 1); s.connect(m, 1, 0); return m;`,
    ours: `const s = engine.createChannelSplitter(); const m = engine.createChannelMerger();
           engine.input.connect(s); s.connect(m, 0, 1); s.connect(m, 1, 0); m.connect(engine.destination); return noise(2);`,
  },
  {
    name: 'WaveShaperNode without oversampling follows the spec curve lookup',
    tolerance: 1e-6,
    native: `const w = new WaveShaperNode(ctx, { curve: new Float32Array([-0.5, -0.45, 0, 0.8, 0.9, 1]) }); noise().connect(w); return w;`,
    ours: `const w = engine.createWaveShaper(); w.curve = new Float32Array([-0.5, -0.45, 0, 0.8, 0.9, 1]);
           engine.input.connect(w).connect(engine.destination); return noise();`,
  },
  ...[
    ['at its own rate', ''],
    ['at playbackRate 0.5 (read between samples)', 's.playbackRate.value = 0.5;'],
    ['at playbackRate 1.37 detuned by -300 cents', 's.playbackRate.value = 1.37; s.detune.value = -300;'],
    ['looping between loopStart and loopEnd', 's.loop = true; s.loopStart = 0.01; s.loopEnd = 0.0173;'],
  ].map(([what, setup]) => ({
    name: `AudioBufferSourceNode ${what}`,
    tolerance: 1e-6,
    native: `const b = noise(1).buffer; const s = new AudioBufferSourceNode(ctx, { buffer: b }); ${setup} s.start(0.002); s.stop(0.07); return s;`,
    ours: `const b = noise(1).buffer; const s = engine.createBufferSource(); s.buffer = b; ${setup} s.start(0.002); s.stop(0.07); s.connect(engine.destination);`,
  })),
  {
    name: 'AudioBufferSourceNode start(when, offset, duration)',
    tolerance: 1e-6,
    native: `const s = new AudioBufferSourceNode(ctx, { buffer: noise(2).buffer }); s.start(0.001, 0.004, 0.02); return s;`,
    ours: `const s = engine.createBufferSource(); s.buffer = noise(2).buffer; s.start(0.001, 0.004, 0.02); s.connect(engine.destination);`,
  },
  ...[
    ['a mono response, normalised', 1, true],
    ['a mono response, not normalised', 1, false],
    ['a stereo response on a mono input', 2, true],
  ].map(([what, channels, normalize]) => ({
    name: `ConvolverNode with ${what}`,
    // FFT convolution in single precision both ways, over responses of 14 400 frames: the
    // sums differ in their last bits, relative to the output's scale.
    tolerance: 2e-5,
    frames: 16_384,
    native: `const ir = ctx.createBuffer(${channels}, 14400, 48000);
             for (let c = 0; c < ${channels}; c += 1) { const d = ir.getChannelData(c); let s = 7 + c; for (let i = 0; i < d.length; i += 1) { s = (s * 16807) % 2147483647; d[i] = (s / 2147483647 - 0.5) * Math.exp(-i / 3000); } }
             const cv = new ConvolverNode(ctx, { disableNormalization: ${!normalize} }); cv.buffer = ir; const n = noise(); n.connect(cv); return cv;`,
    ours: `const ir = ctx.createBuffer(${channels}, 14400, 48000);
           for (let c = 0; c < ${channels}; c += 1) { const d = ir.getChannelData(c); let s = 7 + c; for (let i = 0; i < d.length; i += 1) { s = (s * 16807) % 2147483647; d[i] = (s / 2147483647 - 0.5) * Math.exp(-i / 3000); } }
           const cv = engine.createConvolver(); cv.normalize = ${normalize}; cv.buffer = ir; engine.input.connect(cv).connect(engine.destination); return noise();`,
  })),
];

let page;
let close;
let results;

before(async () => {
  ({ page, close } = await openTwinPage());
  results = await renderTwins(page, CASES);
});

after(async () => {
  await close?.();
});

CASES.forEach((c, i) => {
  test(`${c.name}: matches Chromium within ${c.tolerance}`, (t) => {
    const { native, ours, errors } = results[i];
    assert.deepEqual(errors, [], 'the engine refused nothing');
    assert.ok(rms(native[0]) > 1e-3, `the oracle is not silent (RMS ${rms(native[0])})`);
    const worst = maxError(native, ours);
    t.diagnostic(`max |error| ${worst.max.toExponential(2)} (channel ${worst.channel}, frame ${worst.at})`);
    assert.ok(worst.max <= c.tolerance,
      `max |error| ${worst.max.toExponential(3)} at channel ${worst.channel} frame ${worst.at}: `
      + `Chromium ${native[worst.channel][worst.at]}, ours ${ours[worst.channel][worst.at]}`);
  });
});
