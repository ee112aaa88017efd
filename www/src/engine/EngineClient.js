// Main thread: the Quaver engine as a web audio developer expects to drive it. Node ids come
// from a Controller (the same wasm module, instantiated here), so every call is checked at
// once; accepted calls are batched per microtask and posted to the worklet, which applies
// each batch at the next quantum boundary and acknowledges it.
import { initSync, Controller } from '../../../pkg/quaver.js';
import { MSG, PROCESSOR_NAME, PROTOCOL_VERSION } from './protocol.js';

/** An engine refusal: `code` is stable (`Cycle`, `StaleNode`, `NonFinite`, ...). */
export class QuaverError extends Error {
  constructor(message, code, errors = []) {
    super(message);
    this.name = 'QuaverError';
    this.code = code;
    this.errors = errors;
  }
}

function fromEngine(err) {
  if (err instanceof QuaverError) return err;
  const text = String(err && err.message !== undefined ? err.message : err);
  const match = /^(\w+): ([\s\S]*)$/.exec(text);
  return match ? new QuaverError(match[2], match[1]) : new QuaverError(text, 'Internal');
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

class Batch {
  constructor() {
    this.seq = 0;
    this.errors = [];
    this.waiters = [];
  }

  wait() {
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  settle(more = []) {
    const errors = this.errors.concat(more);
    for (const { resolve, reject } of this.waiters) {
      if (errors.length) reject(new QuaverError(errors[0].message, errors[0].code, errors));
      else resolve();
    }
    this.waiters = [];
  }
}

/** A parameter with AudioParam's methods; each returns the param, as in Web Audio. */
export class QuaverParam {
  constructor(engine, node, name) {
    this.engine = engine;
    this.node = node;
    this.name = name;
    // A node whose creation was refused still has params; using them records StaleNode.
    const alive = node.id !== null;
    this.index = alive ? engine.controller.param_index(node.id, name) : 0;
    this.defaultValue = alive ? engine.controller.param_default(node.id, this.index) : NaN;
    this.current = this.defaultValue;
  }

  /** The last value set; a running node glides to it over 10 ms. */
  get value() {
    return this.current;
  }

  set value(v) {
    if (this.engine.call(() => this.engine.controller.set_value(this.node.alive(), this.index, v))) this.current = v;
  }

  setValueAtTime(value, time) {
    this.engine.call(() => this.engine.controller.set_value_at_time(this.node.alive(), this.index, value, time));
    return this;
  }

  linearRampToValueAtTime(value, time) {
    this.engine.call(() => this.engine.controller.linear_ramp_to_value_at_time(this.node.alive(), this.index, value, time));
    return this;
  }

  exponentialRampToValueAtTime(value, time) {
    this.engine.call(() => this.engine.controller.exponential_ramp_to_value_at_time(this.node.alive(), this.index, value, time));
    return this;
  }

  setTargetAtTime(target, time, timeConstant) {
    this.engine.call(() => this.engine.controller.set_target_at_time(this.node.alive(), this.index, target, time, timeConstant));
    return this;
  }

  cancelScheduledValues(time) {
    this.engine.call(() => this.engine.controller.cancel_scheduled_values(this.node.alive(), this.index, time));
    return this;
  }
}

/** A node in the engine's graph. `id` is null when the engine refused to create it. */
export class QuaverNode {
  constructor(engine, id, kind) {
    this.engine = engine;
    this.id = id;
    this.kind = kind;
  }

  param(name) {
    return new QuaverParam(this.engine, this, name);
  }

  /** Connects this node's output to another Quaver node's input; returns `destination`. */
  connect(destination, output = 0, input = 0) {
    this.engine.call(() => {
      if (!(destination instanceof QuaverNode) || destination.engine !== this.engine) {
        throw new QuaverError('connect() takes a node of the same Quaver engine', 'BadPort');
      }
      this.engine.controller.connect(this.alive(), output, destination.alive(), input);
    });
    return destination;
  }

  /** With no argument, removes every connection leaving this node. */
  disconnect(destination, output = 0, input = 0) {
    this.engine.call(() => {
      if (destination === undefined) this.engine.controller.disconnect_outputs(this.alive());
      else this.engine.controller.disconnect(this.alive(), output, destination.alive(), input);
    });
  }

  /** Removes the node from the graph; its id goes stale. */
  dispose() {
    this.engine.call(() => this.engine.controller.remove_node(this.alive()));
  }

  alive() {
    if (this.id === null) throw new QuaverError(`this ${this.kind} was never created (its creation was refused)`, 'StaleNode');
    return this.id;
  }
}

export class QuaverOscillatorNode extends QuaverNode {
  constructor(engine, id) {
    super(engine, id, 'oscillator');
    this.frequency = this.param('frequency');
    this.detune = this.param('detune');
    this.waveform = 'sine';
  }

  get type() {
    return this.waveform;
  }

  set type(name) {
    if (this.engine.call(() => this.engine.controller.set_waveform(this.alive(), name))) this.waveform = name;
  }

  start(when = 0) {
    this.engine.call(() => this.engine.controller.start(this.alive(), when));
  }

  stop(when = 0) {
    this.engine.call(() => this.engine.controller.stop(this.alive(), when));
  }
}

export class QuaverBiquadFilterNode extends QuaverNode {
  constructor(engine, id) {
    super(engine, id, 'biquad');
    this.frequency = this.param('frequency');
    this.detune = this.param('detune');
    this.Q = this.param('Q');
    this.gain = this.param('gain');
    this.filterType = 'lowpass';
  }

  get type() {
    return this.filterType;
  }

  set type(name) {
    if (this.engine.call(() => this.engine.controller.set_filter_type(this.alive(), name))) this.filterType = name;
  }
}

export class QuaverGainNode extends QuaverNode {
  constructor(engine, id) {
    super(engine, id, 'gain');
    this.gain = this.param('gain');
  }
}

export class QuaverStereoPannerNode extends QuaverNode {
  constructor(engine, id) {
    super(engine, id, 'stereo-panner');
    this.pan = this.param('pan');
  }
}

const NODE_CLASSES = {
  oscillator: QuaverOscillatorNode,
  biquad: QuaverBiquadFilterNode,
  gain: QuaverGainNode,
  'stereo-panner': QuaverStereoPannerNode,
};

/**
 * The engine: one AudioWorkletNode (`engine.node`) hosting a whole graph.
 *
 * Refused calls never throw: they change nothing, fire an `error` event, and make the
 * Promise of the batch they belong to (`await engine.commit()`) reject with a QuaverError.
 */
export class EngineClient extends EventTarget {
  /**
   * @param {BaseAudioContext} context
   * @param {{module?: WebAssembly.Module, wasmUrl?: string|URL, workletUrl?: string|URL,
   *          maxNodes?: number, maxEdges?: number}} options
   */
  static async create(context, options = {}) {
    const module = options.module ?? (await compileEngine(options.wasmUrl));
    await context.audioWorklet.addModule(options.workletUrl);
    initSync({ module });
    return new EngineClient(context, module, options);
  }

  constructor(context, module, { maxNodes = 1024, maxEdges = 4096 } = {}) {
    super();
    this.context = context;
    this.module = module;
    this.limits = { maxNodes, maxEdges };
    try {
      this.controller = new Controller(context.sampleRate, maxNodes, maxEdges);
    } catch (err) {
      throw fromEngine(err);
    }
    this.destination = new QuaverNode(this, this.controller.destination(), 'destination');
    this.input = new QuaverNode(this, this.controller.input(), 'input');
    this.errors = [];
    this.fatal = null;
    this.batch = new Batch();
    this.inFlight = new Map();
    this.seq = 0;
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

  createOscillator() { return this.create('oscillator'); }
  createBiquadFilter() { return this.create('biquad'); }
  createGain() { return this.create('gain'); }
  createStereoPanner() { return this.create('stereo-panner'); }

  create(kind) {
    let id = null;
    this.call(() => { id = this.controller.add_node(kind); });
    return new NODE_CLASSES[kind](this, id);
  }

  /** Runs one controller call; a refusal is recorded, not thrown. Returns whether it was accepted. */
  call(fn) {
    try {
      fn();
      return true;
    } catch (err) {
      const error = fromEngine(err);
      this.batch.errors.push(error);
      this.report(error);
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
    if (!this.workletNode) return;
    const batch = this.batch;
    this.batch = new Batch();
    if (this.controller.pending() === 0) {
      batch.settle();
      return;
    }
    batch.seq = ++this.seq;
    const bytes = this.controller.take_batch();
    this.inFlight.set(batch.seq, batch);
    this.workletNode.port.postMessage({ type: MSG.BATCH, seq: batch.seq, bytes }, [bytes.buffer]);
  }

  /**
   * Sends the current batch. Resolves once the worklet has applied it; rejects with a
   * QuaverError if any call in it was refused. Before `node` exists nothing is sent, and it
   * settles at once with the refusals so far.
   */
  commit() {
    const batch = this.batch;
    const settled = batch.wait();
    if (this.fatal) batch.settle([this.fatal]);
    else if (!this.workletNode) { this.batch = new Batch(); batch.settle(); }
    else this.flush();
    return settled;
  }

  attach() {
    const bytes = this.controller.pending() > 0 ? this.controller.take_batch() : null;
    const initial = bytes ? { seq: ++this.seq, bytes } : null;
    try {
      this.workletNode = new AudioWorkletNode(this.context, PROCESSOR_NAME, {
        numberOfInputs: 1,
        numberOfOutputs: 1,
        outputChannelCount: [2],
        processorOptions: { module: this.module, ...this.limits, initial, protocol: PROTOCOL_VERSION },
      });
    } catch (err) {
      // addModule() resolves even when the module throws while loading; this is where it shows.
      throw new QuaverError(
        `the Quaver worklet did not register '${PROCESSOR_NAME}': its module failed to load or is not the Quaver worklet (${err.message})`,
        'WorkletLoad',
      );
    }
    if (initial) {
      this.inFlight.set(initial.seq, this.batch);
      this.batch.seq = initial.seq;
      this.batch = new Batch();
    }
    this.workletNode.port.onmessage = (event) => this.receive(event.data);
    this.workletNode.onprocessorerror = () => this.fail('the engine processor failed to start or crashed');
  }

  receive(message) {
    switch (message.type) {
      case MSG.READY:
        this.sampleRate = message.sampleRate;
        this.markReady();
        break;
      case MSG.ACK:
        this.workletMemoryBytes = message.memoryBytes;
        for (const [seq, batch] of this.inFlight) {
          if (seq > message.seq) continue;
          const mine = message.errors.filter((e) => e.batch === seq).map((e) => new QuaverError(e.message, e.code));
          for (const e of mine) this.report(e);
          batch.settle(mine);
          this.inFlight.delete(seq);
        }
        break;
      case MSG.NODE_ERROR:
        for (const e of message.errors) this.report(new QuaverError(e.message, e.code));
        break;
      case MSG.FATAL:
        this.fail(message.message);
        break;
      default:
        break;
    }
  }

  report(error) {
    this.errors.push(error);
    this.dispatchEvent(new CustomEvent('error', { detail: error }));
  }

  fail(message) {
    this.fatal = new QuaverError(message, 'Fatal');
    this.report(this.fatal);
    for (const batch of this.inFlight.values()) batch.settle([this.fatal]);
    this.inFlight.clear();
    this.dispatchEvent(new CustomEvent('fatal', { detail: this.fatal }));
  }
}
