// Main thread: audio files becoming a project's samples. WAV is read by the engine's own reader
// (the same one native tools use), anything else (MP3, OGG, FLAC, AAC) by the browser's
// decoder. Each sample keeps its own rate (the clip player resamples as it plays) and gets a
// peak overview for drawing its clips.

/** Frames per column of a waveform overview. */
export const PEAK_FRAMES = 256;
/** Clips take at most two channels; more are folded down to stereo. */
const MAX_CHANNELS = 2;

const isWav = (bytes) => bytes.length >= 12
  && String.fromCharCode(...bytes.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...bytes.subarray(8, 12)) === 'WAVE';

/** Up to two channels: a mono or stereo sample as it is; more summed down into left and right. */
function toStereo(channels) {
  if (channels.length <= MAX_CHANNELS) return channels;
  const frames = channels[0].length;
  const out = [new Float32Array(frames), new Float32Array(frames)];
  channels.forEach((data, i) => {
    const target = out[i % 2];
    for (let f = 0; f < frames; f += 1) target[f] += data[f] / Math.ceil(channels.length / 2);
  });
  return out;
}

/**
 * `{ sampleRate, channels: Float32Array[] }` from a file's bytes. `readWav` is the engine's
 * reader; `context` decodes the rest. Throws with a message naming the file.
 */
export async function decodeSample(bytes, name, { readWav, context }) {
  if (isWav(bytes)) {
    const { sampleRate, channels } = readWav(bytes);
    return { sampleRate, channels: toStereo(channels) };
  }
  let buffer;
  try {
    buffer = await context.decodeAudioData(bytes.slice().buffer);
  } catch (err) {
    throw new Error(`${name} is not audio this browser can decode (${err?.message ?? err})`);
  }
  const channels = Array.from({ length: buffer.numberOfChannels }, (_, c) => buffer.getChannelData(c).slice());
  return { sampleRate: buffer.sampleRate, channels: toStereo(channels) };
}

/** Min and max of every PEAK_FRAMES frames, over all channels: [min0, max0, min1, max1, …]. */
export function peaksOf(channels) {
  const frames = channels[0]?.length ?? 0;
  const columns = Math.ceil(frames / PEAK_FRAMES);
  const peaks = new Float32Array(columns * 2);
  for (let col = 0; col < columns; col += 1) {
    let low = 0;
    let high = 0;
    const end = Math.min(frames, (col + 1) * PEAK_FRAMES);
    for (const data of channels) {
      for (let f = col * PEAK_FRAMES; f < end; f += 1) {
        const v = data[f];
        if (v < low) low = v;
        if (v > high) high = v;
      }
    }
    peaks[2 * col] = low;
    peaks[2 * col + 1] = high;
  }
  return peaks;
}

/** A name for a new sample, not yet taken: `drums.wav`, then `drums (2).wav`, … */
export function freshName(name, taken) {
  if (!taken.has(name)) return name;
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  for (let n = 2; ; n += 1) {
    const candidate = `${stem} (${n})${ext}`;
    if (!taken.has(candidate)) return candidate;
  }
}
