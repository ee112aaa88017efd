// What the browser page (bench.js) and the Node benchmarks (scripts/bench-engine.mjs) both
// render: the G2 mixing desk's channel strips and the seeded noise every case is fed.

export const TRACKS = 64;
export const NOISE_SEED = 0x5eed;
export const NOISE_AMPLITUDE = 0.5;

// A mixing-desk channel strip per track, each a little different, so no two tracks are one
// filter design repeated.
export function track(t) {
  return {
    filters: [
      { type: 'highpass', frequency: 60 + t, Q: 0 },
      { type: 'peaking', frequency: 400 + 20 * t, Q: 1.2, gain: 3 },
      { type: 'highshelf', frequency: 6000 + 30 * t, Q: 1, gain: -4 },
      { type: 'lowpass', frequency: 14_000 - 50 * t, Q: 1 },
    ],
    gain: 0.05 + (t % 8) * 0.01,
    pan: -1 + (2 * t) / (TRACKS - 1),
  };
}

/** Seeded uniform noise (mulberry32) for `frames`, zero after `audibleFrames`. */
export function seededNoise(frames, audibleFrames = frames) {
  let state = NOISE_SEED >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const samples = new Float32Array(frames);
  for (let i = 0; i < audibleFrames; i += 1) samples[i] = (random() * 2 - 1) * NOISE_AMPLITUDE;
  return samples;
}
