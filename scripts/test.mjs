// Runs every test layer in order, streams their output, and ends with one line CI can read:
// "N passed, N failed". Exits non-zero if any layer fails, whatever the counts say.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = {
  ...process.env,
  PATH: `${process.env.HOME}/.cargo/bin:${process.env.PATH}`,
  // These machines are slow; the defaults (20 s, 5 s) time out spuriously.
  WASM_BINDGEN_TEST_TIMEOUT: process.env.WASM_BINDGEN_TEST_TIMEOUT ?? '180',
  WASM_BINDGEN_TEST_DRIVER_TIMEOUT: process.env.WASM_BINDGEN_TEST_DRIVER_TIMEOUT ?? '60',
};

function cargoCounts(text) {
  let passed = 0;
  let failed = 0;
  for (const m of text.matchAll(/test result: \w+\. (\d+) passed; (\d+) failed/g)) {
    passed += Number(m[1]);
    failed += Number(m[2]);
  }
  return { passed, failed };
}

function nodeTestCounts(text) {
  const pick = (label) => Number(new RegExp(`^ℹ ${label} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { passed: pick('pass'), failed: pick('fail') };
}

function unittestCounts(text) {
  const ran = Number(/^Ran (\d+) tests? in/m.exec(text)?.[1] ?? 0);
  const failed = [...text.matchAll(/^FAILED \((.*)\)$/gm)]
    .flatMap((m) => m[1].split(', '))
    .filter((part) => /^(failures|errors)=/.test(part))
    .reduce((n, part) => n + Number(part.split('=')[1]), 0);
  return { passed: ran - failed, failed };
}

const layers = [
  { name: 'native (cargo test)', cmd: 'cargo', args: ['test', '--all-targets'], counts: cargoCounts },
  { name: 'native doc tests', cmd: 'cargo', args: ['test', '--doc'], counts: cargoCounts },
  {
    name: 'wasm in Node (wasm-pack test --node)',
    cmd: 'wasm-pack',
    args: ['test', '--node', '--mode', 'no-install', '--release', '--', '--test', 'node'],
    counts: cargoCounts,
  },
  {
    name: 'wasm in Chromium (wasm-pack test --headless --chrome)',
    cmd: 'wasm-pack',
    args: ['test', '--headless', '--chrome', '--chromedriver', '/usr/bin/chromedriver', '--mode', 'no-install', '--release', '--', '--test', 'web'],
    counts: cargoCounts,
  },
  { name: 'Python package on Dask (maturin + unittest)', cmd: 'bash', args: ['scripts/test-python.sh'], counts: unittestCounts },
  { name: 'build (wasm-pack + webpack)', cmd: 'node', args: ['scripts/build.mjs'], counts: () => ({ passed: 0, failed: 0 }) },
  {
    name: 'page and oracle in Chromium (Playwright)',
    cmd: 'node',
    args: ['--test', '--test-reporter=spec', '--test-concurrency=1', 'tests/e2e/'],
    counts: nodeTestCounts,
  },
];

function run(layer) {
  return new Promise((resolve) => {
    console.log(`\n━━ ${layer.name}: ${layer.cmd} ${layer.args.join(' ')}`);
    const child = spawn(layer.cmd, layer.args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (chunk) => { text += chunk; process.stdout.write(chunk); });
    child.stderr.on('data', (chunk) => { text += chunk; process.stderr.write(chunk); });
    child.on('error', (err) => resolve({ code: 1, text: `${text}\n${err.message}` }));
    child.on('close', (code) => resolve({ code, text }));
  });
}

const results = [];
for (const layer of layers) {
  const started = Date.now();
  const { code, text } = await run(layer);
  const { passed, failed } = layer.counts(text);
  results.push({ name: layer.name, code, passed, failed, seconds: Math.round((Date.now() - started) / 1000) });
  // Later layers need the build; stop at a failed build rather than report confusing failures.
  if (code !== 0 && layer.name.startsWith('build')) break;
}

console.log('\n━━ Summary');
for (const r of results) {
  const verdict = r.code === 0 ? 'ok' : `FAILED (exit ${r.code})`;
  console.log(`  ${r.name.padEnd(58)} ${String(r.passed).padStart(4)} passed ${String(r.failed).padStart(3)} failed  ${String(r.seconds).padStart(4)} s  ${verdict}`);
}
const passed = results.reduce((n, r) => n + r.passed, 0);
const layerFailures = results.filter((r) => r.code !== 0 && r.failed === 0).length;
const failed = results.reduce((n, r) => n + r.failed, 0) + layerFailures;
const skipped = layers.length - results.length;
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(results.every((r) => r.code === 0) && results.length === layers.length ? 0 : 1);
