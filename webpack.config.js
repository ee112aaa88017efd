// Two bundles: the page (main thread) and the worklet module (audio thread). The wasm file
// is fetched by the page and handed to the worklet as a compiled Module, so webpack must
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
    name: 'page',
    entry: './www/src/main.js',
    output: { path: dist, filename: 'main.js', publicPath: '' },
  },
  {
    ...shared,
    name: 'worklet',
    entry: './www/src/worklet/processor.js',
    output: { path: dist, filename: 'quaver-worklet.js', publicPath: '', globalObject: 'globalThis', chunkLoading: false, wasmLoading: false },
  },
];
