// Worklet scope (audio thread): hosts the whole Quaver graph in one AudioWorkletProcessor.
// The polyfill must load before the wasm-bindgen glue, which makes a TextDecoder at load time.
import './polyfill.js';
import { initSync, meterLayout, WorkletEngine } from '../../../pkg/quaver.js';
import {
  LOAD_BUCKETS, MSG, PROCESSOR_NAME, PROTOCOL_VERSION, TAP_INTERVAL_QUANTA, laneRead, laneWords, sharedLane, writeLane,
} from '../engine/protocol.js';

const QUANTUM = 128;
// The news bits of WorkletEngine.process (render::NEWS_ACK, render::NEWS_ERRORS).
const NEWS_ACK = 1;
const NEWS_ERRORS = 2;
const NEWS_ENDED = 4;
// Reading `currentFrame` is a binding call that cost 0.18 µs a quantum in Chromium (measured
// in the G6 benchmark: a third of the bridge's cost), so it is read this often and counted in
// between; if a quantum were ever skipped, the next reading puts the count right.
const FRAME_READ_QUANTA = 32;

class QuaverProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const {
      module, maxNodes, maxEdges, initial = [], protocol, listening = [], metering = false, meterLane = null, clock = null,
    } = options.processorOptions;
    if (protocol !== PROTOCOL_VERSION) throw new Error(`protocol ${protocol} from the page, ${PROTOCOL_VERSION} in the worklet`);
    this.wasm = initSync({ module });
    this.engine = new WorkletEngine(sampleRate, maxNodes, maxEdges);
    this.failed = false;
    // Capturing nodes someone listens to (id → { frames, lane }), and whether meters are
    // wanted; a lane is shared memory to write into instead of posting.
    this.listening = new Map();
    for (const [node, frames, shared] of listening) this.listen(node, frames, shared);
    this.metering = metering;
    this.meterLane = meterLane ? sharedLane(meterLane) : null;
    this.meterWords = meterLayout()[1];
    this.quanta = 0;
    this.frame = 0;
    // Render-load telemetry. This scope has no performance.now(): a shared clock (a Worker
    // writing its own) times each quantum; without one, Date.now()'s whole milliseconds still
    // give an unbiased mean over many quanta, but no distribution.
    this.clock = clock ? new Float64Array(clock, 0, 1) : null;
    // Timing costs two clock reads a quantum: it starts with a shared clock, or when the page
    // first asks for the load.
    this.timing = this.clock !== null;
    this.quantumMs = (QUANTUM * 1000) / sampleRate;
    this.loadHistogram = new Uint32Array(LOAD_BUCKETS);
    this.loadQuanta = 0;
    this.loadMs = 0;
    this.worstMs = 0;
    this.bindViews();
    this.port.onmessage = (event) => this.receive(event.data);
    for (const batch of initial) this.receive({ type: MSG.BATCH, ...batch });
    this.port.postMessage({ type: MSG.READY, sampleRate });
  }

  // Growth detaches the old buffer, which empties every view on it: cheaper to ask a view
  // than the memory for its buffer, and asked every quantum.
  rebindIfGrown() {
    if (this.outLeft.length === 0) this.bindViews();
  }

  // Views on engine-owned memory go stale when wasm memory grows; rebuilt only then.
  bindViews() {
    this.memory = this.wasm.memory.buffer;
    const out = this.engine.output_ptr();
    const inp = this.engine.input_ptr();
    this.outLeft = new Float32Array(this.memory, out, QUANTUM);
    this.outRight = new Float32Array(this.memory, out + QUANTUM * 4, QUANTUM);
    this.inLeft = new Float32Array(this.memory, inp, QUANTUM);
    this.inRight = new Float32Array(this.memory, inp + QUANTUM * 4, QUANTUM);
  }

  receive(message) {
    if (this.failed) return;
    if (message.type === MSG.LISTEN) {
      this.listen(message.node, message.frames, message.shared);
      return;
    }
    if (message.type === MSG.METERS) {
      this.metering = Boolean(message.on);
      if (message.shared) this.meterLane = sharedLane(message.shared);
      return;
    }
    if (message.type === MSG.LOAD) {
      this.sendLoad();
      this.timing = true;
      return;
    }
    if (message.type !== MSG.BATCH) return;
    try {
      this.engine.submit(message.seq, message.bytes);
    } catch (err) {
      // A batch refused whole (it did not decode): the engine renders on without it.
      const error = { batch: message.seq, node: null, param: null, code: err.code ?? 'Decode', message: err.message };
      this.port.postMessage({ type: MSG.ACK, seq: message.seq, memoryBytes: this.wasm.memory.buffer.byteLength, errors: [error] });
    }
  }

  listen(node, frames, shared) {
    if (frames > 0) this.listening.set(node, { frames, lane: shared ? sharedLane(shared) : null });
    else this.listening.delete(node);
  }

  // Throttled: what listened-to analysers kept, and meter readings, into shared lanes where
  // the page gave them, else as copies in one message.
  sendTaps() {
    const captures = [];
    const transfer = [];
    for (const [node, { frames, lane }] of this.listening) {
      const ptr = this.engine.capture_ptr(node, frames);
      if (ptr === 0) continue;
      this.rebindIfGrown();
      const words = new Uint32Array(this.memory, ptr, frames);
      if (lane) {
        writeLane(lane, words);
      } else {
        const samples = new Float32Array(words.slice().buffer);
        captures.push({ node, samples });
        transfer.push(samples.buffer);
      }
    }
    let meters = null;
    const count = this.metering ? this.engine.take_meters() : 0;
    if (count > 0) {
      this.rebindIfGrown();
      const words = new Uint32Array(this.memory, this.engine.meter_words_ptr(), count * this.meterWords);
      if (this.meterLane) {
        if (!laneRead(this.meterLane)) this.mergeUnread(words, laneWords(this.meterLane));
        writeLane(this.meterLane, words);
      } else {
        meters = words.slice();
        transfer.push(meters.buffer);
      }
    }
    if (captures.length || meters) this.port.postMessage({ type: MSG.TAPS, frame: this.frame - QUANTUM, captures, meters }, transfer);
  }

  // Readings the page has not taken yet are folded into the new ones, so a peak is never
  // missed however slowly the page reads: the higher peak, the RMS over both stretches.
  mergeUnread(fresh, unread) {
    const n = this.meterWords;
    const freshFloats = new Float32Array(fresh.buffer, fresh.byteOffset, fresh.length);
    const unreadFloats = new Float32Array(unread.buffer, unread.byteOffset, unread.length);
    for (let at = 0; at < fresh.length && at < unread.length; at += n) {
      if (fresh[at] !== unread[at]) continue;
      const a = fresh[at + 1];
      const b = unread[at + 1];
      if (a + b === 0) continue;
      for (let ch = 0; ch < 2; ch += 1) {
        freshFloats[at + 2 + ch] = Math.max(freshFloats[at + 2 + ch], unreadFloats[at + 2 + ch]);
        const rmsA = freshFloats[at + 4 + ch];
        const rmsB = unreadFloats[at + 4 + ch];
        freshFloats[at + 4 + ch] = Math.sqrt((rmsA * rmsA * a + rmsB * rmsB * b) / (a + b));
      }
      fresh[at + 1] = a + b;
    }
  }

  now() {
    return this.clock ? this.clock[0] : Date.now();
  }

  countLoad(ms) {
    this.loadQuanta += 1;
    this.loadMs += ms;
    if (ms > this.worstMs) this.worstMs = ms;
    if (this.clock) this.loadHistogram[Math.min(LOAD_BUCKETS - 1, Math.floor((100 * ms) / this.quantumMs))] += 1;
  }

  // The load since the last report, then counting starts again.
  sendLoad() {
    const histogram = this.loadHistogram.slice();
    this.port.postMessage({
      type: MSG.LOAD,
      quanta: this.loadQuanta,
      renderMs: this.loadMs,
      worstMs: this.worstMs,
      quantumMs: this.quantumMs,
      precise: this.clock !== null,
      histogram,
    }, [histogram.buffer]);
    this.loadHistogram.fill(0);
    this.loadQuanta = 0;
    this.loadMs = 0;
    this.worstMs = 0;
  }

  // Only after a quantum whose news bits say there is something to tell.
  report(news) {
    const errors = news & NEWS_ERRORS ? this.engine.take_errors() : [];
    if (news & NEWS_ACK) {
      const memoryBytes = this.wasm.memory.buffer.byteLength;
      const seq = this.engine.applied_batch();
      this.port.postMessage({ type: MSG.ACK, seq, memoryBytes, errors: errors.filter((e) => e.batch !== null) });
    }
    const late = news & NEWS_ACK ? errors.filter((e) => e.batch === null) : errors;
    if (late.length) this.port.postMessage({ type: MSG.NODE_ERROR, errors: late });
    if (news & NEWS_ENDED) this.port.postMessage({ type: MSG.ENDED, nodes: Array.from(this.engine.take_ended()) });
  }

  process(inputs, outputs) {
    if (this.failed) return true;
    const startedAt = this.timing ? this.now() : 0;
    try {
      this.rebindIfGrown();
      if (this.quanta % FRAME_READ_QUANTA === 0) this.frame = currentFrame;
      const input = inputs[0];
      if (input && input.length > 0) {
        this.inLeft.set(input[0]);
        this.inRight.set(input[1] ?? input[0]);
      }
      // Rendering allocates nothing, so memory cannot have grown since the check above.
      const news = this.engine.process(this.frame, input ? Math.min(input.length, 2) : 0);
      this.frame += QUANTUM;
      const output = outputs[0];
      output[0].set(this.outLeft);
      if (output.length > 1) output[1].set(this.outRight);
      if (news !== 0) this.report(news);
      this.quanta += 1;
      if ((this.listening.size > 0 || this.metering) && this.quanta % TAP_INTERVAL_QUANTA === 0) this.sendTaps();
      if (this.timing) this.countLoad(this.now() - startedAt);
    } catch (err) {
      // A trap leaves the wasm instance unusable: go silent and tell the page once.
      this.failed = true;
      for (const channel of outputs[0]) channel.fill(0);
      this.port.postMessage({ type: MSG.FATAL, message: String(err && err.message ? err.message : err) });
    }
    return true;
  }
}

registerProcessor(PROCESSOR_NAME, QuaverProcessor);
