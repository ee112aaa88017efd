// Benchmarks G4, G5 and G11 of the shared BENCHMARKS.md, run on the engine's wasm in Node (V8,
// the JavaScript engine Chromium runs) because they need a precise clock around single calls:
// Chromium's audio thread has none, and its Workers round performance.now() to 5 µs or more.
//
// G4: the SIMD128 build ÷ the scalar build of the same kernels, alone (gain, mix, a bank of four
//     f32 biquads in one register, eight in two, and the engine's own eight f64 Web Audio
//     biquads side by side), from two builds with the `kernel-bench` feature made here.
// G5: rustfft's scalar planner ÷ its SIMD128 planner (the scalar build's RealFft ÷ the SIMD
//     build's, sizes 256–4096, geometric mean of the per-size medians; also its complex
//     transform alone, G5a″); and the fastest JS FFT on npm (fft.js) doing AnalyserNode's
//     spectrum ÷ Quaver's Analyser doing the same.
// G11: per-quantum render time of the G2 graph, p99 ÷ median over 10⁴ quanta, per round.
//
// Sides alternate (ABAB), 2 warm-up pairs then BENCH_PAIRS measured (default 10); both sides'
// outputs are compared before anything is timed. Writes bench-results/engine.{json,md}.
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TRACKS, seededNoise, track } from '../benches/browser/graphs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'bench-results');
const PAIRS = Math.max(1, Number(process.env.BENCH_PAIRS ?? 10));
const WARMUP = 2;
const SAMPLE_RATE = 48_000;
const QUANTUM = 128;
const FFT_SIZES = [256, 512, 1024, 2048, 4096];
// Each timed batch of transforms lasts about this long, so the clock's own cost is noise.
const BATCH_MS = 25;
const G11_QUANTA = 10_000;
const G11_WARMUP_QUANTA = 2_000;
const G11_ROUNDS = Math.max(3, Math.round(PAIRS / 2));
const FFTJS = createRequire(import.meta.url)('fft.js');

const median = (xs) => quantile(xs, 0.5);
function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (at - lo);
}
const geomean = (xs) => Math.exp(xs.reduce((sum, x) => sum + Math.log(x), 0) / xs.length);

/** One instance of the engine's glue and wasm; the query string keeps the two builds apart. */
async function loadBuild(name, wasmFile, dir = path.join(root, 'pkg')) {
  const glue = await import(`${pathToFileURL(path.join(dir, 'quaver.js')).href}?${name}`);
  const wasm = glue.initSync({ module: readFileSync(path.join(dir, wasmFile)) });
  return { name, glue, wasm };
}

/**
 * The engine with its kernels exported alone (feature `kernel-bench`), with and without
 * SIMD128, each in target folders of its own so the package's builds stay as they are.
 */
function withoutRustflags(env) {
  const { RUSTFLAGS, ...rest } = env;
  return rest;
}

function buildKernels() {
  const builds = [
    // No RUSTFLAGS of its own: an empty one would hide .cargo/config.toml's +simd128.
    { name: 'kernels-simd', args: ['--features', 'kernel-bench'], rustflags: null },
    { name: 'kernels-scalar', args: ['--no-default-features', '--features', 'kernel-bench'], rustflags: '-C target-feature=-simd128' },
  ];
  return builds.map(({ name, args, rustflags }) => {
    const out = path.join(root, 'target', `${name}-pkg`);
    console.log(`[bench] building ${name} (wasm-pack, release)`);
    const result = spawnSync('wasm-pack', ['build', '--target', 'web', '--mode', 'no-install', '--release', '--no-pack', '--out-dir', out, '--', ...args], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...withoutRustflags(process.env), CARGO_TARGET_DIR: path.join(root, 'target', name), ...(rustflags ? { RUSTFLAGS: rustflags } : {}) },
    });
    if (result.status !== 0) throw new Error(`wasm-pack build of ${name} failed (see above)`);
    return { name, dir: out };
  });
}

// ── G4: the same kernels from the SIMD128 build and from the scalar build ───────────────

