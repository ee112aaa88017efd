// Main thread: the browser benchmark page. `window.runCase(id, variant, options)` builds one
// graph in a fresh OfflineAudioContext, times `await ctx.startRendering()` and describes the
// output, so the runner (scripts/bench.mjs) can check that both sides of a ratio did the same
// work. Served from the repository root: the engine client is imported unbundled.
import { EngineClient, compileEngine, startSharedClock } from '/www/src/engine/index.js';
import { Session } from '/pkg/quaver.js';
import { TRACKS, seededNoise, track } from '/benches/browser/graphs.js';

const SAMPLE_RATE = 48_000;
const QUANTUM = 128;
const WASM_URL = '/dist/quaver_bg.wasm';
// G4: the same engine built without SIMD128 (scripts/build.mjs puts it in the package).
const SCALAR_WASM_URL = '/pkg/quaver_scalar_bg.wasm';
const WORKLET_URL = '/dist/quaver-worklet.js';
const JS_WORKLETS_URL = '/benches/browser/js-worklets.js';
const FLT_MIN = 1.1754943508222875e-38;

// G1, G7, G9: Butterworth (Q = 1/√2, in dB) has no resonant peak, so 256 stages neither blow
// up (Q = 0 dB peaks ~1.25 dB per stage: 256 stages reach 1e15) nor silence the noise.
const BUTTERWORTH_Q_DB = 20 * Math.log10(Math.SQRT1_2);
const CHAIN = { stages: 256, type: 'lowpass', frequency: 5000, Q: BUTTERWORTH_Q_DB };
const GAINS = 1024;

const engineModules = new Map();
const engineModule = (url = WASM_URL) => {
  if (!engineModules.has(url)) engineModules.set(url, compileEngine(url));
  return engineModules.get(url);
};

const noiseCache = new Map();
/** The shared seeded noise for `frames`, zero after `audibleFrames`, made once per length. */
function noise(frames, audibleFrames = frames) {
  const key = `${frames}/${audibleFrames}`;
  if (!noiseCache.has(key)) noiseCache.set(key, seededNoise(frames, audibleFrames));
  return noiseCache.get(key);
}

function source(ctx, samples) {
  const buffer = ctx.createBuffer(1, samples.length, ctx.sampleRate);
  buffer.copyToChannel(samples, 0);
  const node = new AudioBufferSourceNode(ctx, { buffer });
  node.start();
  return node;
}

// ── the graphs, each built natively and inside Quaver ────────────────────────

function nativeChain(ctx, input) {
  let last = input;
  for (let s = 0; s < CHAIN.stages; s += 1) {
    last = last.connect(new BiquadFilterNode(ctx, { type: CHAIN.type, frequency: CHAIN.frequency, Q: CHAIN.Q }));
  }
  return last;
}

function quaverChain(engine) {
  let last = engine.input;
  for (let s = 0; s < CHAIN.stages; s += 1) {
    const f = engine.createBiquadFilter();
    f.type = CHAIN.type;
    f.frequency.value = CHAIN.frequency;
    f.Q.value = CHAIN.Q;
    last = last.connect(f);
  }
  last.connect(engine.destination);
}

function nativeTracks(ctx, input) {
  const bus = new GainNode(ctx, { gain: 1 });
  for (let t = 0; t < TRACKS; t += 1) {
    const strip = track(t);
    let last = input;
    for (const f of strip.filters) last = last.connect(new BiquadFilterNode(ctx, f));
    last.connect(new GainNode(ctx, { gain: strip.gain })).connect(new StereoPannerNode(ctx, { pan: strip.pan })).connect(bus);
  }
  return bus;
}

function quaverTracks(engine) {
  const bus = engine.createGain();
  for (let t = 0; t < TRACKS; t += 1) {
    const strip = track(t);
    let last = engine.input;
    for (const f of strip.filters) {
      const node = engine.createBiquadFilter();
      node.type = f.type;
      node.frequency.value = f.frequency;
      node.Q.value = f.Q;
      if (f.gain !== undefined) node.gain.value = f.gain;
      last = last.connect(node);
    }
    const gain = engine.createGain();
    gain.gain.value = strip.gain;
    const pan = engine.createStereoPanner();
    pan.pan.value = strip.pan;
    last.connect(gain).connect(pan).connect(bus);
  }
  bus.connect(engine.destination);
}

