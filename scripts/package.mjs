// Build step: assembles pkg/ into the npm package another app installs — the wasm builds
// (SIMD128 and scalar), the wasm-bindgen glue, the JS client, the self-contained worklet module,
// TypeScript types generated from the engine's own describe(), and a README.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = path.join(root, 'pkg');

/** The client's sources, with their import of the glue pointed at the package's copy. */
function copyClient() {
  for (const file of ['EngineClient.js', 'protocol.js', 'clock.js', 'index.js']) {
    let text = readFileSync(path.join(root, 'www/src/engine', file), 'utf8');
    text = text.replaceAll("'../../../pkg/quaver.js'", "'./quaver.js'");
    if (text.includes('../pkg/')) throw new Error(`${file} still imports from the repository's pkg/`);
    writeFileSync(path.join(pkg, file), text);
  }
}

const tsType = (setting) => {
  switch (setting.type) {
    case 'choice': return setting.choices.map((c) => JSON.stringify(c)).join(' | ');
    case 'number': return 'number';
    case 'flag': return 'boolean';
    case 'curve': return 'Float32Array | number[] | null';
    case 'samples': return 'AudioBuffer | SampleBuffer';
    default: return 'never';
  }
};

const pascal = (name) => name.split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join('');

/** index.d.ts from the kinds the engine describes: a node interface and factory for each. */
async function writeTypes() {
  const glue = await import(pathToFileURL(path.join(pkg, 'quaver.js')).href);
  glue.initSync({ module: readFileSync(path.join(pkg, 'quaver_bg.wasm')) });
  const kinds = new glue.Controller(48_000, 16, 16).describe();
  const interfaces = [];
  const factories = [];
  for (const kind of kinds) {
    const name = `Quaver${pascal(kind.name)}Node`;
    const members = [];
    for (const p of kind.params) members.push(`  readonly ${p.name}: QuaverParam;`);
    for (const s of kind.settings) {
      if (s.type === 'time') members.push(`  ${s.name}(when?: number${s.name === 'start' && kind.settings.some((o) => o.name === 'offset') ? ', offset?: number, duration?: number' : ''}): boolean;`);
      else if (s.type === 'wave') members.push(`  set${s.name[0].toUpperCase()}${s.name.slice(1)}(wave: PeriodicWaveLike): void;`);
      else members.push(`  ${s.name}: ${tsType(s)};`);
    }
    if (kind.reading) members.push(`  readonly ${kind.reading}: number;`);
    if (kind.captures) members.push('  readonly frequencyBinCount: number;', ...['getFloatFrequencyData(array: Float32Array): void;', 'getByteFrequencyData(array: Uint8Array): void;', 'getFloatTimeDomainData(array: Float32Array): void;', 'getByteTimeDomainData(array: Uint8Array): void;'].map((m) => `  ${m}`));
    interfaces.push(`/** The engine's \`${kind.name}\` node. */\nexport interface ${name} extends QuaverNode {\n${members.join('\n')}\n}`);
    if (kind.factory) {
      const creation = kind.settings.filter((s) => s.atCreation).map((s) => `${s.name}?: ${tsType(s)}`);
      factories.push(`  ${kind.factory}(${[...creation, 'options?: Record<string, unknown>'].join(', ')}): ${name};`);
    }
  }
  const types = `// Generated from the engine's describe() by scripts/package.mjs: do not edit.

export interface ParamDescription { name: string; defaultValue: number; minValue: number; maxValue: number; automationRate: 'a-rate' | 'k-rate'; control: { min: number; max: number; log: boolean } }
export interface SettingDescription { name: string; type: string; choices?: string[]; min?: number; max?: number; atCreation: boolean; defaultValue?: number | null }
export interface NodeDescription { name: string; factory: string; numberOfInputs: number; numberOfOutputs: number; channels: string; params: ParamDescription[]; settings: SettingDescription[]; latencySeconds: number; tailSeconds: number | null; source: boolean; captures: boolean; reading: string | null; keys: { key: number; name: string }[] }
export interface SampleBuffer { sampleRate: number; channels: Float32Array[] }
export interface PeriodicWaveLike { real: Float32Array; imag: Float32Array; disableNormalization?: boolean }
export interface Levels { peak: [number, number]; rms: [number, number] }
/** Render load as fractions of a quantum's time; p50/p99 only with a shared clock. */
export interface LoadReading { quanta: number; mean: number; p50: number | null; p99: number | null; worst: number; precise: boolean; histogram: Uint32Array }
export interface SharedClock { readonly buffer: SharedArrayBuffer; resolutionMs(): number; stop(): void }

/** An engine refusal; \`code\` is stable (\`Cycle\`, \`StaleNode\`, \`NonFinite\`, ...). */
export class QuaverError extends Error {
  readonly code: string;
  readonly node: number | null;
  readonly param: string | null;
  readonly errors: QuaverError[];
  count: number;
}

/** A parameter with AudioParam's attributes and methods. */
export class QuaverParam {
  readonly name: string;
  readonly defaultValue: number;
  readonly minValue: number;
  readonly maxValue: number;
  readonly automationRate: 'a-rate' | 'k-rate';
  readonly control: { min: number; max: number; log: boolean };
  value: number;
  setValueAtTime(value: number, time: number): this;
  linearRampToValueAtTime(value: number, time: number): this;
  exponentialRampToValueAtTime(value: number, time: number): this;
  setTargetAtTime(target: number, time: number, timeConstant: number): this;
  setValueCurveAtTime(values: ArrayLike<number>, time: number, duration: number): this;
  cancelScheduledValues(time: number): this;
  cancelAndHoldAtTime(time: number): this;
}

/** A node in the engine's graph; \`id\` is null when its creation was refused. */
export class QuaverNode {
  readonly id: number | null;
  readonly kind: string;
  readonly description: NodeDescription;
  readonly numberOfInputs: number;
  readonly numberOfOutputs: number;
  readonly params: QuaverParam[];
  param(name: string): QuaverParam;
  connect<T extends QuaverNode | QuaverParam>(destination: T, output?: number, input?: number): T;
  disconnect(destination?: QuaverNode | QuaverParam, output?: number, input?: number): void;
  dispose(): void;
}

${interfaces.join('\n\n')}

export interface EngineOptions { module?: WebAssembly.Module; wasmUrl?: string | URL; workletUrl?: string | URL; maxNodes?: number; maxEdges?: number; clock?: SharedArrayBuffer }

/** The engine: one AudioWorkletNode hosting a whole graph. Refused calls never throw. */
export class EngineClient extends EventTarget {
  static create(context: BaseAudioContext, options?: EngineOptions): Promise<EngineClient>;
  readonly context: BaseAudioContext;
  readonly node: AudioWorkletNode;
  readonly ready: Promise<void>;
  readonly nodeCount: number;
  readonly unacknowledged: number;
  readonly errors: QuaverError[];
  readonly errorCount: number;
  readonly fatal: QuaverError | null;
  readonly kinds: Map<string, NodeDescription>;
  readonly build: 'simd' | 'scalar' | 'given';
  readonly destination: QuaverDestinationNode;
  readonly input: QuaverInputNode;
  create(kind: string, ...args: unknown[]): QuaverNode;
${factories.join('\n')}
  createPeriodicWave(real: ArrayLike<number>, imag: ArrayLike<number>, options?: { disableNormalization?: boolean }): PeriodicWaveLike;
  meter(node: QuaverNode, callback: (levels: Levels) => void): () => void;
  load(): Promise<LoadReading | null>;
  commit(): Promise<void>;
}

/** A clock the audio thread can read (needs cross-origin isolation); pass \`buffer\` as the \`clock\` option. */
export function startSharedClock(options?: { tickMs?: number }): SharedClock;

/** A forward FFT of real signals, planned once (any even length from 2 to 2^20); usable once an engine is created. */
export class RealFft {
  constructor(length: number);
  readonly length: number;
  /** \`length\` samples in; \`length + 2\` floats out: bins 0 to length/2 as (re, im) pairs, unscaled. */
  forward(input: Float32Array, output: Float32Array): void;
  free(): void;
}

export function compileEngine(wasmUrl: string | URL): Promise<WebAssembly.Module>;
export function supportsSimd(): boolean;
export const PROCESSOR_NAME: string;
export const PROTOCOL_VERSION: number;
`;
  writeFileSync(path.join(pkg, 'index.d.ts'), types);
}

function writeManifest() {
  const root_ = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const manifest = {
    name: 'quaver-engine',
    version: root_.version,
    description: 'Quaver: a modular DSP graph rendered in one AudioWorklet, from Rust compiled to WebAssembly (SIMD128 with a scalar fallback)',
    license: root_.license,
    type: 'module',
    main: './index.js',
    module: './index.js',
    types: './index.d.ts',
    exports: { '.': { types: './index.d.ts', default: './index.js' } },
    files: ['index.js', 'index.d.ts', 'EngineClient.js', 'protocol.js', 'clock.js', 'quaver.js', 'quaver_bg.wasm', 'quaver_scalar_bg.wasm', 'worklet.js', 'README.md'],
    sideEffects: false,
  };
  writeFileSync(path.join(pkg, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

export async function assemblePackage() {
  copyClient();
  copyFileSync(path.join(root, 'dist', 'quaver-worklet.js'), path.join(pkg, 'worklet.js'));
  copyFileSync(path.join(root, 'www', 'package-readme.md'), path.join(pkg, 'README.md'));
  await writeTypes();
  writeManifest();
}