const G4_KERNELS = [
  { kernel: 'gain', id: 'G4a', what: 'gain (dst = src · g), one channel', target: 3 },
  { kernel: 'mix', id: 'G4a′', what: 'mix (dst += src), eight channels into one', target: 3 },
  { kernel: 'bank4', id: 'G4b', what: 'four f32 biquads across one register', target: 3.5 },
  { kernel: 'bank8', id: 'G4c', what: 'eight f32 biquads in two registers of four', target: 6 },
  { kernel: 'side8', id: 'G4d', what: "the engine's eight f64 Web Audio biquads side by side (two to a register)", target: null },
];
// Quanta per call: enough that the call into wasm is noise.
const G4_QUANTA = 64;

function g4(simd, scalar) {
  return G4_KERNELS.map(({ kernel, id, what, target }) => {
    // Equal work: from fresh state, both builds compute the same checksum.
    const [checkScalar, checkSimd] = [scalar, simd].map(({ glue }) => new glue.KernelBench()[kernel](1000));
    const [a, b] = [scalar, simd].map(({ glue }) => {
      const bench = new glue.KernelBench();
      return () => bench[kernel](G4_QUANTA);
    });
    const timing = alternate(a, b);
    const perQuantum = (ms) => `${((ms * 1000) / G4_QUANTA).toFixed(3)} µs`;
    console.log(`  ${id} ${kernel}: scalar ${perQuantum(timing.msA)}, SIMD ${perQuantum(timing.msB)} a quantum, ratio ${timing.ratio.toFixed(2)}× (checksums ${checkScalar} and ${checkSimd})`);
    return {
      id,
      what: `scalar build ÷ SIMD128 build, ${what}`,
      value: timing.ratio,
      target: target ?? 1,
      better: 'higher',
      informational: target === null,
      valid: checkScalar === checkSimd && Number.isFinite(checkSimd),
      detail: `scalar ${perQuantum(timing.msA)}, SIMD ${perQuantum(timing.msB)} per quantum; middle half ${timing.quartiles.map((q) => q.toFixed(2)).join('–')}×`,
      ...timing,
    };
  });
}

/** Runs `fn` `reps` times and returns the mean milliseconds per call. */
function timePerCall(fn, reps) {
  const start = performance.now();
  for (let i = 0; i < reps; i += 1) fn();
  return (performance.now() - start) / reps;
}

/** Enough repetitions of `fn` to last about BATCH_MS. */
function calibrate(fn) {
  let reps = 1;
  while (timePerCall(fn, reps) * reps < BATCH_MS / 4) reps *= 2;
  return reps * 4;
}

/** ABAB timing of two calls doing equal work: per-pair ratios A ÷ B. */
function alternate(a, b) {
  const repsA = calibrate(a);
  const repsB = calibrate(b);
  const ratios = [];
  const ms = { a: [], b: [] };
  for (let pair = 0; pair < WARMUP + PAIRS; pair += 1) {
    const ta = timePerCall(a, repsA);
    const tb = timePerCall(b, repsB);
    if (pair < WARMUP) continue;
    ms.a.push(ta);
    ms.b.push(tb);
    ratios.push(ta / tb);
  }
  return { ratios, ratio: median(ratios), quartiles: [quantile(ratios, 0.25), quantile(ratios, 0.75)], msA: median(ms.a), msB: median(ms.b) };
}

// ── G5a′: rustfft's planners alone, inside wasm (no copies across the boundary) ───────────

const G5_INNER_REPS = 16;