function nativeGains(ctx, input) {
  let last = input;
  for (let g = 0; g < GAINS; g += 1) last = last.connect(new GainNode(ctx, { gain: 1 }));
  return last;
}

function quaverGains(engine) {
  let last = engine.input;
  for (let g = 0; g < GAINS; g += 1) last = last.connect(engine.createGain());
  last.connect(engine.destination);
}

// ── the three kinds of processing: native nodes, Quaver's worklet, a JS worklet ─────

/** Builds `graph` inside a Quaver engine; the whole graph travels with the node. */
async function quaver(ctx, graph, limits, wasmUrl = WASM_URL) {
  const module = await engineModule(wasmUrl);
  const engine = await EngineClient.create(ctx, { module, workletUrl: WORKLET_URL, ...limits });
  graph(engine);
  if (engine.errors.length) throw new Error(`Quaver refused the graph: ${engine.errors[0].code}: ${engine.errors[0].message}`);
  const node = engine.node;
  return {
    node,
    ready: engine.ready,
    async check() {
      // The acknowledgement of the initial batch proves the worklet applied the graph.
      for (let i = 0; i < 100 && engine.unacknowledged > 0 && !engine.fatal; i += 1) await sleep(10);
      const problems = engine.errors.map((e) => `${e.code}: ${e.message}`);
      if (engine.unacknowledged > 0) problems.push('the worklet never acknowledged the graph');
      return { problems, nodes: engine.nodeCount };
    },
  };
}

