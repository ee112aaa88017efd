// The npm package as another app uses it: `npm pack` of pkg/, installed into a fresh app in a
// temporary folder, then a tone played in headless Chromium and measured from the audio —
// bundled by webpack 5, as native ES modules with no bundler, and with the scalar build where
// SIMD is missing. The generated types are checked by compiling a small TypeScript user, and a
// wrong use must fail to compile.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import webpack from 'webpack';
import { startServer } from '../../scripts/serve.mjs';
import { launch } from './browser.mjs';
import { rms, zeroCrossingHz } from './lab.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// The whole user: make an engine with no options, play 440 Hz offline, hand back the audio.
const PLAY = `
window.playTone = async (simd) => {
  if (!simd) WebAssembly.validate = () => false;
  const ctx = new OfflineAudioContext(1, 24000, 48000);
  const engine = await EngineClient.create(ctx);
  const osc = engine.createOscillator();
  osc.frequency.value = 440;
  osc.connect(engine.destination);
  osc.start();
  engine.node.connect(ctx.destination);
  const out = (await ctx.startRendering()).getChannelData(0);
  const fft = new RealFft(8);
  const bins = new Float32Array(10);
  fft.forward(Float32Array.from({ length: 8 }, (_, n) => Math.cos((2 * Math.PI * n) / 8)), bins);
  return { build: engine.build, samples: Array.from(out.subarray(4800)), fft: Array.from(bins), errors: engine.errors.map((e) => e.message) };
};`;

let app;
let server;
let url;
let browser;

function bundle(dir) {
  return new Promise((resolve, reject) => {
    webpack({
      mode: 'production',
      context: dir,
      entry: './src/app.js',
      output: { path: path.join(dir, 'dist'), filename: 'app.js', publicPath: '' },
      resolve: { modules: [path.join(dir, 'node_modules')] },
      performance: { hints: false },
    }, (err, stats) => {
      if (err) reject(err);
      else if (stats.hasErrors()) reject(new Error(stats.toString({ all: false, errors: true })));
      else resolve();
    });
  });
}

before(async () => {
  const work = mkdtempSync(path.join(tmpdir(), 'quaver-package-'));
  execFileSync('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: path.join(root, 'pkg') });
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  app = path.join(work, 'app');
  mkdirSync(path.join(app, 'src'), { recursive: true });
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'someone-elses-app', private: true, type: 'module' }));
  execFileSync('npm', ['install', path.join(work, tarball), '--no-audit', '--no-fund', '--ignore-scripts', '--silent'], { cwd: app });
  writeFileSync(path.join(app, 'src', 'app.js'), `import { EngineClient, RealFft } from 'quaver-engine';\n${PLAY}\n`);
  await bundle(app);
  writeFileSync(path.join(app, 'dist', 'index.html'), '<!doctype html><title>bundled</title><script src="app.js"></script>');
  writeFileSync(path.join(app, 'native.html'), `<!doctype html><title>native</title><script type="module">
import { EngineClient, RealFft } from './node_modules/quaver-engine/index.js';
${PLAY}
window.loaded = true;
</script>`);
  ({ server, url } = await startServer({ dir: app, port: 0 }));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
});

async function tone(pagePath, simd) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(new URL(pagePath, url).href);
  await page.waitForFunction(() => typeof window.playTone === 'function');
  const result = await page.evaluate((s) => window.playTone(s), simd);
  await page.close();
  assert.deepEqual(errors, []);
  assert.deepEqual(result.errors, []);
  // The package's FFT, from the build that loaded: a cosine on bin 1 is 4 in bin 1's real part.
  result.fft.forEach((v, i) => assert.ok(Math.abs(v - (i === 2 ? 4 : 0)) < 1e-5, `FFT float ${i}: ${v}`));
  return { build: result.build, hz: zeroCrossingHz(result.samples, 48_000), level: rms(result.samples) };
}

test('bundled with webpack 5, EngineClient.create(context) finds its own wasm and worklet and plays', async (t) => {
  const { build, hz, level } = await tone('dist/index.html', true);
  t.diagnostic(`${build} build: ${hz.toFixed(2)} Hz, RMS ${level.toFixed(4)}`);
  assert.equal(build, 'simd');
  assert.ok(Math.abs(hz - 440) < 0.5 && Math.abs(level - Math.SQRT1_2) < 0.01, `${hz} Hz, RMS ${level}`);
});

test('as native ES modules with no bundler it plays too', async () => {
  const { build, hz } = await tone('native.html', true);
  assert.equal(build, 'simd');
  assert.ok(Math.abs(hz - 440) < 0.5, `${hz} Hz`);
});

test('where SIMD128 is missing it loads the scalar build and still plays', async () => {
  for (const page of ['dist/index.html', 'native.html']) {
    const { build, hz } = await tone(page, false);
    assert.equal(build, 'scalar', page);
    assert.ok(Math.abs(hz - 440) < 0.5, `${page}: ${hz} Hz`);
  }
});

test('the types compile a small TypeScript user, and refuse a wrong one', () => {
  const tsc = path.join(root, 'node_modules', '.bin', 'tsc');
  const flags = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'esnext', '--moduleResolution', 'bundler', '--lib', 'es2022,dom'];
  writeFileSync(path.join(app, 'good.ts'), `import { EngineClient, QuaverError, RealFft } from 'quaver-engine';
export async function run(ctx: AudioContext): Promise<number> {
  const engine = await EngineClient.create(ctx, { maxNodes: 64 });
  const osc = engine.createOscillator();
  osc.type = 'sawtooth';
  osc.frequency.setValueAtTime(110, 0).exponentialRampToValueAtTime(880, 1);
  const filter = engine.createBiquadFilter();
  filter.type = 'lowpass';
  const delay = engine.createDelay(2);
  osc.connect(filter).connect(delay).connect(engine.destination);
  osc.start(ctx.currentTime);
  const analyser = engine.createAnalyser();
  const bins = new Float32Array(analyser.frequencyBinCount);
  analyser.getFloatFrequencyData(bins);
  const stop = engine.meter(filter, ({ peak }) => console.log(peak[0]));
  stop();
  const fft = new RealFft(1024);
  const spectrum = new Float32Array(fft.length + 2);
  fft.forward(new Float32Array(1024), spectrum);
  fft.free();
  try { await engine.commit(); } catch (e) { if (e instanceof QuaverError) return e.code.length; }
  return bins.length + spectrum.length;
}
`);
  const good = spawnSync(tsc, [...flags, 'good.ts'], { cwd: app, encoding: 'utf8' });
  assert.equal(good.status, 0, `tsc refused the good user:\n${good.stdout}${good.stderr}`);
  writeFileSync(path.join(app, 'bad.ts'), `import { EngineClient } from 'quaver-engine';
export async function run(ctx: AudioContext) {
  const engine = await EngineClient.create(ctx);
  const osc = engine.createOscillator();
  osc.type = 'banana';
  osc.frequency.value = 'loud';
}
`);
  const bad = spawnSync(tsc, [...flags, 'bad.ts'], { cwd: app, encoding: 'utf8' });
  assert.notEqual(bad.status, 0, 'a wrong use must not compile');
  assert.match(bad.stdout, /bad\.ts\(5,.*banana/, 'an oscillator type that does not exist');
  assert.match(bad.stdout, /bad\.ts\(6,.*string.*number/, 'a parameter value that is not a number');
});