function g5Kernels(simd, scalar) {
  const sizes = FFT_SIZES.map((size) => {
    const [a, b] = [scalar, simd].map(({ glue }) => {
      const bench = new glue.KernelBench();
      if (!bench.plan_fft(size)) throw new Error(`no FFT of ${size}`);
      return { bench, run: () => bench.fft(G5_INNER_REPS) };
    });
    // Equal work: the two planners' spectra agree (summed magnitudes within 1e-5).
    const [sumA, sumB] = [a.bench.fft(1), b.bench.fft(1)];
    const relativeDiff = Math.abs(sumA - sumB) / sumB;
    const timing = alternate(a.run, b.run);
    const us = (ms) => ((ms * 1000) / G5_INNER_REPS).toFixed(2);
    console.log(`  G5a′ ${size}: scalar ${us(timing.msA)} µs, SIMD ${us(timing.msB)} µs a transform, ratio ${timing.ratio.toFixed(2)}× (summed magnitudes within ${relativeDiff.toExponential(1)})`);
    return { size, ...timing, relativeDiff, valid: relativeDiff <= 1e-5 };
  });
  const value = geomean(sizes.map((s) => s.ratio));
  return { id: 'G5a′', what: "rustfft's scalar planner ÷ its SIMD128 planner, the transform alone inside wasm (RealFft of the kernel-bench builds, no copies across the boundary), sizes 256–4096, geometric mean of per-size medians", value, target: 2, better: 'higher', valid: sizes.every((s) => s.valid), sizes };
}

// ── G5a″: rustfft's planners on complex input, as G5 words it ─────────────────────────────

/**
 * rustfft's own complex transform, planned by its scalar planner (scalar build) and by its SIMD128
 * planner (SIMD build), with no real-input wrapper around it: G5 as BENCHMARKS.md words it, where
 * G5a′ also times realfft's pre- and post-processing, which is scalar in both builds.
 */
function g5Complex(simd, scalar) {
  const sizes = FFT_SIZES.map((size) => {
    const [a, b] = [scalar, simd].map(({ glue }) => {
      const bench = new glue.KernelBench();
      if (!bench.plan_complex_fft(size)) throw new Error(`no complex FFT of ${size}`);
      return { bench, run: () => bench.complex_fft(G5_INNER_REPS) };
    });
    const [sumA, sumB] = [a.bench.complex_fft(1), b.bench.complex_fft(1)];
    const relativeDiff = Math.abs(sumA - sumB) / sumB;
    const timing = alternate(a.run, b.run);
    const us = (ms) => ((ms * 1000) / G5_INNER_REPS).toFixed(2);
    console.log(`  G5a″ ${size}: scalar ${us(timing.msA)} µs, SIMD ${us(timing.msB)} µs a transform, ratio ${timing.ratio.toFixed(2)}× (summed magnitudes within ${relativeDiff.toExponential(1)})`);
    return { size, ...timing, relativeDiff, valid: relativeDiff <= 1e-5 };
  });
  const value = geomean(sizes.map((s) => s.ratio));
  return { id: 'G5a″', what: "rustfft's scalar planner ÷ its SIMD128 planner on complex input (its own forward transform, no real-input wrapper; input copied in each time in both builds), sizes 256–4096, geometric mean of per-size medians", value, target: 2, better: 'higher', valid: sizes.every((s) => s.valid), sizes };
}

// ── G5a: the same RealFft from the scalar build and from the SIMD128 build ───────────────

function g5Planners(simd, scalar) {
  const sizes = FFT_SIZES.map((size) => {
    const input = seededNoise(size);
    const sides = [scalar, simd].map(({ glue }) => {
      const fft = new glue.RealFft(size);
      const out = new Float32Array(size + 2);
      return { run: () => fft.forward(input, out), out };
    });
    sides.forEach((s) => s.run());
    let peak = 0;
    let worst = 0;
    for (let i = 0; i < size + 2; i += 1) {
      peak = Math.max(peak, Math.abs(sides[1].out[i]));
      worst = Math.max(worst, Math.abs(sides[0].out[i] - sides[1].out[i]));
    }
    const timing = alternate(sides[0].run, sides[1].run);
    const relativeDiff = worst / peak;
    console.log(`  G5a ${size}: scalar ${(timing.msA * 1000).toFixed(2)} µs, SIMD ${(timing.msB * 1000).toFixed(2)} µs, ratio ${timing.ratio.toFixed(2)}× (outputs within ${relativeDiff.toExponential(1)} of the peak)`);
    return { size, ...timing, relativeDiff, valid: relativeDiff <= 1e-5 };
  });
  const value = geomean(sizes.map((s) => s.ratio));
  return { id: 'G5a', what: "rustfft's scalar planner ÷ its SIMD128 planner: RealFft.forward in the scalar build ÷ the SIMD build, sizes 256–4096, geometric mean of per-size medians", value, target: 2, better: 'higher', valid: sizes.every((s) => s.valid), sizes };
}

