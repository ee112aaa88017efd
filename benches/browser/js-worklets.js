// Worklet scope: the plain-JS processors Quaver is compared with (G6, G7, and a probe of how
// the audio thread treats subnormal numbers). Each posts 'ready' from its constructor so the
// page can wait for construction to finish before it starts timing a render.

const SUBNORMAL_F32 = 1.1754943508222875e-38;

// G6: what any JS worklet must do at least: copy its input out, mono up-mixed to stereo as
// Quaver's worklet does.
class PassThrough extends AudioWorkletProcessor {
  constructor() {
    super();
    this.port.postMessage('ready');
  }

  process(inputs, outputs) {
    const input = inputs[0];
    const output = outputs[0];
    if (input.length > 0) {
      output[0].set(input[0]);
      output[1].set(input[1] ?? input[0]);
    }
    return true;
  }
}

// G7: a chain of lowpass biquads in one worklet, written the way Chromium's BiquadFilterNode
// runs them: Web Audio's coefficient formulas in double precision, direct form I with double
// state, each output rounded to float before it is fed back, subnormals flushed per quantum.
class BiquadChain extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const { stages, frequency, Q } = options.processorOptions;
    this.stages = stages;
    this.coeffs = new Float64Array(stages * 5);
    this.state = new Float64Array(stages * 4);
    this.block = new Float32Array(128);
    const [b0, b1, b2, a1, a2] = lowpass(frequency, Q, sampleRate);
    for (let s = 0; s < stages; s += 1) this.coeffs.set([b0, b1, b2, a1, a2], s * 5);
    this.port.postMessage('ready');
  }

  process(inputs, outputs) {
    const input = inputs[0];
    const block = this.block;
    if (input.length > 0) block.set(input[0]);
    else block.fill(0);
    const { coeffs, state, stages } = this;
    const n = block.length;
    for (let s = 0; s < stages; s += 1) {
      const c = s * 5;
      const h = s * 4;
      const b0 = coeffs[c];
      const b1 = coeffs[c + 1];
      const b2 = coeffs[c + 2];
      const a1 = coeffs[c + 3];
      const a2 = coeffs[c + 4];
      let x1 = state[h];
      let x2 = state[h + 1];
      let y1 = state[h + 2];
      let y2 = state[h + 3];
      for (let i = 0; i < n; i += 1) {
        const x = block[i];
        const y = Math.fround(b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2);
        block[i] = y;
        x2 = x1;
        x1 = x;
        y2 = y1;
        y1 = y;
      }
      state[h] = flush(x1);
      state[h + 1] = flush(x2);
      state[h + 2] = flush(y1);
      state[h + 3] = flush(y2);
    }
    const output = outputs[0];
    output[0].set(block);
    output[1].set(block);
    return true;
  }
}

function flush(v) {
  return Math.abs(v) < SUBNORMAL_F32 ? 0 : v;
}

// Chromium's Biquad::SetLowpassParams: cutoff normalised to Nyquist, Q in dB, a0 divided out
// as one reciprocal.
function lowpass(frequency, Q, rate) {
  const cutoff = Math.min(Math.max(Math.fround(frequency) / (rate * 0.5), 0), 1);
  if (cutoff === 1) return [1, 0, 0, 0, 0];
  if (cutoff === 0) return [0, 0, 0, 0, 0];
  const resonance = 10 ** (Math.fround(Q) / 20);
  const theta = Math.PI * cutoff;
  const alpha = Math.sin(theta) / (2 * resonance);
  const cosw = Math.cos(theta);
  const beta = (1 - cosw) / 2;
  const inv = 1 / (1 + alpha);
  return [beta * inv, 2 * beta * inv, beta * inv, -2 * cosw * inv, (1 - alpha) * inv];
}

// Tells the page whether arithmetic on this thread keeps subnormal results (IEEE, as wasm
// specifies) or flushes them to zero (a CPU mode the host might have set).
class SubnormalProbe extends AudioWorkletProcessor {
  constructor() {
    super();
    this.done = false;
  }

  process(inputs) {
    if (!this.done) {
      this.done = true;
      const input = inputs[0];
      const x = input.length > 0 ? input[0][0] : 0.5;
      const tiny = new Float32Array(1);
      tiny[0] = 1e-30 * x;
      tiny[0] *= 1e-10;
      const wide = 1e-300 * x * 1e-10;
      this.port.postMessage({ f32: tiny[0], f64: wide });
    }
    return true;
  }
}

registerProcessor('bench-passthrough', PassThrough);
registerProcessor('bench-biquad-chain', BiquadChain);
registerProcessor('bench-subnormal-probe', SubnormalProbe);
