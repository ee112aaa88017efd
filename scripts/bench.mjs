// Browser benchmarks (G1, G2, G3, G4 at graph level, G6, G7, G9 and W2 of the shared BENCHMARKS.md): serves the
// repository root, drives benches/browser/ in headless Chromium, alternates the two sides of
// each ratio with a baseline render in every round (A, B, baseline; 2 warm-up rounds, then the
// measured ones), checks that both sides did the same work, and writes
// bench-results/browser.{json,md,png}. Only ratios of renders timed side by side are reported:
// absolute times on these shared machines move by up to 2× from run to run.
//
// Environment: BENCH_PAIRS (measured rounds, default 10), BENCH_WARMUP (default 2),
// BENCH_CASES (e.g. "G1,G6"; default all).
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeRun, openBenchPage, root, runMeta } from './bench-page.mjs';

const outDir = path.join(root, 'bench-results');
const PAIRS = Math.max(1, Number(process.env.BENCH_PAIRS ?? 10));
const WARMUP = Math.max(0, Number(process.env.BENCH_WARMUP ?? 2));
const ONLY = process.env.BENCH_CASES ? new Set(process.env.BENCH_CASES.split(',')) : null;
const SAMPLE_RATE = 48_000;
const QUANTUM = 128;
// Repeated renders of one variant must agree this closely; Chromium's own graph is not
// bit-reproducible when many connections meet at one input (its summing order varies).
const RERUN_TOLERANCE = 1e-6;
// Output of the stage that ends the chain, measured against its input, must not fall below
// this RMS: a worklet that throws renders silence, and silence would "win" every ratio.
const AUDIBLE_RMS = 1e-3;
// Must match benches/browser/bench.js.
const PASS_THROUGHS = 16;

const minusBase = (r, v) => r[v] - r.baseline;

/**
 * Each case: the two sides (a, b), the ratio per round, and what equal work means for it.
 * `compare`: the A/B outputs compared in full on the first round; `maxRelRms` bounds their
 * relative RMS difference (beyond it the ratio is flagged invalid); `frames` limits the
 * comparison (G9 differs by design after its first second).
 */