// ── G5b: AnalyserNode's spectrum with fft.js ÷ with Quaver's Analyser ───────────────────

/** getFloatFrequencyData's arithmetic in plain JS on fft.js (double precision throughout). */
function jsSpectrum(size, smoothing) {
  const fft = new FFTJS(size);
  const window = new Float64Array(size);
  for (let n = 0; n < size; n += 1) {
    const x = (2 * Math.PI * n) / size;
    window[n] = 0.42 - 0.5 * Math.cos(x) + 0.08 * Math.cos(2 * x);
  }
  const frame = new Float64Array(size);
  const bins = fft.createComplexArray();
  const smoothed = new Float64Array(size / 2);
  return (samples, out) => {
    for (let n = 0; n < size; n += 1) frame[n] = samples[n] * window[n];
    fft.realTransform(bins, frame);
    for (let k = 0; k < size / 2; k += 1) {
      const magnitude = Math.hypot(bins[2 * k], bins[2 * k + 1]) / size;
      smoothed[k] = smoothing * smoothed[k] + (1 - smoothing) * magnitude;
      out[k] = 20 * Math.log10(smoothed[k]);
    }
  };
}

function g5Spectrum(simd) {
  const sizes = FFT_SIZES.map((size) => {
    const samples = seededNoise(size);
    const js = jsSpectrum(size, 0.8);
    const analyser = new simd.glue.Analyser(size);
    analyser.set_smoothing(0.8);
    const quaver = (input, out) => {
      analyser.analyse(input);
      analyser.float_frequency_data(out);
    };
    const outJs = new Float32Array(size / 2);
    const outQuaver = new Float32Array(size / 2);
    // Equal work: from the same state, one frame gives the same decibels on both sides.
    js(samples, outJs);
    quaver(samples, outQuaver);
    let worstDb = 0;
    for (let k = 1; k < size / 2; k += 1) worstDb = Math.max(worstDb, Math.abs(outJs[k] - outQuaver[k]));
    const timing = alternate(() => js(samples, outJs), () => quaver(samples, outQuaver));
    analyser.free();
    console.log(`  G5b ${size}: fft.js ${(timing.msA * 1000).toFixed(2)} µs, Quaver ${(timing.msB * 1000).toFixed(2)} µs, ratio ${timing.ratio.toFixed(2)}× (decibels within ${worstDb.toExponential(1)})`);
    return { size, ...timing, worstDb, valid: worstDb <= 0.01 };
  });
  const value = geomean(sizes.map((s) => s.ratio));
  return { id: 'G5b', what: "AnalyserNode's spectrum (Blackman window, FFT, smoothing, decibels): fft.js in JS ÷ Quaver's Analyser, sizes 256–4096, geometric mean of per-size medians", value, target: 2, better: 'higher', valid: sizes.every((s) => s.valid), sizes };
}

// ── G11: per-quantum render times of the G2 graph ──────────────────────────────────────

