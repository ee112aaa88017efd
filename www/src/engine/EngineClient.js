// Main thread: the Quaver engine as a web audio developer expects to drive it. Node ids come
// from a Controller (the same wasm module, instantiated here), so every call is checked at
// once; accepted calls are batched per microtask and posted to the worklet, which applies
// each batch at the next quantum boundary and acknowledges it. Every node kind, parameter
// and setting is learnt from the engine's describe(): nothing here lists them.
import { initSync, meterLayout, Analyser, Controller } from '../../../pkg/quaver.js';
import {
  MSG, PROCESSOR_NAME, PROTOCOL_VERSION, loadPercentile, readLane, sharedLane, sharedLaneBuffer,
} from './protocol.js';

/** How many refusals `engine.errors` keeps (the oldest go first); `errorCount` counts all. */
const ERROR_LOG = 200;

/** How often meter readings are taken from shared memory (the worklet writes every ~32 ms). */
const METER_POLL_MS = 30;

/** An engine refusal: `code` is stable (`Cycle`, `StaleNode`, `NonFinite`, ...). */
export class QuaverError extends Error {
  constructor(message, code, { node = null, param = null, errors = [] } = {}) {
    super(message);
    this.name = 'QuaverError';
    this.code = code;
    /** The node id the refusal is about, if any. */
    this.node = node;
    /** The parameter name the refusal is about, if any. */
    this.param = param;
    /** For a rejected commit(): every refusal it covers. */
    this.errors = errors;
    /** How many identical refusals in a row this one stands for. */
    this.count = 1;
  }
}

// The engine throws JS Errors carrying `code`, `node` and `param`; anything else is internal.
function fromEngine(err) {
  if (err instanceof QuaverError) return err;
  const message = String(err && err.message !== undefined ? err.message : err);
  const code = typeof err?.code === 'string' ? err.code : 'Internal';
  return new QuaverError(message, code, { node: err?.node ?? null, param: err?.param ?? null });
}

/**
 * Whether this browser runs WebAssembly SIMD128: a module of one function that returns
 * `i8x16.splat(0)` validates only where it does.
 */
export function supportsSimd() {
  const probe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253, 15, 11]);
  return WebAssembly.validate(probe);
}

