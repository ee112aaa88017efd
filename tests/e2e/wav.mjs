// Test helper: WAV files read and written here by hand (independent of the engine's own reader
// and writer, which the tests check against them).
import assert from 'node:assert/strict';

/** Channels of a WAV file (PCM 16/24 or float 32), read here by hand. */
export function readWav(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at) => String.fromCharCode(...bytes.subarray(at, at + 4));
  assert.equal(tag(0), 'RIFF');
  assert.equal(tag(8), 'WAVE');
  let format = null;
  for (let at = 12; at + 8 <= bytes.length;) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      format = {
        code: view.getUint16(body, true), channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true), bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      const width = format.bits / 8;
      const frames = size / (width * format.channels);
      const channels = Array.from({ length: format.channels }, () => new Float32Array(frames));
      for (let f = 0; f < frames; f += 1) {
        for (let c = 0; c < format.channels; c += 1) {
          const p = body + (f * format.channels + c) * width;
          let v;
          if (format.bits === 32) v = view.getFloat32(p, true);
          else if (format.bits === 24) v = (((bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16)) << 8) >> 8) / 8388608;
          else v = view.getInt16(p, true) / 32768;
          channels[c][f] = v;
        }
      }
      return { ...format, frames, channels };
    }
    at = body + size + (size % 2);
  }
  throw new Error('no data chunk');
}

/** A mono 16-bit PCM WAV file of `samples` (−1…1) at `sampleRate`. */
export function writeWav16(samples, sampleRate) {
  const bytes = new Uint8Array(44 + samples.length * 2);
  const view = new DataView(bytes.buffer);
  const tag = (at, text) => [...text].forEach((c, i) => { bytes[at + i] = c.charCodeAt(0); });
  tag(0, 'RIFF');
  view.setUint32(4, 36 + samples.length * 2, true);
  tag(8, 'WAVE');
  tag(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  tag(36, 'data');
  view.setUint32(40, samples.length * 2, true);
  samples.forEach((v, i) => view.setInt16(44 + i * 2, Math.round(Math.max(-1, Math.min(1, v)) * 32767), true));
  return bytes;
}

/**
 * Frames where a sound starts: the first sample at least `threshold` loud after at least
 * `silenceMs` of quieter ones.
 */
export function onsets(samples, sampleRate, { threshold = 1e-3, silenceMs = 20 } = {}) {
  const quiet = Math.round((silenceMs / 1000) * sampleRate);
  const found = [];
  let lastLoud = -Infinity;
  for (let i = 0; i < samples.length; i += 1) {
    if (Math.abs(samples[i]) < threshold) continue;
    if (i - lastLoud > quiet) found.push(i);
    lastLoud = i;
  }
  return found;
}
