// Four bundles: the pages (main thread), the bounce and library Workers, and the worklet module
// (audio thread). The wasm file is fetched by the page and handed to the worklet and the Worker as a
// compiled Module, so webpack must
// not turn the glue's `new URL(..., import.meta.url)` into an asset: that adds runtime code
// reading `document`/`self`, which do not exist in AudioWorkletGlobalScope.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(root, 'dist');

const shared = {
  mode: 'production',
  context: root,
  target: ['web', 'es2020'],
  devtool: 'source-map',
  performance: { hints: false },
  module: { parser: { javascript: { url: false } } },
};

export default [
  {
    ...shared,
    name: 'pages',
    entry: { main: './www/src/studio/main.js', lab: './www/src/lab.js' },
    output: { path: dist, filename: '[name].js', publicPath: '' },
  },
  {
    ...shared,
    name: 'bounce',
    target: ['webworker', 'es2020'],
    entry: './www/src/studio/bounce.worker.js',
    output: { path: dist, filename: 'quaver-bounce.js', publicPath: '', chunkLoading: false, wasmLoading: false },
  },
  {
    ...shared,
    name: 'library',
    target: ['webworker', 'es2020'],
    entry: './www/src/studio/library.worker.js',
    output: { path: dist, filename: 'quaver-library.js', publicPath: '', chunkLoading: false, wasmLoading: false },
  },
  {
    ...shared,
    name: 'worklet',
    entry: './www/src/worklet/processor.js',
    output: { path: dist, filename: 'quaver-worklet.js', publicPath: '', globalObject: 'globalThis', chunkLoading: false, wasmLoading: false },
  },
];
