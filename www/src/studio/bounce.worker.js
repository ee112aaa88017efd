// Worker: bounces a project to a WAV file with the engine the worklet runs (not an
// OfflineAudioContext), with the samples its audio clips play, a second of audio at a time,
// reporting progress; the page cancels by terminating the Worker.
import { initSync, Bounce } from '../../../pkg/quaver.js';

const CHUNK_SECONDS = 1;

self.onmessage = ({ data }) => {
  const { module, project, samples = [], sampleRate, format, start = 0, end = -1, tail = 2, loudness = null } = data;
  try {
    initSync({ module });
    const bounce = new Bounce(project, sampleRate, start, end, tail);
    for (const sample of samples) bounce.addSample(sample.name, sample.sampleRate, sample.channels);
    const total = bounce.frames();
    const startedAt = performance.now();
    while (bounce.render(sampleRate * CHUNK_SECONDS)) {
      self.postMessage({ type: 'progress', done: bounce.done(), total });
    }
    const renderMs = performance.now() - startedAt;
    // Loudness normalisation measures the whole mix, so it happens once everything is rendered;
    // stems are given their mix's gain instead, so they still add up to it.
    const wav = bounce.wav(format, format !== 'float32', loudness?.target ?? undefined, loudness?.ceiling ?? undefined, loudness?.gainDb ?? undefined);
    self.postMessage({ type: 'done', wav, frames: total, renderMs, gainDb: bounce.gainDb() ?? null }, [wav.buffer]);
  } catch (err) {
    self.postMessage({ type: 'error', code: err?.code ?? 'Internal', message: String(err?.message ?? err) });
  }
};
