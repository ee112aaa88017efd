// Worklet scope (audio thread): hosts the whole Quaver graph in one AudioWorkletProcessor.
// The polyfill must load before the wasm-bindgen glue, which makes a TextDecoder at load time.
import './polyfill.js';
import { initSync, WorkletEngine } from '../../../pkg/quaver.js';
import { MSG, PROCESSOR_NAME, PROTOCOL_VERSION } from '../engine/protocol.js';

const QUANTUM = 128;

class QuaverProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const { module, maxNodes, maxEdges, initial, protocol } = options.processorOptions;
    if (protocol !== PROTOCOL_VERSION) throw new Error(`protocol ${protocol} from the page, ${PROTOCOL_VERSION} in the worklet`);
    this.wasm = initSync({ module });
    this.engine = new WorkletEngine(sampleRate, maxNodes, maxEdges);
    this.failed = false;
    this.acked = 0;
    this.errorsSeen = 0;
    this.bindViews();
    this.port.onmessage = (event) => this.receive(event.data);
    if (initial) this.receive({ type: MSG.BATCH, ...initial });
    this.port.postMessage({ type: MSG.READY, sampleRate });
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
    if (message.type !== MSG.BATCH || this.failed) return;
    try {
      this.engine.submit(message.seq, message.bytes);
    } catch (err) {
      const [, code = 'Decode', text = String(err)] = /^(\w+): ([\s\S]*)$/.exec(err.message) ?? [];
      this.port.postMessage({ type: MSG.ACK, seq: message.seq, errors: [{ batch: message.seq, node: null, code, message: text }] });
    }
  }

  report() {
    const count = this.engine.error_count();
    const errors = count !== this.errorsSeen ? JSON.parse(this.engine.take_errors()) : [];
    this.errorsSeen = count;
    const applied = this.engine.applied_batch();
    if (applied !== this.acked) {
      this.acked = applied;
      const memoryBytes = this.wasm.memory.buffer.byteLength;
      this.port.postMessage({ type: MSG.ACK, seq: applied, memoryBytes, errors: errors.filter((e) => e.batch !== null) });
    }
    const nodeErrors = errors.filter((e) => e.batch === null);
    if (nodeErrors.length) this.port.postMessage({ type: MSG.NODE_ERROR, errors: nodeErrors });
  }

  process(inputs, outputs) {
    if (this.failed) return true;
    try {
      if (this.wasm.memory.buffer !== this.memory) this.bindViews();
      const input = inputs[0];
      if (input && input.length > 0) {
        this.inLeft.set(input[0]);
        this.inRight.set(input[1] ?? input[0]);
      }
      this.engine.set_input_channels(input ? Math.min(input.length, 2) : 0);
      this.engine.process(currentFrame);
      if (this.wasm.memory.buffer !== this.memory) this.bindViews();
      const output = outputs[0];
      output[0].set(this.outLeft);
      if (output.length > 1) output[1].set(this.outRight);
      if (this.engine.applied_batch() !== this.acked || this.engine.error_count() !== this.errorsSeen) this.report();
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