/** Compiles the engine's wasm once; the Module goes to the worklet in processorOptions. */
export async function compileEngine(wasmUrl) {
  const response = await fetch(wasmUrl);
  if (!response.ok) throw new Error(`could not load ${wasmUrl}: HTTP ${response.status}`);
  if ((response.headers.get('content-type') || '').startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

/** A parameter with AudioParam's attributes and methods; each method returns the param. */
export class QuaverParam {
  constructor(node, index, description) {
    this.node = node;
    this.engine = node.engine;
    this.index = index;
    this.name = description.name;
    this.defaultValue = description.defaultValue;
    this.minValue = description.minValue;
    this.maxValue = description.maxValue;
    this.automationRate = description.automationRate;
    /** The range a control for this parameter should offer: `{ min, max, log }`. */
    this.control = description.control;
    this.current = description.defaultValue;
  }

  /** The last value set; a running node glides to it over 10 ms. */
  get value() {
    return this.current;
  }

  set value(v) {
    const number = Number(v);
    if (this.run((id) => this.engine.controller.set_value(id, this.index, number))) this.current = number;
  }

  run(fn) {
    return this.engine.call(() => fn(this.node.alive(), this.index));
  }

  setValueAtTime(value, time) {
    this.run((id, p) => this.engine.controller.set_value_at_time(id, p, Number(value), Number(time)));
    return this;
  }

  linearRampToValueAtTime(value, time) {
    this.run((id, p) => this.engine.controller.linear_ramp_to_value_at_time(id, p, Number(value), Number(time)));
    return this;
  }

  exponentialRampToValueAtTime(value, time) {
    this.run((id, p) => this.engine.controller.exponential_ramp_to_value_at_time(id, p, Number(value), Number(time)));
    return this;
  }

  setTargetAtTime(target, time, timeConstant) {
    this.run((id, p) => this.engine.controller.set_target_at_time(id, p, Number(target), Number(time), Number(timeConstant)));
    return this;
  }

  setValueCurveAtTime(values, time, duration) {
    this.run((id, p) => this.engine.controller.set_value_curve_at_time(id, p, Float32Array.from(values), Number(time), Number(duration)));
    return this;
  }

  cancelScheduledValues(time) {
    this.run((id, p) => this.engine.controller.cancel_scheduled_values(id, p, Number(time)));
    return this;
  }

  cancelAndHoldAtTime(time) {
    this.run((id, p) => this.engine.controller.cancel_and_hold_at_time(id, p, Number(time)));
    return this;
  }
}

/** A parameter name the node does not have: every use records a BadParam refusal. */
class MissingParam extends QuaverParam {
  constructor(node, name) {
    super(node, -1, { name, defaultValue: NaN, minValue: NaN, maxValue: NaN, automationRate: 'a-rate', control: null });
  }

  run() {
    return this.engine.call(() => {
      throw new QuaverError(`${this.node.kind} has no parameter '${this.name}'`, 'BadParam', { node: this.node.id, param: this.name });
    });
  }
}

const capitalised = (name) => name[0].toUpperCase() + name.slice(1);

/**
 * A node in the engine's graph, with its parameters and settings as the engine describes
 * them: `osc.frequency`, `osc.type = 'sawtooth'`, `osc.start(when)`. `id` is null when the
 * engine refused to create it.
 */
export class QuaverNode extends EventTarget {
  constructor(engine, id, description) {
    super();
    this.engine = engine;
    this.id = id;
    this.kind = description.name;
    this.description = description;
    this.numberOfInputs = description.numberOfInputs;
    this.numberOfOutputs = description.numberOfOutputs;
    this.settingValues = {};
    this.params = description.params.map((p, index) => new QuaverParam(this, index, p));
    for (const param of this.params) Object.defineProperty(this, param.name, { value: param, enumerable: true });
    description.settings.forEach((setting, index) => this.defineSetting(setting, index));
    if (description.captures) Object.defineProperties(this, Object.getOwnPropertyDescriptors(analyserMethods));
    if (description.reading) {
      // A compressor's `reduction`: kept up to date about 30 times a second by its meter.
      this.readingValue = 0;
      Object.defineProperty(this, description.reading, {
        get: () => {
          this.engine.pollMeters();
          return this.readingValue;
        },
        enumerable: true,
      });
    }
  }

  defineSetting(setting, index) {
    const { name, type } = setting;
    if (type === 'time') {
      // Scheduled sources: start(when) and stop(when), as in Web Audio; a buffer source's
      // start(when, offset, duration) gives its offset and duration settings first.
      Object.defineProperty(this, name, {
        value: (when = 0, offset = undefined, duration = undefined) => {
          if (name === 'start' && offset !== undefined && 'offset' in this.settingValues) this.offset = offset;
          if (name === 'start' && duration !== undefined && 'duration' in this.settingValues) this.duration = duration;
          return this.configure(index, 'configure_time', Number(when));
        },
      });
      return;
    }
    if (type === 'wave') {
      // setPeriodicWave(engine.createPeriodicWave(real, imag)): the type becomes 'custom'.
      Object.defineProperty(this, `set${capitalised(name)}`, {
        value: (wave) => {
          const accepted = this.configure(index, 'configure_wave', Float32Array.from(wave?.real ?? []),
            Float32Array.from(wave?.imag ?? []), !wave?.disableNormalization);
          if (accepted && 'type' in this.settingValues) this.settingValues.type = 'custom';
        },
      });
      return;
    }
    Object.defineProperty(this, name, {
      enumerable: true,
      get: () => this.settingValues[name],
      set: (value) => {
        const accepted = this.engine.call(() => {
          if (type === 'samples' && setting.stored) {
            this.engine.controller.configure_stored(this.alive(), index, this.engine.storedBuffer(value));
            return;
          }
          const [method, ...args] = settingCall(setting, value);
          this.engine.controller[method](this.alive(), index, ...args);
        });
        if (accepted) this.settingValues[name] = type === 'number' ? Number(value) : value;
      },
    });
    if (type === 'choice') this.settingValues[name] = setting.choices[0];
    else if (type === 'flag') this.settingValues[name] = Boolean(setting.defaultValue);
    else this.settingValues[name] = setting.defaultValue ?? null;
  }

  configure(index, method, ...args) {
    return this.engine.call(() => this.engine.controller[method](this.alive(), index, ...args));
  }

  /** Called once when a source has played out, as AudioScheduledSourceNode's `onended`. */
  get onended() {
    return this.endedHandler ?? null;
  }

  set onended(handler) {
    if (this.endedHandler) this.removeEventListener('ended', this.endedHandler);
    this.endedHandler = typeof handler === 'function' ? handler : null;
    if (this.endedHandler) this.addEventListener('ended', this.endedHandler);
  }

  /** The parameter called `name`; an unknown name gives a parameter whose use is refused. */
  param(name) {
    return this.params.find((p) => p.name === name) ?? new MissingParam(this, name);
  }

  /**
   * Connects output `output` to another node's input `input`, or into a parameter (audio-rate
   * modulation, summed with the parameter's own value). Returns `destination` for chaining.
   */
  connect(destination, output = 0, input = 0) {
    this.engine.call(() => {
      if (destination instanceof QuaverParam && destination.engine === this.engine) {
        if (destination instanceof MissingParam) destination.run();
        else this.engine.controller.connect_param(this.alive(), output, destination.node.alive(), destination.index);
        return;
      }
      if (!(destination instanceof QuaverNode) || destination.engine !== this.engine) {
        throw new QuaverError('connect() takes a node or parameter of the same Quaver engine', 'BadPort', { node: this.id });
      }
      this.engine.controller.connect(this.alive(), output, destination.alive(), input);
    });
    return destination;
  }

  /** With no argument, removes every connection leaving this node. */
  disconnect(destination, output = 0, input = 0) {
    this.engine.call(() => {
      if (destination === undefined) this.engine.controller.disconnect_outputs(this.alive());
      else if (destination instanceof QuaverParam) this.engine.controller.disconnect_param(this.alive(), output, destination.node.alive(), destination.index);
      else this.engine.controller.disconnect(this.alive(), output, destination.alive(), input);
    });
  }

  /** Removes the node from the graph; its id goes stale. */
  dispose() {
    if (this.engine.call(() => this.engine.controller.remove_node(this.alive()))) this.engine.forget(this);
  }

  alive() {
    if (this.id === null) throw new QuaverError(`this ${this.kind} was never created (its creation was refused)`, 'StaleNode');
    return this.id;
  }
}

/**
 * AnalyserNode's reading methods, for nodes that capture their input. The engine's node keeps
 * the samples; about 30 times a second the worklet publishes the newest window (into shared
 * memory on a cross-origin isolated page, taken from there when asked; as a message
 * otherwise), and the spectrum is computed here, on the main thread, when asked (as browsers
 * do).
 */
const analyserMethods = {
  get frequencyBinCount() {
    return this.fftSize / 2;
  },

  spectrum() {
    const size = this.fftSize;
    if (!this.analyser || this.analyserSize !== size) {
      this.analyser = new Analyser(size);
      this.analyserSize = size;
      this.windowFresh = Boolean(this.window);
      this.engine.listen(this, size);
    }
    if (this.lane) this.pullWindow();
    this.analyser.set_smoothing(this.smoothingTimeConstant);
    this.analyser.set_decibels(this.minDecibels, this.maxDecibels);
    if (this.windowFresh) {
      this.analyser.analyse(this.window.subarray(Math.max(0, this.window.length - size)));
      this.windowFresh = false;
    }
    return this.analyser;
  },

  // The newest window in the shared lane, if the worklet wrote one since the last pull. Read
  // into a spare buffer first, so a read torn by the worklet's next write is never shown.
  pullWindow() {
    const frames = this.lane.words.length;
    if (!this.spareWindow || this.spareWindow.length !== frames) this.spareWindow = new Uint32Array(frames);
    if (readLane(this.lane, this.spareWindow) !== frames) return;
    const shown = this.laneWindow;
    this.laneWindow = new Float32Array(this.spareWindow.buffer);
    this.window = this.laneWindow;
    this.spareWindow = shown?.length === frames ? new Uint32Array(shown.buffer) : null;
    this.windowFresh = true;
  },

  getFloatFrequencyData(array) {
    const out = new Float32Array(this.frequencyBinCount);
    this.spectrum().float_frequency_data(out);
    array.set(out.subarray(0, array.length));
  },

  getByteFrequencyData(array) {
    const out = new Uint8Array(this.frequencyBinCount);
    this.spectrum().byte_frequency_data(out);
    array.set(out.subarray(0, array.length));
  },

  getFloatTimeDomainData(array) {
    this.spectrum();
    const size = Math.min(array.length, this.fftSize);
    if (this.window) array.set(this.window.subarray(this.window.length - size));
  },

  getByteTimeDomainData(array) {
    this.spectrum();
    const size = Math.min(array.length, this.fftSize);
    const out = new Uint8Array(size).fill(128);
    if (this.window) Analyser.byte_time_domain_data(this.window.subarray(this.window.length - size), out);
    array.set(out);
  },
};

// The channels of an AudioBuffer, or of { sampleRate, channels: [Float32Array, ...] }.
function bufferChannels(value) {
  return typeof value?.getChannelData === 'function'
    ? Array.from({ length: value.numberOfChannels }, (_, c) => value.getChannelData(c))
    : Array.from(value?.channels ?? [], (c) => Float32Array.from(c));
}

// The controller call and arguments that give a setting a value.
function settingCall(setting, value) {
  switch (setting.type) {
    case 'choice': {
      const index = setting.choices.indexOf(value);
      if (index < 0) throw new QuaverError(`'${value}' is not one of ${setting.choices.join(', ')}`, 'BadSetting');
      return ['configure_choice', index];
    }
    case 'number': return ['configure_number', Number(value)];
    case 'flag': return ['configure_flag', Boolean(value)];
    case 'curve': return ['configure_curve', Float32Array.from(value ?? [])];
    case 'samples': {
      // An impulse response (a convolver makes it into spectra, so it is not stored).
      return ['configure_samples', Number(value?.sampleRate), bufferChannels(value)];
    }
    case 'sequence': {
      // [{ start, length, key, velocity }, ...] in song frames.
      const flat = new Float64Array((value ?? []).length * 4);
      (value ?? []).forEach((n, i) => flat.set([n.start, n.length, n.key, n.velocity], i * 4));
      return ['configure_sequence', flat];
    }
    case 'transport': {
      const t = value ?? {};
      return ['configure_transport', Boolean(t.playing), Float64Array.of(t.at ?? 0, t.position ?? 0, t.loopStart ?? 0, t.loopEnd ?? 0)];
    }
    case 'note': return ['configure_note', Number(value?.key), Number(value?.velocity ?? 0)];
    default: throw new QuaverError(`setting ${setting.name} cannot be assigned`, 'BadSetting');
  }
}

/** A LOAD message as fractions of a quantum's time, with the histogram's percentiles. */
function loadReading({ quanta, renderMs, worstMs, quantumMs, precise, histogram }) {
  const percentile = (p) => (precise ? loadPercentile(histogram, p) : null);
  return {
    quanta,
    mean: quanta > 0 ? renderMs / quanta / quantumMs : 0,
    p50: percentile(0.5),
    p99: percentile(0.99),
    worst: worstMs / quantumMs,
    precise,
    histogram,
  };
}

/**
 * The engine: one AudioWorkletNode (`engine.node`) hosting a whole graph. Every node kind
 * the engine has gets a factory named as in Web Audio (`createOscillator()`, `createGain()`,
 * `createBiquadFilter()`, ...); `engine.kinds` lists them with their parameters and settings.
 *
 * Refused calls never throw: they change nothing, fire an `error` event (identical refusals
 * in a row are coalesced into one, with a `count`), and make the next `commit()` reject.
 */
export class EngineClient extends EventTarget {
  /**
   * @param {BaseAudioContext} context
   * @param {{module?: WebAssembly.Module, wasmUrl?: string|URL, workletUrl?: string|URL,
   *          maxNodes?: number, maxEdges?: number, clock?: SharedArrayBuffer}} options
   *   `clock`: a shared clock's buffer (`startSharedClock()`), so `load()` gives percentiles
   */
  static async create(context, options = {}) {
    // With no URLs given, the package's own files, found beside this one (bundlers copy them):
    // the SIMD128 build where the browser runs it, the scalar build elsewhere.
    const simd = supportsSimd();
    const wasmUrl = options.wasmUrl
      ?? (simd ? new URL('./quaver_bg.wasm', import.meta.url) : new URL('./quaver_scalar_bg.wasm', import.meta.url));
    const module = options.module ?? (await compileEngine(wasmUrl));
    await context.audioWorklet.addModule(options.workletUrl ?? new URL('./worklet.js', import.meta.url));
    initSync({ module });
    const engine = new EngineClient(context, module, options);
    /** Which build plays: 'simd', 'scalar', or 'given' (a Module passed in). */
    engine.build = options.module ? 'given' : simd ? 'simd' : 'scalar';
    return engine;
  }

  constructor(context, module, { maxNodes = 1024, maxEdges = 4096, clock = null } = {}) {
    super();
    this.context = context;
    this.module = module;
    this.limits = { maxNodes, maxEdges };
    this.clock = clock;
    this.loadWaiters = [];
    try {
      this.controller = new Controller(context.sampleRate, maxNodes, maxEdges);
    } catch (err) {
      throw fromEngine(err);
    }
    /** Every node kind, by name, as the engine describes it. */
    this.kinds = new Map(this.controller.describe().map((kind) => [kind.name, kind]));
    for (const kind of this.kinds.values()) {
      if (kind.factory) Object.defineProperty(this, kind.factory, { value: (...args) => this.create(kind.name, ...args) });
    }
    this.destination = new QuaverNode(this, this.controller.destination(), this.kinds.get('destination'));
    this.input = new QuaverNode(this, this.controller.input(), this.kinds.get('input'));
    this.nodesById = new Map([[this.destination.id, this.destination], [this.input.id, this.input]]);
    this.errors = [];
    this.errorCount = 0;
    this.fatal = null;
    this.refusals = [];
    this.waiters = [];
    this.lastReported = null;
    /**
     * Capturing nodes the page reads (id → { frames, shared }), and meter subscribers (id →
     * callbacks). On a cross-origin isolated page both come back through shared memory
     * (`shared`: its SharedArrayBuffer), read when wanted, rather than as messages.
     */
    this.listens = new Map();
    this.meterCallbacks = new Map();
    this.sharesMemory = typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated === true;
    [this.maxMeters, this.meterWords] = meterLayout();
    this.meterLane = null;
    this.meterPoll = null;
    // Buffers sent to the worklet (AudioBuffer or plain object → stored buffer number): each
    // crosses once, however many nodes play it, and is let go when the page lets go of it.
    this.buffers = new WeakMap();
    this.bufferRegistry = new FinalizationRegistry((buffer) => {
      try {
        this.controller.release_buffer(buffer);
        this.scheduleFlush();
      } catch {
        // Released already.
      }
    });
    this.seq = 0;
    this.acked = 0;
    this.flushQueued = false;
    this.workletNode = null;
    /** Size of the worklet's wasm memory at the last acknowledgement. */
    this.workletMemoryBytes = 0;
    this.ready = new Promise((resolve) => { this.markReady = resolve; });
  }

  /** The AudioWorkletNode; made on first use, carrying every command accepted so far. */
  get node() {
    if (!this.workletNode) this.attach();
    return this.workletNode;
  }

  get nodeCount() {
    return this.controller.node_count();
  }

  /** Batches sent to the worklet that it has not acknowledged yet. */
  get unacknowledged() {
    return this.seq - this.acked;
  }

  /**
   * A node of kind `kind`. Creation-only settings (a delay's `maxDelayTime`) may follow as
   * positional arguments, in the order the kind lists them, or in an options object that may
   * also give parameter values and other settings.
   */
  create(kind, ...args) {
    const description = this.kinds.get(kind);
    let id = null;
    this.call(() => { id = this.controller.add_node(kind); });
    if (!description) {
      return new QuaverNode(this, null, { name: kind, numberOfInputs: 0, numberOfOutputs: 0, params: [], settings: [] });
    }
    const node = new QuaverNode(this, id, description);
    if (id !== null) this.nodesById.set(id, node);
    if (id !== null && description.reading) this.meter(node, () => {});
    const options = args.length === 1 && typeof args[0] === 'object' && args[0] !== null ? args[0] : {};
    const atCreation = description.settings.filter((s) => s.atCreation);
    args.forEach((value, i) => { if (options !== args[0] && atCreation[i]) options[atCreation[i].name] = value; });
    for (const setting of description.settings) {
      if (options[setting.name] !== undefined && setting.type !== 'time') node[setting.name] = options[setting.name];
    }
    for (const param of node.params) {
      if (options[param.name] !== undefined) param.value = options[param.name];
    }
    // Listened to at the size it was made with, so its first reading has a whole window.
    if (id !== null && description.captures) this.listen(node, node.fftSize ?? 2048);
    return node;
  }

  /**
   * The stored buffer holding `value` (an AudioBuffer, or `{ sampleRate, channels }`), sent
   * to the worklet the first time it is given to a node, in pieces outside the command
   * batches. As in Web Audio, a buffer's samples are taken when it is first given: changing
   * them afterwards does not reach the nodes that play it. Throws a refusal.
   */
  storedBuffer(value) {
    const known = value !== null && typeof value === 'object' ? this.buffers.get(value) : undefined;
    if (known !== undefined) return known;
    const buffer = this.controller.store_buffer(Number(value?.sampleRate), bufferChannels(value));
    if (value !== null && typeof value === 'object') {
      this.buffers.set(value, buffer);
      this.bufferRegistry.register(value, buffer);
    }
    return buffer;
  }

  /** Asks the worklet for the last `frames` samples a capturing node keeps (0: stop). */
  listen(node, frames) {
    if (node.id === null || (frames > 0 && this.listens.get(node.id)?.frames === frames)) return;
    const shared = frames > 0 && this.sharesMemory ? sharedLaneBuffer(frames) : null;
    node.lane = shared ? sharedLane(shared) : null;
    if (frames > 0) this.listens.set(node.id, { frames, shared });
    else this.listens.delete(node.id);
    this.workletNode?.port.postMessage({ type: MSG.LISTEN, node: node.id, frames, shared });
  }

  /**
   * Calls `callback({ peak: [l, r], rms: [l, r] })` about 30 times a second with the levels of
   * a node's output: a QuaverNode, or the id of a node made another way (a session's graph).
   * Returns a function that stops it.
   */
  meter(node, callback) {
    const id = typeof node === 'number' ? node : node.id;
    if (!this.call(() => this.controller.meter(typeof node === 'number' ? node : node.alive(), true))) return () => {};
    const callbacks = this.meterCallbacks.get(id) ?? new Set();
    callbacks.add(callback);
    this.meterCallbacks.set(id, callbacks);
    this.startMeters();
    return () => {
      callbacks.delete(callback);
      if (callbacks.size > 0) return;
      this.meterCallbacks.delete(id);
      // A node already removed stops metering with it.
      try {
        this.controller.meter(id, false);
      } catch {
        // Removed with its node: nothing left to stop.
      }
      this.scheduleFlush();
      if (this.meterCallbacks.size === 0) this.stopMeters();
    };
  }

  startMeters() {
    if (this.sharesMemory && !this.meterLane) {
      this.meterLane = sharedLane(sharedLaneBuffer(this.maxMeters * this.meterWords));
      this.meterScratch = new Uint32Array(this.maxMeters * this.meterWords);
    }
    this.workletNode?.port.postMessage({ type: MSG.METERS, on: true, shared: this.meterLane?.header.buffer ?? null });
    if (this.meterLane && this.meterPoll === null) this.meterPoll = setInterval(() => this.pollMeters(), METER_POLL_MS);
  }

  stopMeters() {
    this.workletNode?.port.postMessage({ type: MSG.METERS, on: false });
    clearInterval(this.meterPoll);
    this.meterPoll = null;
  }

  /** Takes the newest meter readings from shared memory, if there are new ones. */
  pollMeters() {
    if (!this.meterLane) return;
    const words = readLane(this.meterLane, this.meterScratch);
    if (words > 0) this.deliverMeters(this.meterScratch, words);
  }

  // `words`: meter records as the worklet writes them (`meterLayout()`).
  deliverMeters(words, count) {
    const floats = new Float32Array(words.buffer, words.byteOffset, count);
    for (let at = 0; at + this.meterWords <= count; at += this.meterWords) {
      const id = words[at];
      const node = this.nodesById.get(id);
      if (node && !Number.isNaN(floats[at + 6])) node.readingValue = floats[at + 6];
      const callbacks = this.meterCallbacks.get(id);
      if (!callbacks) continue;
      const reading = { peak: [floats[at + 2], floats[at + 3]], rms: [floats[at + 4], floats[at + 5]] };
      for (const callback of callbacks) callback(reading);
    }
  }

  forget(node) {
    this.nodesById.delete(node.id);
    if (this.listens.has(node.id)) this.listen(node, 0);
    this.meterCallbacks.delete(node.id);
  }

  /**
   * The audio thread's render load since the last call: `{ quanta, mean, p50, p99, worst,
   * precise }`, each a fraction of a quantum's time (1 = the whole budget). `p50` and `p99` are
   * there only with a shared clock (`precise`); without one, `mean` is still unbiased over many
   * quanta, and `worst` is in whole milliseconds. Null before the worklet exists.
   */
  load() {
    if (!this.workletNode || this.fatal) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.loadWaiters.push(resolve);
      this.workletNode.port.postMessage({ type: MSG.LOAD });
    });
  }

  /** A custom wave for `setPeriodicWave()`, as Web Audio's `createPeriodicWave` makes one. */
  createPeriodicWave(real, imag, { disableNormalization = false } = {}) {
    return { real: Float32Array.from(real ?? []), imag: Float32Array.from(imag ?? []), disableNormalization };
  }

  /** Runs one controller call; a refusal is recorded, not thrown. Returns whether it was accepted. */
  call(fn) {
    try {
      this.controller.advance_to(this.context.currentTime);
      fn();
      return true;
    } catch (err) {
      const error = fromEngine(err);
      if (this.report(error)) this.refusals.push(error);
      return false;
    } finally {
      this.scheduleFlush();
    }
  }

  scheduleFlush() {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  /** Sends what has been accepted since the last batch. */
  flush() {
    this.flushQueued = false;
    this.lastReported = null;
    // A long buffer goes in several batches of about 256 KB, so the audio thread never
    // decodes megabytes in one message.
    while (this.workletNode && this.controller.pending() > 0) {
      const seq = ++this.seq;
      const bytes = this.controller.take_batch();
      this.workletNode.port.postMessage({ type: MSG.BATCH, seq, bytes }, [bytes.buffer]);
    }
  }

  /**
   * Sends what is pending. Resolves once the worklet has applied it; rejects with a QuaverError
   * if anything was refused since the last settled commit — on either side, even by calls made
   * before an `await`. Before `node` exists nothing is sent, and it settles at once.
   */
  commit() {
    return new Promise((resolve, reject) => {
      const waiter = { seq: 0, resolve, reject };
      if (this.fatal) {
        this.settle(waiter);
        return;
      }
      if (this.workletNode) this.flush();
      waiter.seq = this.workletNode ? this.seq : 0;
      if (waiter.seq <= this.acked) this.settle(waiter);
      else this.waiters.push(waiter);
    });
  }

  settle(waiter) {
    const refusals = this.fatal ? [this.fatal] : this.refusals.splice(0);
    if (refusals.length === 0) {
      waiter.resolve();
      return;
    }
    const first = refusals[0];
    waiter.reject(new QuaverError(first.message, first.code, { node: first.node, param: first.param, errors: refusals }));
  }

  attach() {
    // Everything accepted so far travels with the node (a long buffer in several batches): an
    // offline context may deliver no message to the worklet until it has finished rendering.
    const initial = [];
    while (this.controller.pending() > 0) initial.push({ seq: ++this.seq, bytes: this.controller.take_batch() });
    try {
      this.workletNode = new AudioWorkletNode(this.context, PROCESSOR_NAME, {
        numberOfInputs: 1,
        numberOfOutputs: 1,
        outputChannelCount: [2],
        // What to listen to travels with the node too: an offline context may deliver no
        // message to the worklet until it has finished rendering.
        processorOptions: {
          module: this.module,
          ...this.limits,
          initial,
          protocol: PROTOCOL_VERSION,
          listening: Array.from(this.listens, ([id, { frames, shared }]) => [id, frames, shared]),
          metering: this.meterCallbacks.size > 0,
          meterLane: this.meterLane?.header.buffer ?? null,
          clock: this.clock,
        },
      });
    } catch (err) {
      // addModule() resolves even when the module throws while loading; this is where it shows.
      throw new QuaverError(
        `the Quaver worklet did not register '${PROCESSOR_NAME}': its module failed to load or is not the Quaver worklet (${err.message})`,
        'WorkletLoad',
      );
    }
    this.workletNode.port.onmessage = (event) => this.receive(event.data);
    this.workletNode.onprocessorerror = () => this.fail('the engine processor failed to start or crashed');
  }

  // A render-side record ({batch, node, param, code, message}) as a QuaverError.
  fromRecord(record) {
    const param = record.param === null || record.param === undefined
      ? null
      : this.nodesById.get(record.node)?.params[record.param]?.name ?? `#${record.param}`;
    return new QuaverError(record.message, record.code, { node: record.node ?? null, param });
  }

  receive(message) {
    switch (message.type) {
      case MSG.READY:
        this.sampleRate = message.sampleRate;
        this.markReady();
        break;
      case MSG.ACK: {
        this.workletMemoryBytes = message.memoryBytes;
        this.acked = Math.max(this.acked, message.seq);
        for (const record of message.errors) {
          const error = this.fromRecord(record);
          if (this.report(error)) this.refusals.push(error);
        }
        const due = this.waiters.filter((w) => w.seq <= this.acked);
        this.waiters = this.waiters.filter((w) => w.seq > this.acked);
        for (const waiter of due) this.settle(waiter);
        break;
      }
      case MSG.TAPS:
        for (const { node, samples } of message.captures) {
          const target = this.nodesById.get(node);
          if (target) {
            target.window = samples;
            target.windowFresh = true;
          }
        }
        if (message.meters) this.deliverMeters(message.meters, message.meters.length);
        break;
      case MSG.LOAD:
        this.loadWaiters.shift()?.(loadReading(message));
        break;
      case MSG.ENDED:
        for (const id of message.nodes) this.nodesById.get(id)?.dispatchEvent(new Event('ended'));
        break;
      case MSG.NODE_ERROR:
        for (const record of message.errors) this.report(this.fromRecord(record));
        break;
      case MSG.FATAL:
        this.fail(message.message);
        break;
      default:
        break;
    }
  }

  // Returns false when the error was folded into the one before it.
  report(error) {
    this.errorCount += 1;
    // A burst of one refusal (thousands of calls past a capacity) is one event with a count.
    const last = this.lastReported;
    if (last && last.code === error.code && last.message === error.message) {
      last.count += 1;
      return false;
    }
    this.lastReported = error;
    this.errors.push(error);
    if (this.errors.length > ERROR_LOG) this.errors.splice(0, this.errors.length - ERROR_LOG);
    this.dispatchEvent(new CustomEvent('error', { detail: error }));
    return true;
  }

  fail(message) {
    this.fatal = new QuaverError(message, 'Fatal');
    for (const resolve of this.loadWaiters.splice(0)) resolve(null);
    this.report(this.fatal);
    for (const waiter of this.waiters.splice(0)) this.settle(waiter);
    this.dispatchEvent(new CustomEvent('fatal', { detail: this.fatal }));
  }
}
