// Browser benchmark W1 of the shared BENCHMARKS.md: the 64-track W2 project played live in
// Chromium, its render time per quantum ÷ the quantum's duration from the engine's own
// telemetry (EngineClient.load). Rounds alternate a shared clock (every quantum timed, so
// percentiles) with Date.now() (whole milliseconds: the mean only), which shows whether the
// clock's Worker itself slows the render. Writes bench-results/browser-W1.{json,md}.
//
// Environment: BENCH_ROUNDS (rounds of each kind, default 3), BENCH_SECONDS (per round, default 15).
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeRun, openBenchPage, root, runMeta } from './bench-page.mjs';
import { loadPercentile as percentile } from '../www/src/engine/protocol.js';

const outDir = path.join(root, 'bench-results');
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const SECONDS = Math.max(2, Number(process.env.BENCH_SECONDS ?? 15));
const TARGET_P99 = 0.5;
// The output must be this loud, or the render did not happen (a silent engine is fast).
const AUDIBLE_RMS = 1e-2;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** What makes a round not count: silence, engine errors, quanta the telemetry missed. */
function problemsOf(round) {
  const problems = [];
  if (!(round.outputRms > AUDIBLE_RMS)) problems.push(`output RMS ${round.outputRms} (silent?)`);
  if (round.errors.length) problems.push(`engine errors: ${round.errors.join('; ')}`);
  // Quanta counted against the context's clock: a few quanta of slack for the reading's edges.
  if (Math.abs(round.quanta - round.expectedQuanta) > Math.max(20, 0.02 * round.expectedQuanta)) {
    problems.push(`${round.quanta} quanta timed while ${round.expectedQuanta.toFixed(0)} played`);
  }
  return problems;
}

async function main() {
  mkdirSync(outDir, { recursive: true });
  const { page, pageErrors, close } = await openBenchPage();
  const rounds = [];
  let meta;
  try {
    meta = {
      ...(await runMeta(page)),
      seconds_per_round: SECONDS,
      isolated: await page.evaluate(() => window.crossOriginIsolated),
    };
    console.log(`[bench] W1: ${meta.browser}; ${meta.cpus} × ${meta.cpu}; ${ROUNDS} rounds of each kind, ${SECONDS} s each`);
    for (let r = 0; r < ROUNDS; r += 1) {
      for (const clock of [true, false]) {
        const round = await page.evaluate((options) => window.liveLoad(options), { seconds: SECONDS, clock });
        round.clock = clock;
        round.problems = problemsOf(round);
        rounds.push(round);
        const p = clock ? `p50 ${round.p50}, p99 ${round.p99}, ` : '';
        console.log(`  round ${r + 1} ${clock ? 'shared clock' : 'Date.now()  '}: ${p}mean ${round.mean.toFixed(3)}, worst ${round.worst.toFixed(2)}, `
          + `${round.quanta} quanta, ${round.underruns ?? '?'} underruns, rms ${round.outputRms.toFixed(3)}${round.problems.length ? ` — ${round.problems.join('; ')}` : ''}`);
      }
    }
    meta.page_errors = pageErrors;
    meta.load_average_end = os.loadavg();
  } finally {
    await close();
  }
  const valid = rounds.filter((r) => r.problems.length === 0);
  const timed = valid.filter((r) => r.clock);
  const pooled = new Array(timed[0]?.histogram.length ?? 0).fill(0);
  for (const r of timed) r.histogram.forEach((n, i) => { pooled[i] += n; });
  const summary = {
    p50: timed.length ? percentile(pooled, 0.5) : null,
    p99: timed.length ? percentile(pooled, 0.99) : null,
    p99_per_round: timed.map((r) => r.p99),
    mean_with_clock: timed.length ? median(timed.map((r) => r.mean)) : null,
    mean_with_date: valid.some((r) => !r.clock) ? median(valid.filter((r) => !r.clock).map((r) => r.mean)) : null,
    worst: valid.length ? Math.max(...valid.map((r) => r.worst)) : null,
    underruns: valid.reduce((n, r) => n + (r.underruns ?? 0), 0),
    clock_resolution_ms: timed.length ? median(timed.map((r) => r.clockResolutionMs)) : null,
    quanta_timed: timed.reduce((n, r) => n + r.quanta, 0),
    nodes: rounds[0]?.nodes ?? null,
    invalid_rounds: rounds.length - valid.length,
  };
  summary.met = summary.p99 !== null && summary.p99 <= TARGET_P99;
  const f = (v, digits = 2) => (v === null ? '—' : v.toFixed(digits));
  const md = [
    `Browser benchmark W1, ${describeRun(meta)}.`,
    `The W2 project (64 tracks: audio clip → 4 biquad inserts → fader → pan, a send to a filtered bus; ${summary.nodes} engine nodes) played live, looped, at 48 kHz; ${ROUNDS} rounds of ${SECONDS} s with a shared clock and ${ROUNDS} with Date.now(), alternating, after 2 s of warm-up each.`,
    '',
    '| id | measure | p50 | p99 | target | met | mean (shared clock) | mean (Date.now) | worst | underruns | clock resolution |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    `| W1 | render time ÷ quantum time, engine telemetry (${summary.quanta_timed} quanta timed) | ${f(summary.p50)} | ${f(summary.p99)} | p99 ≤ ${TARGET_P99} | ${summary.met ? 'met' : '**not met**'} | ${f(summary.mean_with_clock, 3)} | ${f(summary.mean_with_date, 3)} | ${f(summary.worst)} | ${summary.underruns} | ${f(summary.clock_resolution_ms, 3)} ms |`,
    '',
    `- p99 per round: ${summary.p99_per_round.map((v) => f(v)).join(', ')}; percentiles are the upper edges of 1 % buckets.`,
    `- Rounds that did not count: ${summary.invalid_rounds}${rounds.filter((r) => r.problems.length).map((r) => ` (${r.problems.join('; ')})`).join('')}.`,
    '',
  ].join('\n');
  writeFileSync(path.join(outDir, 'browser-W1.json'), `${JSON.stringify({ meta, summary, rounds }, null, 2)}\n`);
  writeFileSync(path.join(outDir, 'browser-W1.md'), md);
  console.log(`\n${md}`);
  console.log('[bench] wrote bench-results/browser-W1.json, browser-W1.md');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