/** The G2 graph built through the engine's own Controller, batch handed to a WorkletEngine. */
function g2Engine({ glue, wasm }) {
  const controller = new glue.Controller(SAMPLE_RATE, 512, 1024);
  const engine = new glue.WorkletEngine(SAMPLE_RATE, 512, 1024);
  const kinds = new Map(controller.describe().map((k) => [k.name, k]));
  const kind = (name) => {
    const k = kinds.get(name);
    if (!k) throw new Error(`the engine describes no kind '${name}' (it has ${[...kinds.keys()].join(', ')})`);
    return k;
  };
  const add = (name, values = {}, choices = {}) => {
    const k = kind(name);
    const id = controller.add_node(name);
    for (const [param, value] of Object.entries(values)) {
      const index = k.params.findIndex((p) => p.name === param);
      if (index < 0) throw new Error(`${name} has no parameter ${param}`);
      controller.set_value(id, index, value);
    }
    for (const [setting, choice] of Object.entries(choices)) {
      const index = k.settings.findIndex((s) => s.name === setting);
      controller.configure_choice(id, index, k.settings[index].choices.indexOf(choice));
    }
    return id;
  };
  const bus = add('gain');
  for (let t = 0; t < TRACKS; t += 1) {
    const strip = track(t);
    let last = controller.input();
    for (const f of strip.filters) {
      const values = { frequency: f.frequency, Q: f.Q, ...(f.gain === undefined ? {} : { gain: f.gain }) };
      const filter = add('biquad', values, { type: f.type });
      controller.connect(last, 0, filter, 0);
      last = filter;
    }
    const gain = add('gain', { gain: strip.gain });
    const pan = add('stereo-panner', { pan: strip.pan });
    controller.connect(last, 0, gain, 0);
    controller.connect(gain, 0, pan, 0);
    controller.connect(pan, 0, bus, 0);
  }
  controller.connect(bus, 0, controller.destination(), 0);
  engine.submit(1, controller.take_batch());
  const noise = seededNoise(SAMPLE_RATE * 10);
  let frame = 0;
  return {
    nodes: controller.node_count(),
    /** Renders one quantum of the noise; returns its render time in ms. */
    quantum() {
      const at = (frame * QUANTUM) % (noise.length - QUANTUM);
      new Float32Array(wasm.memory.buffer, engine.input_ptr(), QUANTUM).set(noise.subarray(at, at + QUANTUM));
      const start = performance.now();
      engine.process(frame * QUANTUM, 1);
      const ms = performance.now() - start;
      frame += 1;
      return ms;
    },
    output: () => new Float32Array(wasm.memory.buffer, engine.output_ptr(), 2 * QUANTUM),
    errors: () => engine.error_count(),
    free() {
      engine.free();
      controller.free();
    },
  };
}

function g11(simd) {
  const rounds = [];
  for (let round = 0; round < G11_ROUNDS; round += 1) {
    const g2 = g2Engine(simd);
    for (let q = 0; q < G11_WARMUP_QUANTA; q += 1) g2.quantum();
    const times = new Float64Array(G11_QUANTA);
    let energy = 0;
    for (let q = 0; q < G11_QUANTA; q += 1) {
      times[q] = g2.quantum();
      for (const v of g2.output()) energy += v * v;
    }
    const sorted = [...times].sort((a, b) => a - b);
    const p50 = quantile(sorted, 0.5);
    const p99 = quantile(sorted, 0.99);
    const rms = Math.sqrt(energy / (G11_QUANTA * 2 * QUANTUM));
    const problems = [];
    if (!(rms > 1e-3)) problems.push(`output RMS ${rms} (silent?)`);
    if (g2.errors() > 0) problems.push(`${g2.errors()} engine errors`);
    rounds.push({ p50, p99, ratio: p99 / p50, worst: sorted[sorted.length - 1], mean: times.reduce((s, t) => s + t, 0) / times.length, rms, nodes: g2.nodes, problems });
    g2.free();
    console.log(`  G11 round ${round + 1}: p50 ${(p50 * 1000).toFixed(1)} µs, p99 ${(p99 * 1000).toFixed(1)} µs, p99/p50 ${(p99 / p50).toFixed(3)}, worst ${(sorted[sorted.length - 1] * 1000).toFixed(0)} µs${problems.length ? ` — ${problems.join('; ')}` : ''}`);
  }
  const ratios = rounds.map((r) => r.ratio);
  return { id: 'G11', what: `per-quantum render time of the G2 graph (${rounds[0].nodes} nodes), p99 ÷ median over ${G11_QUANTA} quanta, median of ${rounds.length} rounds`, value: median(ratios), target: 1.5, better: 'lower', valid: rounds.every((r) => r.problems.length === 0), share: ratios.filter((r) => r <= 1.5).length / ratios.length, rounds };
}