async function jsWorklet(ctx, name, processorOptions = {}) {
  await ctx.audioWorklet.addModule(JS_WORKLETS_URL);
  const node = new AudioWorkletNode(ctx, name, { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [2], processorOptions });
  const errors = [];
  node.onprocessorerror = () => errors.push(`${name} failed`);
  const ready = new Promise((resolve) => { node.port.onmessage = () => resolve(); });
  return { node, ready, async check() { return { problems: errors }; } };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function withTimeout(promise, ms, what) {
  return Promise.race([promise, sleep(ms).then(() => { throw new Error(`${what} did not happen within ${ms} ms`); })]);
}

// ── cases: each variant returns the node whose output reaches the destination ──

const native = (graph) => async (ctx, src) => ({ node: graph(ctx, src), ready: null, check: async () => ({ problems: [] }) });
const inQuaver = (graph, limits, wasmUrl) => async (ctx, src) => {
  const q = await quaver(ctx, graph, limits, wasmUrl);
  src.connect(q.node);
  return q;
};
const inJs = (name, options) => async (ctx, src) => {
  const w = await jsWorklet(ctx, name, options);
  src.connect(w.node);
  return w;
};
const baseline = async (ctx, src) => ({ node: src, ready: null, check: async () => ({ problems: [] }) });

// G6: one pass-through worklet costs a few µs per quantum, ~10 ms per 10 s render: the size
// of the run-to-run jitter of the baseline. Several in series (the same count on both sides)
// lift that cost above the jitter; the ratio per worklet is unchanged.
export const PASS_THROUGHS = 16;

async function quaverPassThroughs(ctx, src) {
  const engines = [];
  let last = src;
  for (let i = 0; i < PASS_THROUGHS; i += 1) {
    const q = await quaver(ctx, (engine) => engine.input.connect(engine.destination), { maxNodes: 8, maxEdges: 8 });
    last.connect(q.node);
    last = q.node;
    engines.push(q);
  }
  return chained(engines, last);
}

async function jsPassThroughs(ctx, src) {
  const worklets = [];
  let last = src;
  for (let i = 0; i < PASS_THROUGHS; i += 1) {
    const w = await jsWorklet(ctx, 'bench-passthrough');
    last.connect(w.node);
    last = w.node;
    worklets.push(w);
  }
  return chained(worklets, last);
}

function chained(parts, last) {
  return {
    node: last,
    ready: Promise.all(parts.map((p) => p.ready)),
    async check() {
      const results = await Promise.all(parts.map((p) => p.check()));
      return { problems: results.flatMap((r) => r.problems), nodes: results[0].nodes };
    },
  };
}

// ── W2: a 64-track project bounced by Quaver in a Worker, and the same graph natively ──────
// Each track: an audio clip of the noise → the four filters of `track(t)` → fader → pan →
// master, with a post-fader send at −12 dB to a bus (a lowpass, fader, pan) → master. The
// sample has 64 zeros at each end so the clip player's 32-frame edge fades touch only silence.
const BOUNCE_URL = '/dist/quaver-bounce.js';
const SEND_GAIN = 0.25;
const BUS_FILTER = { type: 'lowpass', frequency: 8000, Q: 0 };
const EDGE = 64;

function paddedNoise(frames) {
  const samples = new Float32Array(frames);
  samples.set(noise(frames - 2 * EDGE), EDGE);
  return samples;
}

function nativeProject(ctx) {
  const frames = ctx.length;
  const buffer = ctx.createBuffer(1, frames, ctx.sampleRate);
  buffer.copyToChannel(paddedNoise(frames), 0);
  const master = new GainNode(ctx, { gain: 1 });
  const busIn = new GainNode(ctx, { gain: 1 });
  busIn.connect(new BiquadFilterNode(ctx, BUS_FILTER)).connect(new GainNode(ctx, { gain: 1 })).connect(new StereoPannerNode(ctx, { pan: 0 })).connect(master);
  for (let t = 0; t < TRACKS; t += 1) {
    const strip = track(t);
    const clip = new AudioBufferSourceNode(ctx, { buffer });
    clip.start(0);
    let last = clip;
    for (const f of strip.filters) last = last.connect(new BiquadFilterNode(ctx, f));
    const fader = last.connect(new GainNode(ctx, { gain: strip.gain }));
    fader.connect(new StereoPannerNode(ctx, { pan: strip.pan })).connect(master);
    fader.connect(new GainNode(ctx, { gain: SEND_GAIN })).connect(busIn);
  }
  return master;
}

/** The same project as the workstation saves it (a bare project: no history); `loop`: loop it. */
function w2Project(frames, { loop = false, trackCount = TRACKS } = {}) {
  const ticks = Math.round((frames / SAMPLE_RATE) * 2 * 960);
  const strip = (gain, pan) => ({ gain_db: 20 * Math.log10(gain), pan, mute: false, solo: false });
  const device = (id, f) => ({
    id, kind: 'biquad', params: { frequency: f.frequency, Q: f.Q, ...(f.gain === undefined ? {} : { gain: f.gain }) }, choices: { type: f.type }, bypass: false,
  });
  const bus = { id: 1, name: 'bus', strip: strip(1, 0), inserts: [device(2, BUS_FILTER)] };
  const tracks = Array.from({ length: trackCount }, (_, t) => {
    const id = 100 + t * 10;
    const s = track(t);
    return {
      id, name: `track ${t + 1}`, kind: 'audio', instrument: null,
      clips: [{ id: id + 1, start: 0, length: ticks, content: { type: 'audio', asset: 'noise', offset: 0 } }],
      strip: strip(s.gain, s.pan), inserts: s.filters.map((f, i) => device(id + 2 + i, f)), sends: [{ bus: 1, gain_db: 20 * Math.log10(SEND_GAIN) }],
    };
  });
  return {
    version: 1, name: 'W2', tempo_bpm: 120, time_signature: { numerator: 4, denominator: 4 }, tracks, buses: [bus], master: strip(1, 0), loop_region: loop ? { start: 0, end: ticks } : null,
  };
}

// ── W1: the W2 project played live, timed by the engine's own telemetry ───────
const LIVE_CLIP_SECONDS = 4;

/**
 * Plays the W2 project (its 4 s clips looped) in a live AudioContext for `seconds` after a
 * warm-up, and returns the engine's load reading (EngineClient.load) over that span. With
 * `clock`, a shared clock times every quantum (percentiles); without, Date.now() gives the
 * mean only. Also: how loud the output was, and the dropouts Chromium counted.
 */
async function liveLoad({ seconds = 15, warmupSeconds = 2, clock = true } = {}) {
  const context = new AudioContext({ latencyHint: 'interactive', sampleRate: SAMPLE_RATE });
  const shared = clock ? startSharedClock() : null;
  const session = { value: null };
  try {
    const module = await engineModule(WASM_URL);
    const engine = await EngineClient.create(context, { module, workletUrl: WORKLET_URL, maxNodes: 2048, maxEdges: 8192, clock: shared?.buffer ?? null });
    const frames = LIVE_CLIP_SECONDS * SAMPLE_RATE;
    session.value = Session.load(JSON.stringify(w2Project(frames, { loop: true })));
    session.value.addSample('noise', SAMPLE_RATE, [paddedNoise(frames)]);
    const analyser = new AnalyserNode(context, { fftSize: 32768 });
    engine.node.connect(context.destination);
    engine.node.connect(analyser);
    engine.call(() => session.value.sync(engine.controller));
    await engine.ready;
    await engine.commit();
    await context.resume();
    const at = Math.ceil((context.currentTime + 0.2) * SAMPLE_RATE);
    engine.call(() => session.value.play(engine.controller, at, 0, true, false));
    await engine.commit();
    const sleep = (s) => new Promise((resolve) => { setTimeout(resolve, s * 1000); });
    await sleep(warmupSeconds);
    await engine.load();
    const statsBefore = context.playbackStats ? { ...context.playbackStats.toJSON() } : null;
    const startedAt = context.currentTime;
    await sleep(seconds);
    const reading = await engine.load();
    const played = context.currentTime - startedAt;
    const statsAfter = context.playbackStats ? { ...context.playbackStats.toJSON() } : null;
    const block = new Float32Array(analyser.fftSize);
    analyser.getFloatTimeDomainData(block);
    const rms = Math.sqrt(block.reduce((sum, v) => sum + v * v, 0) / block.length);
    return {
      ...reading,
      histogram: Array.from(reading.histogram),
      playedSeconds: played,
      expectedQuanta: (played * SAMPLE_RATE) / QUANTUM,
      outputRms: rms,
      clockResolutionMs: shared ? shared.resolutionMs() : null,
      underruns: statsBefore && statsAfter ? (statsAfter.underrunEvents ?? 0) - (statsBefore.underrunEvents ?? 0) : null,
      errors: engine.errors.map((e) => `${e.code}: ${e.message}`),
      nodes: engine.nodeCount,
    };
  } finally {
    session.value?.free();
    shared?.stop();
    await context.close();
  }
}

/** Planar float channels of a 32-bit float WAV (as the bounce writes it). */
function floatWavChannels(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at) => String.fromCharCode(...bytes.subarray(at, at + 4));
  let channels = 2;
  for (let at = 12; at + 8 <= bytes.length;) {
    const size = view.getUint32(at + 4, true);
    if (tag(at) === 'fmt ') channels = view.getUint16(at + 10, true);
    if (tag(at) === 'data') {
      const frames = size / (4 * channels);
      const out = Array.from({ length: channels }, () => new Float32Array(frames));
      for (let f = 0; f < frames; f += 1) for (let c = 0; c < channels; c += 1) out[c][f] = view.getFloat32(at + 8 + (f * channels + c) * 4, true);
      return out;
    }
    at += 8 + size + (size % 2);
  }
  throw new Error('the bounce is not a WAV file');
}