const CASES = [
  {
    id: 'G1',
    what: '256 serial lowpass biquads, mono: native BiquadFilterNode chain ÷ Quaver',
    a: 'native',
    b: 'quaver',
    seconds: 10,
    ratio: (r) => minusBase(r, 'native') / minusBase(r, 'quaver'),
    target: 3,
    better: 'higher',
    maxRelRms: 1e-3,
  },
  {
    id: 'G2',
    what: '64 tracks × (4 biquads → gain → pan) → stereo bus: native ÷ Quaver',
    a: 'native',
    b: 'quaver',
    seconds: 10,
    ratio: (r) => minusBase(r, 'native') / minusBase(r, 'quaver'),
    target: 8,
    better: 'higher',
    maxRelRms: 1e-3,
  },
  {
    id: 'G3',
    what: '1024 unity gains in a chain: native GainNodes ÷ Quaver',
    a: 'native',
    b: 'quaver',
    seconds: 10,
    ratio: (r) => minusBase(r, 'native') / minusBase(r, 'quaver'),
    target: 5,
    better: 'higher',
    maxRelRms: 0,
    extra: [
      {
        id: 'G3-node',
        what: "Quaver's cost per node per quantum (µs)",
        value: (r, c) => (minusBase(r, 'quaver') * 1000) / (c.quanta * 1024),
        target: 0.1,
        better: 'lower',
        unit: ' µs',
      },
      {
        id: 'G3-native-node',
        what: 'native GainNode cost per node per quantum (µs), for reference',
        value: (r, c) => (minusBase(r, 'native') * 1000) / (c.quanta * 1024),
        unit: ' µs',
      },
    ],
  },
  ...[
    ['G4-gain', 'the G3 graph (1024 gains)', 3, 'gain/mix kernels: ≥ 3×'],
    ['G4-chain', 'the G1 graph (256 serial biquads, run two at a time)', 3.5, 'biquad bank: ≥ 3.5×'],
    ['G4-tracks', 'the G2 graph (64 tracks, biquads side by side)', 3.5, 'biquad bank: ≥ 3.5×'],
  ].map(([id, graph, target, kernelTarget]) => ({
    id,
    what: `scalar build ÷ SIMD128 build, whole renders of ${graph}`,
    a: 'scalar',
    b: 'simd',
    seconds: 10,
    ratio: (r) => minusBase(r, 'scalar') / minusBase(r, 'simd'),
    target,
    better: 'higher',
    // The twins agree to rounding: SIMD and scalar kernels compute the same sums in the same order.
    maxRelRms: 1e-6,
    lengthNote: `graph level, not the kernels alone: each side also pays for scheduling, parameter handling and the bridge, so this ratio is below the kernels' own (BENCHMARKS.md G4 sets ${kernelTarget} for the kernel)`,
  })),
  {
    id: 'G6',
    what: `bridge cost: Quaver pass-through worklet ÷ plain JS pass-through worklet (${PASS_THROUGHS} in series on each side)`,
    a: 'quaver',
    b: 'js',
    seconds: 10,
    pairs: Math.max(PAIRS, 30),
    ratio: (r) => minusBase(r, 'quaver') / minusBase(r, 'js'),
    target: 1.15,
    better: 'lower',
    maxRelRms: 0,
    lengthNote: `${PASS_THROUGHS} pass-through worklets in series on each side, because one adds only ~10 ms to a 10 s render, the size of the baseline's run-to-run jitter (with one worklet, even 60 s renders gave per-pair ratios from 0.5 to 1.9); the ratio is per worklet either way. At least 30 pairs: the Quaver side's own time still varies by up to ±30 % from render to render`,
    extra: [
      {
        id: 'G6-quaver-quantum',
        what: "one Quaver pass-through worklet's cost per quantum over the baseline (µs)",
        value: (r, c) => (minusBase(r, 'quaver') * 1000) / (c.quanta * PASS_THROUGHS),
        unit: ' µs',
      },
      {
        id: 'G6-js-quantum',
        what: "one JS pass-through worklet's cost per quantum over the baseline (µs)",
        value: (r, c) => (minusBase(r, 'js') * 1000) / (c.quanta * PASS_THROUGHS),
        unit: ' µs',
      },
    ],
  },
  {
    id: 'G7',
    what: 'the same 256-biquad chain written in JS in one worklet ÷ Quaver',
    a: 'js',
    b: 'quaver',
    seconds: 10,
    ratio: (r) => minusBase(r, 'js') / minusBase(r, 'quaver'),
    target: 2,
    better: 'higher',
    maxRelRms: 1e-3,
  },
  {
    id: 'W2',
    what: 'a 64-track project (audio clip → 4 biquad inserts → fader → pan, a send to a filtered bus): native OfflineAudioContext render of the same graph ÷ Quaver\'s bounce in a Worker',
    a: 'native',
    b: 'bounce',
    seconds: 10,
    // The baseline (an OfflineAudioContext's own cost) comes off the native side only: the
    // Worker render has no AudioContext and keeps its own overheads in its time.
    ratio: (r) => minusBase(r, 'native') / r.bounce,
    target: 8,
    better: 'higher',
    maxRelRms: 1e-3,
    extra: [
      {
        id: 'W2-realtime',
        what: "Quaver's Worker bounce speed (× real time)",
        value: (r) => 10_000 / r.bounce,
        unit: '×',
      },
    ],
  },
  {
    id: 'W2-threads',
    what: "the W2 project: native OfflineAudioContext render ÷ the threads build's bounce (tracks in parts on a pool of every core, as the studio bounces on an isolated page)",
    a: 'native',
    b: 'threads',
    seconds: 10,
    ratio: (r) => minusBase(r, 'native') / r.threads,
    target: 8,
    better: 'higher',
    maxRelRms: 1e-3,
  },
  {
    id: 'G9',
    what: 'Quaver, 256 biquads: 1 s noise then 9 s digital zeros ÷ 10 s noise (time)',
    a: 'burst',
    b: 'noise',
    seconds: 10,
    ratio: (r) => minusBase(r, 'burst') / minusBase(r, 'noise'),
    target: 1.1,
    better: 'lower',
    maxRelRms: 0,
    compareFrames: SAMPLE_RATE,
    extra: [
      {
        id: 'G9-raw',
        what: 'the same ratio without subtracting the baseline, for reference',
        value: (r) => r.burst / r.noise,
        unit: '×',
      },
    ],
  },
];

/** The q-quantile by linear interpolation (q = 0.5: the median). */
const quantile = (xs, q) => {
  const s = [...xs].sort((x, y) => x - y);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (at - lo);
};
const median = (xs) => quantile(xs, 0.5);
const meets = (value, target, better) => (better === 'lower' ? value <= target : value >= target);
const fmt = (v, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : v === undefined ? '—' : String(v));
const sci = (v) => (v === 0 ? '0' : v.toExponential(1));