async function main() {
  mkdirSync(outDir, { recursive: true });
  const simd = await loadBuild('simd', 'quaver_bg.wasm');
  const scalar = await loadBuild('scalar', 'quaver_scalar_bg.wasm');
  const meta = { node: process.version, v8: process.versions.v8, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, load_average_start: os.loadavg(), pairs: PAIRS, warmup_pairs: WARMUP, date: new Date().toISOString() };
  console.log(`[bench] engine in Node ${meta.node} (V8 ${meta.v8}); ${meta.cpus} × ${meta.cpu}; load ${meta.load_average_start.map((l) => l.toFixed(2)).join(' ')}`);
  const [kernelSimd, kernelScalar] = await Promise.all(buildKernels().map(({ name, dir }) => loadBuild(name, 'quaver_bg.wasm', dir)));
  const results = [...g4(kernelSimd, kernelScalar), g5Planners(simd, scalar), g5Kernels(kernelSimd, kernelScalar), g5Complex(kernelSimd, kernelScalar), g5Spectrum(simd), g11(simd)];
  meta.load_average_end = os.loadavg();
  const byId = (id) => results.find((r) => r.id === id);
  const verdict = (r) => (!r.valid ? '**INVALID**' : r.informational ? '(no target)' : (r.better === 'lower' ? r.value <= r.target : r.value >= r.target) ? 'met' : '**not met**');
  const perSize = (r) => r.sizes.map((s) => `${s.size}: ${s.ratio.toFixed(2)}×`).join(', ');
  const md = [
    `Engine benchmarks in Node ${meta.node} (V8 ${meta.v8}), ${meta.cpus} × ${meta.cpu}, load ${meta.load_average_start.map((l) => l.toFixed(2)).join(' ')} → ${meta.load_average_end.map((l) => l.toFixed(2)).join(' ')}, ${meta.date}.`,
    `G4: ${WARMUP} warm-up and ${PAIRS} measured pairs per kernel, each call ${G4_QUANTA} quanta, each side a batch of about ${BATCH_MS} ms of calls; G5: ${WARMUP} warm-up and ${PAIRS} measured pairs per size, each side a batch of about ${BATCH_MS} ms of calls; G11: ${G11_QUANTA} quanta per round after ${G11_WARMUP_QUANTA} of warm-up, each timed alone with performance.now().`,
    '',
    '| id | comparison | value | target | verdict | detail |',
    '|---|---|---|---|---|---|',
    ...results.map((r) => {
      const detail = r.detail ?? (r.sizes
        ? perSize(r)
        : `p50 ${(median(r.rounds.map((x) => x.p50)) * 1000).toFixed(1)} µs, p99 ${(median(r.rounds.map((x) => x.p99)) * 1000).toFixed(1)} µs per quantum; rounds ${r.rounds.map((x) => x.ratio.toFixed(2)).join(', ')}; worst quantum ${(Math.max(...r.rounds.map((x) => x.worst)) * 1000).toFixed(0)} µs`);
      const target = r.informational ? '—' : `${r.better === 'lower' ? '≤' : '≥'} ${r.target}`;
      return `| ${r.id} | ${r.what} | ${r.value.toFixed(2)}${r.better === 'lower' ? '' : '×'} | ${target} | ${verdict(r)} | ${detail} |`;
    }),
    '',
    `- G4's two builds compute identical checksums for every kernel. G5a outputs agree within ${Math.max(...byId('G5a').sizes.map((s) => s.relativeDiff)).toExponential(1)} of the spectrum's peak; G5b's decibels within ${Math.max(...byId('G5b').sizes.map((s) => s.worstDb)).toExponential(1)} dB (fft.js computes in f64, Quaver in f32).`,
    '',
  ].join('\n');
  writeFileSync(path.join(outDir, 'engine.json'), `${JSON.stringify({ meta, results }, null, 2)}\n`);
  writeFileSync(path.join(outDir, 'engine.md'), md);
  console.log(`\n${md}`);
  console.log('[bench] wrote bench-results/engine.json, engine.md');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