/** Quaver's bounce of the W2 project in a Worker; times the render the Worker reports. */
async function workerBounce(frames) {
  const module = await engineModule(WASM_URL);
  const worker = new Worker(BOUNCE_URL);
  const sample = { name: 'noise', sampleRate: SAMPLE_RATE, channels: [paddedNoise(frames)] };
  const result = await new Promise((resolve, reject) => {
    worker.onmessage = ({ data }) => {
      if (data.type === 'done') resolve(data);
      if (data.type === 'error') reject(new Error(`${data.code}: ${data.message}`));
    };
    worker.onerror = (e) => reject(new Error(e.message));
    worker.postMessage({ module, project: JSON.stringify(w2Project(frames)), samples: [sample], sampleRate: SAMPLE_RATE, format: 'float32', tail: 0 });
  });
  worker.terminate();
  const channels = floatWavChannels(result.wav);
  const problems = result.frames === frames ? [] : [`the bounce has ${result.frames} frames, not ${frames}`];
  return { ms: result.renderMs, channels, problems };
}

// ── G8: the threads build's pool, 1 thread against 2, on batch analysis and a stem bounce ──
const THREADS_WORKER_URL = '/dist/threads/worker.js';

/** A threads Worker with a pool of `threads`, and a way to ask it for one job. */
async function threadsWorker(threads) {
  const worker = new Worker(THREADS_WORKER_URL, { type: 'module' });
  const ask = (message, transfer = []) => new Promise((resolve, reject) => {
    worker.onmessage = ({ data }) => {
      if (data.type === 'error') reject(new Error(`${data.code}: ${data.message}`));
      else if (data.type !== 'progress') resolve(data);
    };
    worker.onerror = (e) => reject(new Error(e.message));
    worker.postMessage(message, transfer);
  });
  const ready = await ask({ type: 'start', threads });
  if (ready.threads !== threads) throw new Error(`asked for ${threads} threads, the pool has ${ready.threads}`);
  return { worker, ask };
}

