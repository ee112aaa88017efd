// Build step: the page's bundled sounds, made here rather than kept as binaries in git — a
// plucked string for the sample player and a stereo room impulse response for the convolver.
// Deterministic: the same bytes every build.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A 16-bit PCM WAV file of `channels` (arrays of samples in [-1, 1]). */
export function wav(sampleRate, channels) {
  const frames = channels[0].length;
  const bytes = Buffer.alloc(44 + frames * channels.length * 2);
  bytes.write('RIFF', 0);
  bytes.writeUInt32LE(36 + frames * channels.length * 2, 4);
  bytes.write('WAVEfmt ', 8);
  bytes.writeUInt32LE(16, 16);
  bytes.writeUInt16LE(1, 20);
  bytes.writeUInt16LE(channels.length, 22);
  bytes.writeUInt32LE(sampleRate, 24);
  bytes.writeUInt32LE(sampleRate * channels.length * 2, 28);
  bytes.writeUInt16LE(channels.length * 2, 32);
  bytes.writeUInt16LE(16, 34);
  bytes.write('data', 36);
  bytes.writeUInt32LE(frames * channels.length * 2, 40);
  for (let i = 0; i < frames; i += 1) {
    for (let c = 0; c < channels.length; c += 1) {
      const v = Math.max(-1, Math.min(1, channels[c][i]));
      bytes.writeInt16LE(Math.round(v * 32767), 44 + (i * channels.length + c) * 2);
    }
  }
  return bytes;
}

function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Karplus–Strong: a noise burst circulating through a damped delay of one period. */
function pluck(sampleRate, hz, seconds) {
  const period = Math.round(sampleRate / hz);
  const rand = random(7);
  const line = Float32Array.from({ length: period }, () => rand() * 2 - 1);
  const out = new Float32Array(Math.round(sampleRate * seconds));
  for (let i = 0; i < out.length; i += 1) {
    const k = i % period;
    const next = line[(k + 1) % period];
    out[i] = line[k] * 0.8;
    line[k] = 0.996 * 0.5 * (line[k] + next);
  }
  return out;
}

/** A small room: a few early reflections, then exponentially decaying noise per ear. */
function room(sampleRate, seconds) {
  const frames = Math.round(sampleRate * seconds);
  return [11, 23].map((seed, ear) => {
    const rand = random(seed);
    const out = new Float32Array(frames);
    out[0] = 1;
    for (const [ms, gain] of [[7 + ear * 2, 0.6], [13 + ear, 0.45], [21 - ear * 3, 0.35], [29, 0.3]]) out[Math.round((ms / 1000) * sampleRate)] += gain;
    for (let i = Math.round(0.03 * sampleRate); i < frames; i += 1) {
      out[i] += (rand() * 2 - 1) * 0.25 * Math.exp((-6.9 * i) / frames);
    }
    return out;
  });
}

export function writeAssets(dir) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'pluck.wav'), wav(48_000, [pluck(48_000, 196, 1.6)]));
  writeFileSync(path.join(dir, 'room.wav'), wav(48_000, room(48_000, 1.2)));
}