function runOnce(page, id, variant, options) {
  return page.evaluate(([i, v, o]) => window.runCase(i, v, o), [id, variant, options]);
}

/** Checks one render's own output; returns the problems found. */
function ownProblems(result) {
  const problems = [...result.problems];
  const [left] = result.channels;
  if (result.channels.some((c) => c.nonFinite > 0)) problems.push(`${result.variant}: NaN/∞ in the output`);
  if (!(left.rms > AUDIBLE_RMS)) problems.push(`${result.variant}: silent output (RMS ${left.rms})`);
  return problems;
}

async function runCase(page, c) {
  const pairs = c.pairs ?? PAIRS;
  const variants = [c.a, c.b, 'baseline'];
  const seconds = c.seconds;
  const quanta = (seconds * SAMPLE_RATE) / QUANTUM;
  const rounds = [];
  const problems = new Set();
  const reference = {};
  const rerunDrift = {};
  let comparison = null;
  let onset = {};
  await page.reload();
  await page.waitForFunction(() => window.benchReady === true);
  for (let round = 0; round < WARMUP + pairs; round += 1) {
    const times = {};
    for (const variant of variants) {
      await page.evaluate(() => window.gc?.());
      const first = round === 0;
      const keep = first ? `${variant}/ref` : `${variant}/now`;
      const result = await runOnce(page, c.id, variant, { seconds, keep });
      for (const p of ownProblems(result)) problems.add(p);
      times[variant] = result.ms;
      if (first) {
        reference[variant] = result;
      } else if (result.hash !== reference[variant].hash) {
        const [l, r] = await page.evaluate(([x, y]) => window.compareOutputs(x, y), [`${variant}/ref`, keep]);
        const drift = Math.max(l.relativeRmsDiff, r.relativeRmsDiff);
        rerunDrift[variant] = Math.max(rerunDrift[variant] ?? 0, drift);
        if (drift > RERUN_TOLERANCE) problems.add(`${variant}: round ${round} rendered a different output (relative RMS difference ${sci(drift)})`);
      }
    }
    if (round === 0) {
      comparison = await page.evaluate(([x, y, n]) => window.compareOutputs(x, y, n), [`${c.a}/ref`, `${c.b}/ref`, c.compareFrames]);
      const worst = Math.max(...comparison.map((ch) => ch.relativeRmsDiff));
      if (!(worst <= c.maxRelRms)) problems.add(`${c.a} and ${c.b} outputs differ: relative RMS difference ${sci(worst)} > ${sci(c.maxRelRms)}`);
      onset = subnormalSplit(reference);
    }
    const label = round < WARMUP ? `warm-up ${round + 1}` : `pair ${round - WARMUP + 1}/${pairs}`;
    console.log(`  ${c.id} ${label}: ${variants.map((v) => `${v} ${fmt(times[v], 1)} ms`).join(', ')}`);
    if (round >= WARMUP) rounds.push(times);
  }
  await page.evaluate(() => window.forget());

  const ratios = rounds.map(c.ratio);
  const invalid = problems.size > 0;
  const row = {
    id: c.id,
    what: c.what,
    seconds,
    pairs: rounds.length,
    warmup: WARMUP,
    a: c.a,
    b: c.b,
    ms_median: Object.fromEntries(variants.map((v) => [v, median(rounds.map((r) => r[v]))])),
    ratio_median: median(ratios),
    ratio_quartiles: [quantile(ratios, 0.25), quantile(ratios, 0.75)],
    ratios,
    target: c.target,
    better: c.better,
    share_meeting: ratios.filter((x) => meets(x, c.target, c.better)).length / ratios.length,
    equal_work: {
      compared_frames: comparison[0].frames,
      max_abs_diff: Math.max(...comparison.map((ch) => ch.maxAbsDiff)),
      relative_rms_diff: Math.max(...comparison.map((ch) => ch.relativeRmsDiff)),
      bit_identical: comparison.every((ch) => ch.identical),
      rms: Object.fromEntries(variants.map((v) => [v, reference[v].channels[0].rms])),
      rerun_drift: rerunDrift,
      subnormals: Object.fromEntries(variants.map((v) => [v, reference[v].channels.reduce((n, ch) => n + ch.subnormals, 0)])),
      subnormals_by_part: onset,
      quaver_nodes: reference.quaver?.nodes ?? reference[c.a]?.nodes ?? null,
    },
    problems: [...problems],
    invalid,
    length_note: c.lengthNote ?? null,
  };
  row.met = !invalid && meets(row.ratio_median, c.target, c.better);
  row.extra = (c.extra ?? []).map((e) => {
    const values = rounds.map((r) => e.value(r, { quanta }));
    const m = median(values);
    return {
      id: e.id,
      what: e.what,
      median: m,
      values,
      unit: e.unit,
      target: e.target ?? null,
      better: e.better ?? null,
      share_meeting: e.target === undefined ? null : values.filter((x) => meets(x, e.target, e.better)).length / values.length,
      met: e.target === undefined ? null : !invalid && meets(m, e.target, e.better),
    };
  });
  if (c.id === 'G9') {
    // The mono signal is on both channels, so channel 0 counts each subnormal once.
    const [left] = reference.burst.channels;
    const total = left.subnormals;
    const inDecay = onset.burst[0].count - onset.noise[0].count;
    row.extra.push({
      id: 'G9-subnormals',
      what: `subnormal values in Quaver's output, burst render, channel 0 (${onset.noise[0].count} at the noise onset, as in the 10 s render; ${inDecay} as the tail decays, the last at frame ${left.lastSubnormal}; channel 1 the same)`,
      median: total,
      values: [total],
      unit: '',
      target: 0,
      better: 'lower',
      share_meeting: null,
      met: !invalid && total === 0,
    });
  }
  return row;
}