/**
 * G8 on a pool of `threads`: the records of the files at `urls` (one batch, timed around the
 * call), and a mix with the stems of its `trackCount` tracks, `seconds` long (the render the
 * Worker times). The records and the WAVs' hashes come back, so runs can be compared.
 */
async function threadsCase(threads, { urls, trackCount = 8, seconds = 4, mixSeconds = 10 }) {
  const files = await Promise.all(urls.map(async (url) => ({ name: url, bytes: new Uint8Array(await (await fetch(url)).arrayBuffer()) })));
  const { worker, ask } = await threadsWorker(threads);
  try {
    const started = performance.now();
    const { records } = await ask({ type: 'analyze', files }, files.map((f) => f.bytes.buffer));
    const analysisMs = performance.now() - started;
    const frames = Math.round(seconds * SAMPLE_RATE);
    const project = w2Project(frames, { trackCount });
    const stems = project.tracks.map((track) => ({ ...project, tracks: project.tracks.map((t) => ({ ...t, strip: { ...t.strip, solo: t.id === track.id } })) }));
    const sample = { name: 'noise', sampleRate: SAMPLE_RATE, channels: [paddedNoise(frames)] };
    const done = await ask({ type: 'bounce', projects: [project, ...stems].map((p) => JSON.stringify(p)), samples: [sample], sampleRate: SAMPLE_RATE, format: 'float32', tail: 0 });
    const wavHashes = done.wavs.map((w) => hash([new Float32Array(w.buffer, w.byteOffset, w.byteLength >> 2)]));
    // G8 as BENCHMARKS.md words it: one graph (the 64-track W2 project) bounced as one mix, its
    // tracks in parts on the pool.
    const mixFrames = Math.round(mixSeconds * SAMPLE_RATE);
    const mixSample = { name: 'noise', sampleRate: SAMPLE_RATE, channels: [paddedNoise(mixFrames)] };
    const mix = await ask({ type: 'bounce', projects: [JSON.stringify(w2Project(mixFrames))], samples: [mixSample], sampleRate: SAMPLE_RATE, format: 'float32', tail: 0 });
    const mixHash = hash(floatWavChannels(mix.wavs[0]));
    return { threads, analysisMs, audioSeconds: records.reduce((sum, r) => sum + (r.seconds ?? 0), 0), records, stemsMs: done.renderMs, bounces: done.wavs.length, wavHashes, mixMs: mix.renderMs, mixHash };
  } finally {
    worker.terminate();
  }
}

/**
 * The W2 project bounced by the threads build's Worker on a pool of every core (up to 8), as
 * the studio bounces on a cross-origin isolated page: its tracks in parts side by side.
 */
async function threadsBounce(frames) {
  const threads = Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 8));
  const { worker, ask } = await threadsWorker(threads);
  try {
    const sample = { name: 'noise', sampleRate: SAMPLE_RATE, channels: [paddedNoise(frames)] };
    const done = await ask({ type: 'bounce', projects: [JSON.stringify(w2Project(frames))], samples: [sample], sampleRate: SAMPLE_RATE, format: 'float32', tail: 0 });
    const channels = floatWavChannels(done.wavs[0]);
    const problems = done.frames === frames ? [] : [`the bounce has ${done.frames} frames, not ${frames}`];
    return { ms: done.renderMs, channels, problems };
  } finally {
    worker.terminate();
  }
}

