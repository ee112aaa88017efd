// Builds the engine (wasm-pack, release) and the page (webpack) into dist/.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import webpack from 'webpack';
import configs from '../webpack.config.js';
import { writeAssets } from './assets.mjs';
import { assemblePackage } from './package.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function buildWasm() {
  const result = spawnSync('wasm-pack', ['build', '--target', 'web', '--mode', 'no-install', '--release', '--no-pack'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) throw new Error('wasm-pack build failed (see the messages above)');
}

/**
 * The same engine without SIMD128 (the scalar kernels, rustfft's scalar planner), in its own
 * target folder; only its wasm goes into pkg/, since the glue must be the SIMD build's to the byte.
 */
export function buildScalarWasm() {
  const out = path.join(root, 'target', 'scalar-pkg');
  const result = spawnSync('wasm-pack', ['build', '--target', 'web', '--mode', 'no-install', '--release', '--no-pack', '--out-dir', out, '--', '--no-default-features'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CARGO_TARGET_DIR: path.join(root, 'target', 'scalar'), RUSTFLAGS: '-C target-feature=-simd128' },
  });
  if (result.status !== 0) throw new Error('wasm-pack build of the scalar engine failed (see the messages above)');
  const glue = (dir) => readFileSync(path.join(dir, 'quaver.js'), 'utf8');
  if (glue(out) !== glue(path.join(root, 'pkg'))) throw new Error('the scalar build\'s glue differs from the SIMD build\'s: one glue cannot load both');
  copyFileSync(path.join(out, 'quaver_bg.wasm'), path.join(root, 'pkg', 'quaver_scalar_bg.wasm'));
}

/**
 * The threads build (rayon on Web Workers sharing one memory; nightly, std rebuilt with atomics)
 * in its own target folder, for dist/threads/: the page loads it only when cross-origin isolated.
 */
export function buildThreadsWasm() {
  const out = path.join(root, 'target', 'threads-pkg');
  const flags = ['-C target-feature=+atomics,+bulk-memory,+simd128', '-C link-arg=--shared-memory', '-C link-arg=--max-memory=1073741824', '-C link-arg=--import-memory',
    ...['__wasm_init_tls', '__tls_size', '__tls_align', '__tls_base', '__heap_base'].map((name) => `-C link-arg=--export=${name}`)];
  const result = spawnSync('wasm-pack', ['build', '--target', 'web', '--mode', 'no-install', '--release', '--no-pack', '--out-dir', out, '--', '--features', 'threads', '-Z', 'build-std=panic_abort,std'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, RUSTUP_TOOLCHAIN: 'nightly', CARGO_TARGET_DIR: path.join(root, 'target', 'threads'), RUSTFLAGS: flags.join(' ') },
  });
  if (result.status !== 0) throw new Error('wasm-pack build of the threads engine failed (see the messages above)');
  const dist = path.join(root, 'dist', 'threads');
  rmSync(dist, { recursive: true, force: true });
  cpSync(out, dist, { recursive: true, filter: (from) => !/\.(d\.ts|gitignore)$/.test(from) });
  copyFileSync(path.join(root, 'www', 'src', 'threads', 'worker.js'), path.join(dist, 'worker.js'));
}

export function bundle() {
  return new Promise((resolve, reject) => {
    webpack(configs, (err, stats) => {
      if (err) return reject(err);
      if (stats.hasErrors()) return reject(new Error(stats.toString({ all: false, errors: true })));
      resolve();
    });
  });
}

export async function build() {
  console.log('[build] engine (wasm-pack)');
  buildWasm();
  console.log('[build] scalar engine (wasm-pack, no SIMD128)');
  buildScalarWasm();
  console.log('[build] threads engine (nightly, shared memory)');
  buildThreadsWasm();
  console.log('[build] page (webpack)');
  await bundle();
  const dist = path.join(root, 'dist');
  mkdirSync(dist, { recursive: true });
  for (const [from, name] of [['www/index.html', 'index.html'], ['www/lab.html', 'lab.html'], ['www/style.css', 'style.css'], ['www/studio.css', 'studio.css'], ['pkg/quaver_bg.wasm', 'quaver_bg.wasm'], ['www/src/studio/recorder.worklet.js', 'quaver-recorder.js']]) {
    copyFileSync(path.join(root, from), path.join(dist, name));
  }
  writeAssets(path.join(dist, 'assets'));
  console.log('[build] npm package (pkg/)');
  await assemblePackage();
  console.log('[build] done: dist/');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  build().catch((err) => {
    console.error(`[build] failed: ${err.message}`);
    process.exit(1);
  });
}