function failedRow(c, err) {
  return {
    id: c.id,
    what: c.what,
    seconds: c.seconds,
    pairs: 0,
    a: c.a,
    b: c.b,
    ms_median: {},
    ratio_median: NaN,
    ratios: [],
    target: c.target,
    better: c.better,
    share_meeting: 0,
    equal_work: { compared_frames: 0, rerun_drift: {}, subnormals: {}, rms: {} },
    problems: [`the benchmark failed: ${err.message.split('\n')[0]}`],
    invalid: true,
    met: false,
    extra: [],
  };
}

/** Where the subnormal outputs fall: in the first second, or after it. */
function subnormalSplit(reference) {
  const out = {};
  for (const [variant, r] of Object.entries(reference)) {
    out[variant] = r.channels.map((ch) => ({ count: ch.subnormals, first: ch.firstSubnormal, last: ch.lastSubnormal, lastNonZero: ch.lastNonZero }));
  }
  return out;
}

/** What the table has no room for: equal-work details worth knowing. */
function notes(rows) {
  const lines = [];
  for (const r of rows) {
    const ew = r.equal_work;
    if (r.length_note) lines.push(`- ${r.id}: ${r.length_note}.`);
    for (const [variant, drift] of Object.entries(ew.rerun_drift)) {
      lines.push(`- ${r.id}: repeated ${variant} renders are not bit-identical (relative RMS difference up to ${sci(drift)} from the first; tolerance ${sci(RERUN_TOLERANCE)}).`);
    }
    const subs = Object.entries(ew.subnormals).filter(([, n]) => n > 0).map(([v, n]) => `${v} ${n}`);
    if (subs.length) lines.push(`- ${r.id}: subnormal output values, both channels: ${subs.join(', ')}; every other variant 0.`);
    if (!ew.bit_identical && !r.invalid) {
      lines.push(`- ${r.id}: ${r.a} vs ${r.b} over ${ew.compared_frames} frames: max abs diff ${sci(ew.max_abs_diff)}, relative RMS diff ${sci(ew.relative_rms_diff)} (output RMS ${fmt(ew.rms[r.a], 4)} vs ${fmt(ew.rms[r.b], 4)}).`);
    }
    for (const p of r.problems) lines.push(`- ${r.id}: **${p}**`);
  }
  return lines.join('\n');
}