const CHAIN_LIMITS = { maxNodes: 300, maxEdges: 600 };
const TRACK_LIMITS = { maxNodes: 512, maxEdges: 1024 };
const GAIN_LIMITS = { maxNodes: 1100, maxEdges: 1200 };
// G4 at graph level: one graph rendered by the SIMD128 build and by the scalar build.
const simdAndScalar = (graph, limits) => ({
  simd: inQuaver(graph, limits, WASM_URL),
  scalar: inQuaver(graph, limits, SCALAR_WASM_URL),
  baseline,
});
export const CASES = {
  G1: { native: native(nativeChain), quaver: inQuaver(quaverChain, CHAIN_LIMITS), baseline },
  G2: { native: native(nativeTracks), quaver: inQuaver(quaverTracks, TRACK_LIMITS), baseline },
  G3: { native: native(nativeGains), quaver: inQuaver(quaverGains, GAIN_LIMITS), baseline },
  'G4-gain': simdAndScalar(quaverGains, GAIN_LIMITS),
  'G4-chain': simdAndScalar(quaverChain, CHAIN_LIMITS),
  'G4-tracks': simdAndScalar(quaverTracks, TRACK_LIMITS),
  G6: { quaver: quaverPassThroughs, js: jsPassThroughs, baseline },
  G7: { js: inJs('bench-biquad-chain', CHAIN), quaver: inQuaver(quaverChain, CHAIN_LIMITS), baseline },
  W2: { native: native(nativeProject), bounce: { worker: workerBounce }, baseline },
  'W2-threads': { native: native(nativeProject), threads: { worker: threadsBounce }, baseline },
  G9: {
    burst: inQuaver(quaverChain, CHAIN_LIMITS),
    noise: inQuaver(quaverChain, CHAIN_LIMITS),
    baseline,
  },
};

// G9's burst variant hears 1 s of noise and then digital zeros (a buffer that keeps playing,
// so the input stays connected and audible-flagged: the filters must run on real zeros).
const audibleSeconds = (id, variant, seconds) => (id === 'G9' && variant === 'burst' ? Math.min(1, seconds) : seconds);

// ── describing an output without shipping it ─────────────────────────────────

function describe(channel) {
  let sum = 0;
  let maxAbs = 0;
  let subnormals = 0;
  let nonFinite = 0;
  let lastNonZero = -1;
  let firstSubnormal = -1;
  let lastSubnormal = -1;
  for (let i = 0; i < channel.length; i += 1) {
    const v = channel[i];
    if (!Number.isFinite(v)) { nonFinite += 1; continue; }
    const a = Math.abs(v);
    sum += v * v;
    if (a > maxAbs) maxAbs = a;
    if (v !== 0) {
      lastNonZero = i;
      if (a < FLT_MIN) {
        subnormals += 1;
        if (firstSubnormal < 0) firstSubnormal = i;
        lastSubnormal = i;
      }
    }
  }
  return { rms: Math.sqrt(sum / channel.length), maxAbs, subnormals, firstSubnormal, lastSubnormal, nonFinite, lastNonZero };
}

