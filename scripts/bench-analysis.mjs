// Benchmarks A1–A3 (../shared/BENCHMARKS.md): the native library scan of 20 000 generated MIDI
// files, audio analysis × real time per core natively and in wasm, and the Dask run against the
// native CLI per core. Ratios and rates only; writes bench-results/analysis.json and .md.
// Needs the release CLI (cargo build --release --bin quaver), pkg/ (node scripts/build.mjs) and
// the Python package (bash scripts/test-python.sh builds it); run alone, nothing else busy.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'target', 'release', 'quaver');
const python = path.join(root, '.venv', 'bin', 'python');
const files = path.join(root, 'tests', 'interop', 'files.py');
const corpora = path.join(root, 'target', 'bench-corpus');
const runs = Number(process.env.BENCH_RUNS ?? 3);

function corpus(name, args) {
  const dir = path.join(corpora, name);
  if (!existsSync(path.join(dir, '.complete'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    console.log(`[bench] generating ${name}…`);
    execFileSync(python, [files, ...args.map((a) => (a === 'DIR' ? dir : a))], { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 30 });
    writeFileSync(path.join(dir, '.complete'), '');
  }
  return dir;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Empties the page cache if this machine lets us (root on bare Linux); says whether it did. */
function dropCaches() {
  const r = spawnSync('sh', ['-c', 'sync && echo 3 > /proc/sys/vm/drop_caches'], { stdio: 'ignore' });
  return r.status === 0;
}

function scanRate(dir, threads, cold) {
  const db = path.join(corpora, 'bench.sqlite');
  for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });
  const dropped = cold ? dropCaches() : false;
  const env = { ...process.env, ...(threads ? { RAYON_NUM_THREADS: String(threads) } : {}) };
  const r = spawnSync(cli, ['library', 'scan', dir, '--db', db, '--quiet'], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const m = /analysed .* in ([\d.]+) s \((\d+) files\/s\)/.exec(r.stderr);
  return { rate: Number(m[2]), dropped };
}

// A1: the library scan.
if (!existsSync(cli)) throw new Error(`${cli} is missing: cargo build --release --bin quaver`);
const midi = corpus('midi-20k', ['midi-pieces', 'DIR', '20000', '2']);
const coldRuns = Array.from({ length: runs }, () => scanRate(midi, 0, true));
const warm = median(Array.from({ length: runs }, () => scanRate(midi, 0, false).rate));
const warmOne = median(Array.from({ length: runs }, () => scanRate(midi, 1, false).rate));
const a1 = { cold: median(coldRuns.map((r) => r.rate)), cacheDropped: coldRuns.every((r) => r.dropped), warm, warmOneThread: warmOne };
console.log(`A1 library scan: ${a1.cold} files/s from a ${a1.cacheDropped ? 'cold' : 'warm (could not drop)'} cache, ${warm} warm, ${warmOne} on one thread`);

// A2: audio analysis per core, native and wasm, on the same files.
const audio = corpus('audio-30s', ['audio-pieces', 'DIR', '16', '9', '30']);
const wavs = readdirSync(audio).filter((n) => n.endsWith('.wav')).sort().map((n) => path.join(audio, n));
const audioSeconds = wavs.length * 30;
function timed(fn) {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}
const nativeSeconds = median(
  Array.from({ length: runs }, () => timed(() => execFileSync(cli, ['analyze', ...wavs, '--json'], { env: { ...process.env, RAYON_NUM_THREADS: '1' } }))),
);
const glue = await import(pathToFileURL(path.join(root, 'pkg', 'quaver.js')).href);
glue.initSync({ module: readFileSync(path.join(root, 'pkg', 'quaver_bg.wasm')) });
const bytes = wavs.map((f) => readFileSync(f));
const wasmSeconds = median(Array.from({ length: runs }, () => timed(() => wavs.forEach((f, i) => glue.analyzeFile(f, bytes[i])))));
const a2 = {
  audioSeconds,
  nativeRealTime: audioSeconds / nativeSeconds,
  wasmRealTime: audioSeconds / wasmSeconds,
  wasmOverNative: wasmSeconds / nativeSeconds,
};
console.log(`A2 audio analysis: native ${a2.nativeRealTime.toFixed(0)}× real time per core, wasm ${a2.wasmRealTime.toFixed(0)}×; wasm ÷ native time ${a2.wasmOverNative.toFixed(2)}`);

// A3: the Dask run (two local worker processes) against the native CLI on one core, same files.
function daskRate(dir, shards) {
  const out = path.join(corpora, 'bench.parquet');
  const count = readdirSync(dir).filter((n) => /\.(mid|wav)$/.test(n)).length;
  const shard = String(Math.ceil(count / shards));
  const r = spawnSync(python, ['-m', 'quaver.dask', dir, '--out', out, '--workers', '2', '--shard-size', shard], { encoding: 'utf8', cwd: root });
  if (r.status !== 0) throw new Error(r.stderr);
  const m = /(\d+) rows in ([\d.]+) s/.exec(r.stderr);
  return Number(m[1]) / Number(m[2]) / 2;
}
// Against the CLI on one thread, and on the same two cores the two workers share with Dask's
// scheduler (what a worker really competes with on this machine).
// Eight shards of MIDI files; one shard per WAV (each 30 s WAV is 140 ms of work, so two a shard
// leave a worker idle for a whole shard whenever the eight do not split four and four).
const daskPerWorker = median(Array.from({ length: runs }, () => daskRate(midi, 8)));
const a3 = { daskPerWorker, cliPerCore: warmOne, ratio: daskPerWorker / warmOne, ratioSameCores: daskPerWorker / (warm / 2) };
// Cluster size for 10⁸ files in an hour at the measured per-worker rate (one core each).
a3.workersFor100MillionPerHour = Math.ceil(1e8 / 3600 / daskPerWorker);
const daskAudio = median(Array.from({ length: runs }, () => daskRate(audio, wavs.length)));
a3.audioDaskPerWorker = daskAudio;
a3.audioCliPerCore = wavs.length / nativeSeconds;
a3.audioRatio = daskAudio / a3.audioCliPerCore;
const nativeTwoThreads = median(
  Array.from({ length: runs }, () => timed(() => execFileSync(cli, ['analyze', ...wavs, '--json'], { env: { ...process.env, RAYON_NUM_THREADS: '2' } }))),
);
a3.audioRatioSameCores = daskAudio / (wavs.length / nativeTwoThreads / 2);
console.log(`A3 Dask: ${daskPerWorker.toFixed(0)} MIDI rows/s per worker against ${warmOne} per core natively (${a3.ratio.toFixed(2)}; ${a3.ratioSameCores.toFixed(2)} against the CLI on both cores); audio ${a3.audioRatio.toFixed(2)} (${a3.audioRatioSameCores.toFixed(2)}); 10⁸ files in an hour need ${a3.workersFor100MillionPerHour} worker${a3.workersFor100MillionPerHour === 1 ? "" : "s"}`);

mkdirSync(path.join(root, 'bench-results'), { recursive: true });
const result = { date: new Date().toISOString(), a1, a2, a3 };
writeFileSync(path.join(root, 'bench-results', 'analysis.json'), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(
  path.join(root, 'bench-results', 'analysis.md'),
  [
    `# Analysis benchmarks (${result.date.slice(0, 10)}, median of ${runs})`,
    '',
    '| | measured | target |',
    '|---|---|---|',
    `| A1 library scan, 20 000 MIDI files (${a1.cacheDropped ? 'page cache dropped' : 'warm cache'}) | ${a1.cold} files/s (warm ${a1.warm}; one thread ${a1.warmOneThread}) | ≥ 10 000 files/s |`,
    `| A2 audio analysis, native, one core | ${a2.nativeRealTime.toFixed(0)}× real time | ≥ 200× |`,
    `| A2 wasm ÷ native time, same files | ${a2.wasmOverNative.toFixed(2)} (wasm ${a2.wasmRealTime.toFixed(0)}×) | ≤ 2 |`,
    `| A3 Dask rows/s per worker ÷ CLI per core, MIDI | ${a3.ratio.toFixed(2)} against one CLI thread (${daskPerWorker.toFixed(0)} ÷ ${warmOne}); ${a3.ratioSameCores.toFixed(2)} against the CLI on the same two cores | ≥ 0.8 |`,
    `| A3 the same, 30 s WAVs | ${a3.audioRatio.toFixed(2)} against one thread; ${a3.audioRatioSameCores.toFixed(2)} on the same two cores | ≥ 0.8 |`,
    `| workers for 10⁸ MIDI files in an hour | ${a3.workersFor100MillionPerHour} | — |`,
    '',
  ].join('\n'),
);
