// Browser benchmark G8: the threads build's rayon pool in a Worker, 2 threads against 1, on
// (a) a batch of 30 s WAVs analysed (tempo, key, loudness), (b) a mix and the stems of its 8
// tracks (10 s each) bounced side by side, and (c) BENCHMARKS.md's own form: one graph — the
// 64-track W2 project — bounced as one mix, its tracks in parts. Rounds alternate 1 and 2 threads; the ratio is
// the median time with 1 ÷ the median with 2. Both pools must give the same records and the
// same WAVs to the bit. Needs dist/ (node scripts/build.mjs) and the bench corpus
// (scripts/bench-analysis.mjs makes it); run alone, nothing else busy.
// Writes bench-results/browser-G8.{json,md}.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describeRun, openBenchPage, root, runMeta } from './bench-page.mjs';

const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const TARGET = 1.7;
const STEM_TRACKS = 8;
const STEM_SECONDS = 10;
const MIX_SECONDS = 10;
const corpus = path.join(root, 'target', 'bench-corpus', 'audio-30s');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (!existsSync(path.join(corpus, '.complete'))) throw new Error(`${corpus} is missing: run scripts/bench-analysis.mjs first`);
const urls = readdirSync(corpus).filter((n) => n.endsWith('.wav')).sort().map((n) => `/target/bench-corpus/audio-30s/${n}`);

const { page, pageErrors, close } = await openBenchPage();
try {
  const meta = await runMeta(page);
  const runs = { 1: [], 2: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const threads of round % 2 ? [2, 1] : [1, 2]) {
      const run = await page.evaluate(({ t, u, n, s, m }) => window.threadsCase(t, { urls: u, trackCount: n, seconds: s, mixSeconds: m }), { t: threads, u: urls, n: STEM_TRACKS, s: STEM_SECONDS, m: MIX_SECONDS });
      console.log(`G8 round ${round + 1}, ${threads} thread${threads === 1 ? '' : 's'}: analysis ${run.analysisMs.toFixed(0)} ms (${(run.audioSeconds / (run.analysisMs / 1000)).toFixed(0)}× real time), ${run.bounces} bounces ${run.stemsMs.toFixed(0)} ms, the 64-track mix ${run.mixMs.toFixed(0)} ms`);
      runs[threads].push(run);
    }
  }
  const [one, two] = [runs[1][0], runs[2][0]];
  const problems = [];
  if (JSON.stringify(one.records) !== JSON.stringify(two.records)) problems.push('the two pools gave different records');
  if (one.wavHashes.join() !== two.wavHashes.join()) problems.push('the two pools gave different WAVs');
  if (one.mixHash !== two.mixHash) problems.push('the two pools gave different mixes of the 64-track project');
  if (one.records.some((r) => r.error)) problems.push(`analysis errors: ${one.records.filter((r) => r.error).map((r) => r.error).join('; ')}`);
  if (pageErrors.length) problems.push(...pageErrors);
  const analysis = median(runs[1].map((r) => r.analysisMs)) / median(runs[2].map((r) => r.analysisMs));
  const stems = median(runs[1].map((r) => r.stemsMs)) / median(runs[2].map((r) => r.stemsMs));
  const mix = median(runs[1].map((r) => r.mixMs)) / median(runs[2].map((r) => r.mixMs));
  const result = {
    meta, rounds: ROUNDS, files: urls.length, audioSeconds: one.audioSeconds, bounces: one.bounces,
    analysisMs: { 1: runs[1].map((r) => r.analysisMs), 2: runs[2].map((r) => r.analysisMs) },
    stemsMs: { 1: runs[1].map((r) => r.stemsMs), 2: runs[2].map((r) => r.stemsMs) },
    mixMs: { 1: runs[1].map((r) => r.mixMs), 2: runs[2].map((r) => r.mixMs) },
    ratios: { analysis, stems, mix }, target: TARGET, problems,
  };
  console.log(`G8: 1 thread ÷ 2 threads: analysis ${analysis.toFixed(2)}, stem bounce ${stems.toFixed(2)}, one mix ${mix.toFixed(2)} (target ≥ ${TARGET})${problems.length ? `; PROBLEMS: ${problems.join('; ')}` : ''}`);
  const out = path.join(root, 'bench-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'browser-G8.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(path.join(out, 'browser-G8.md'), [
    '# G8: the threads build, 1 thread ÷ 2 threads, in Chromium',
    '',
    describeRun(meta),
    '',
    '| work | 1 thread (median ms) | 2 threads (median ms) | 1 ÷ 2 | target |',
    '|---|---|---|---|---|',
    `| analysis of ${urls.length} × 30 s WAVs (tempo, key, loudness) | ${median(result.analysisMs[1]).toFixed(0)} | ${median(result.analysisMs[2]).toFixed(0)} | ${analysis.toFixed(2)} | ≥ ${TARGET} |`,
    `| a mix and its ${STEM_TRACKS} stems (${STEM_TRACKS} tracks × 4 biquads, a send and a bus), ${STEM_SECONDS} s each | ${median(result.stemsMs[1]).toFixed(0)} | ${median(result.stemsMs[2]).toFixed(0)} | ${stems.toFixed(2)} | ≥ ${TARGET} |`,
    `| one graph: the 64-track W2 project (audio clip → 4 biquads → fader → pan, a send to a filtered bus) bounced as one mix, its tracks in parts, ${MIX_SECONDS} s | ${median(result.mixMs[1]).toFixed(0)} | ${median(result.mixMs[2]).toFixed(0)} | ${mix.toFixed(2)} | ≥ ${TARGET} |`,
    '',
    problems.length ? `Problems: ${problems.join('; ')}` : 'Both pools gave the same records and the same WAVs to the bit (with one thread a bounce renders in one engine; with two, in parts).',
    '',
  ].join('\n'));
  if (problems.length) process.exitCode = 1;
} finally {
  await close();
}