/** FNV-1a over the raw bits: equal hashes mean bit-identical output. */
function hash(channels) {
  let h = 0x811c9dc5;
  for (const channel of channels) {
    const bits = new Uint32Array(channel.buffer, channel.byteOffset, channel.length);
    for (let i = 0; i < bits.length; i += 1) h = Math.imul(h ^ bits[i], 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

const kept = new Map();

/**
 * Renders case `id` with `variant` once. Options: `seconds` (default 10), `keep` (a name
 * under which the full output stays in the page for `compareOutputs`).
 */
async function runCase(id, variant, options = {}) {
  const seconds = options.seconds ?? 10;
  const frames = Math.round(seconds * SAMPLE_RATE);
  const build = CASES[id]?.[variant];
  if (!build) throw new Error(`no case ${id}/${variant}`);
  if (build.worker) {
    // Rendered outside any AudioContext: the Worker times its own render loop.
    const { ms, channels, problems } = await build.worker(frames);
    if (options.keep) kept.set(options.keep, channels);
    return { id, variant, seconds, frames, quanta: frames / QUANTUM, ms, nodes: null, problems, hash: hash(channels), channels: channels.map(describe) };
  }
  const ctx = new OfflineAudioContext(2, frames, SAMPLE_RATE);
  const src = source(ctx, noise(frames, Math.round(audibleSeconds(id, variant, seconds) * SAMPLE_RATE)));
  const graph = await build(ctx, src);
  graph.node.connect(ctx.destination);
  // Keep worklet construction (wasm instantiation, building the nodes) out of the timing.
  if (graph.ready) await withTimeout(graph.ready, 20_000, `${id}/${variant}: the worklet processor's construction`);
  const start = performance.now();
  const rendered = await ctx.startRendering();
  const ms = performance.now() - start;
  const { problems, nodes } = await graph.check();
  const channels = [rendered.getChannelData(0), rendered.getChannelData(1)];
  if (options.keep) kept.set(options.keep, channels);
  return {
    id,
    variant,
    seconds,
    frames,
    quanta: frames / QUANTUM,
    ms,
    nodes,
    problems,
    hash: hash(channels),
    channels: channels.map(describe),
  };
}

/** Differences between two kept outputs, per channel, over `frames` (default: all). */
function compareOutputs(a, b, frames) {
  const x = kept.get(a);
  const y = kept.get(b);
  if (!x || !y) throw new Error(`compareOutputs: nothing kept as ${x ? b : a}`);
  return x.map((cx, ch) => {
    const cy = y[ch];
    const n = Math.min(frames ?? cx.length, cx.length, cy.length);
    let maxAbsDiff = 0;
    let diff2 = 0;
    let ref2 = 0;
    let firstDiff = -1;
    for (let i = 0; i < n; i += 1) {
      const d = cx[i] - cy[i];
      if (d !== 0 && firstDiff < 0) firstDiff = i;
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(d));
      diff2 += d * d;
      ref2 += cx[i] * cx[i];
    }
    return { frames: n, maxAbsDiff, relativeRmsDiff: ref2 > 0 ? Math.sqrt(diff2 / ref2) : (diff2 > 0 ? Infinity : 0), identical: firstDiff < 0, firstDiff };
  });
}

function forget() {
  kept.clear();
}

/** Does the audio thread keep subnormal results (IEEE) or flush them? */
async function subnormalProbe() {
  const ctx = new OfflineAudioContext(1, QUANTUM * 4, SAMPLE_RATE);
  await ctx.audioWorklet.addModule(JS_WORKLETS_URL);
  const node = new AudioWorkletNode(ctx, 'bench-subnormal-probe', { numberOfInputs: 1, numberOfOutputs: 1 });
  const got = new Promise((resolve) => { node.port.onmessage = (e) => resolve(e.data); });
  const src = new ConstantSourceNode(ctx, { offset: 0.5 });
  src.connect(node).connect(ctx.destination);
  src.start();
  await ctx.startRendering();
  const { f32, f64 } = await withTimeout(got, 5000, 'the subnormal probe');
  return { f32Kept: f32 !== 0, f64Kept: f64 !== 0, f32, f64 };
}

/** A bar chart of the median ratios against their targets, for the PNG next to the table. */
function plot(rows) {
  const canvas = document.getElementById('plot');
  canvas.hidden = false;
  const g = canvas.getContext('2d');
  const { width, height } = canvas;
  g.fillStyle = '#fff';
  g.fillRect(0, 0, width, height);
  g.font = '14px sans-serif';
  g.fillStyle = '#000';
  g.fillText('Quaver browser benchmarks: median ratio (bar) and target (line); green met, red not met, grey invalid', 20, 24);
  const left = 190;
  const barHeight = (height - 60) / rows.length;
  const max = Math.max(...rows.flatMap((r) => [r.median, r.target])) * 1.15;
  const x = (v) => left + (v / max) * (width - left - 80);
  rows.forEach((r, i) => {
    const y = 44 + i * barHeight;
    g.fillStyle = '#000';
    g.fillText(r.label, 10, y + barHeight / 2 + 5);
    g.fillStyle = r.invalid ? '#999' : r.met ? '#3a3' : '#c33';
    g.fillRect(left, y + 4, x(r.median) - left, barHeight - 10);
    g.fillStyle = '#000';
    g.fillText(`${r.median.toFixed(2)}×`, x(r.median) + 6, y + barHeight / 2 + 5);
    g.strokeStyle = '#000';
    g.lineWidth = 2;
    g.beginPath();
    g.moveTo(x(r.target), y);
    g.lineTo(x(r.target), y + barHeight - 2);
    g.stroke();
  });
}

Object.assign(window, { runCase, threadsCase, liveLoad, compareOutputs, forget, subnormalProbe, plot, benchReady: true });
document.getElementById('status').textContent = 'ready';