function table(rows) {
  const lines = [
    '| id | comparison | length | A | B | baseline | ratio (median) | middle half of pairs | target | pairs meeting | equal work |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const sign = r.better === 'lower' ? '≤' : '≥';
    const verdict = r.invalid ? ' — **INVALID**' : r.met ? '' : ' — **not met**';
    const ew = r.equal_work;
    const work = r.invalid
      ? r.problems.join('; ')
      : ew.bit_identical
        ? `bit-identical${ew.compared_frames < r.seconds * SAMPLE_RATE ? ` (first ${ew.compared_frames / SAMPLE_RATE} s)` : ''}`
        : `max abs diff ${sci(ew.max_abs_diff)}, rel. RMS diff ${sci(ew.relative_rms_diff)}`;
    lines.push(
      `| ${r.id} | ${r.what} | ${r.seconds} s | ${r.a} ${fmt(r.ms_median[r.a], 1)} ms | ${r.b} ${fmt(r.ms_median[r.b], 1)} ms | ${fmt(r.ms_median.baseline, 1)} ms | ${fmt(r.ratio_median)}× | ${r.ratio_quartiles ? `${fmt(r.ratio_quartiles[0])}–${fmt(r.ratio_quartiles[1])}` : '—'} | ${sign} ${r.target}× | ${Math.round(r.share_meeting * 100)} %${verdict} | ${work} |`,
    );
    for (const e of r.extra) {
      const target = e.target === null ? '—' : e.target === 0 ? '0' : `${e.better === 'lower' ? '≤' : '≥'} ${e.target}${e.unit}`;
      const share = e.share_meeting === null ? (e.target === null ? '—' : (e.met ? 'met' : '**not met**')) : `${Math.round(e.share_meeting * 100)} %${e.met ? '' : ' — **not met**'}`;
      const digits = e.unit.trim() === 'µs' ? 3 : 2;
      lines.push(`| ${e.id} | ${e.what} | | | | | ${Number.isInteger(e.median) ? e.median : fmt(e.median, digits)}${e.unit} | | ${target} | ${share} | |`);
    }
  }
  return lines.join('\n');
}

async function main() {
  mkdirSync(outDir, { recursive: true });
  const { page, pageErrors, close } = await openBenchPage(['--js-flags=--expose-gc']);
  const rows = [];
  let meta;
  try {
    const probe = await page.evaluate(() => window.subnormalProbe());
    meta = {
      ...(await runMeta(page)),
      sample_rate: SAMPLE_RATE,
      warmup_rounds: WARMUP,
      order: 'per round: A, B, baseline (source → destination); ratios use the same round\'s baseline',
      worklet_thread_keeps_subnormals: probe,
    };
    console.log(`[bench] ${meta.browser}; ${meta.cpus} × ${meta.cpu}; load ${meta.load_average_start.map((l) => l.toFixed(2)).join(' ')}`);
    console.log(`[bench] audio thread keeps subnormals: f32 ${probe.f32Kept}, f64 ${probe.f64Kept}`);
    for (const c of CASES) {
      if (ONLY && !ONLY.has(c.id)) continue;
      console.log(`[bench] ${c.id}: ${c.what}`);
      try {
        rows.push(await runCase(page, c));
      } catch (err) {
        // A render that throws (a worklet that failed to load, a refused graph) fails its case
        // loudly and lets the others run.
        console.log(`  ${c.id} FAILED: ${err.message}`);
        rows.push(failedRow(c, err));
      }
    }
    if (pageErrors.length) console.log(`[bench] page errors: ${pageErrors.join(' | ')}`);
    meta.load_average_end = os.loadavg();
    meta.page_errors = pageErrors;
    if (rows.length && !ONLY) await plotPng(page, rows);
  } finally {
    await close();
  }
  const md = [
    `Browser benchmarks, ${describeRun(meta)}.`,
    `${meta.warmup_rounds} warm-up rounds, then measured rounds of A, B and a baseline (source → destination) each; ratio = (A − baseline) ÷ (B − baseline) per round, median over rounds; "pairs meeting" is the share of rounds whose own ratio met the target.`,
    '',
    table(rows),
    '',
    notes(rows),
    '',
  ].join('\n');
  // A run of some cases (BENCH_CASES) writes its own report beside the full one, not over it.
  const stem = ONLY ? `browser-${[...ONLY].join('-')}` : 'browser';
  writeFileSync(path.join(outDir, `${stem}.json`), `${JSON.stringify({ meta, results: rows }, null, 2)}\n`);
  writeFileSync(path.join(outDir, `${stem}.md`), md);
  console.log(`\n${md}`);
  console.log(`[bench] wrote bench-results/${stem}.json, ${stem}.md${ONLY ? '' : ', browser.png'}`);
  if (rows.some((r) => r.invalid)) {
    console.log('[bench] some ratios are INVALID (see "equal work"): they do not count as met');
  }
}

async function plotPng(page, rows) {
  const bars = rows.map((r) => ({
    label: `${r.id} (${r.better === 'lower' ? '≤' : '≥'} ${r.target}×)`,
    median: r.ratio_median,
    target: r.target,
    met: r.met,
    invalid: r.invalid,
  }));
  await page.evaluate((b) => window.plot(b), bars);
  await page.locator('#plot').screenshot({ path: path.join(outDir, 'browser.png') });
}

main().catch((err) => {
  console.error(`[bench] failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
