// Worker (an ES module, served unbundled beside the threads build in dist/threads/): runs batch
// work on a rayon pool of Web Workers sharing one memory. The page starts it only when it is
// cross-origin isolated (shared memory needs that) and falls back to single-threaded Workers
// otherwise; the results are the same. The pool's Workers die with this one, so terminating it
// cancels everything.
import init, { analyzeBatch, Bounce, Bounces, initThreadPool, threadCount } from './quaver.js';

const CHUNK_SECONDS = 1;

async function start(threads) {
  await init();
  await initThreadPool(threads);
  return { type: 'ready', threads: threadCount() };
}

function analyze(files) {
  return { type: 'records', records: analyzeBatch(files) };
}

/** The mix and its stems (`projects`, mix first), rendered side by side, each as a WAV file. */
function bounce({ projects, samples = [], sampleRate, format, start = 0, end = -1, tail = 2, loudness = null }) {
  const all = new Bounces();
  for (const project of projects) {
    const one = new Bounce(project, sampleRate, start, end, tail);
    for (const sample of samples) one.addSample(sample.name, sample.sampleRate, sample.channels);
    all.push(one);
  }
  const total = all.frames();
  const startedAt = performance.now();
  while (all.render(sampleRate * CHUNK_SECONDS)) self.postMessage({ type: 'progress', done: all.done(), total });
  const renderMs = performance.now() - startedAt;
  const dither = format !== 'float32';
  const write = (index, target, ceiling, gain) => {
    const one = all.take(index);
    try {
      return { wav: one.wav(format, dither, target, ceiling, gain), gainDb: one.gainDb() ?? null };
    } finally {
      one.free();
    }
  };
  // The mix is normalised; the stems take its gain, so they still add up to it.
  const mix = write(0, loudness?.target ?? undefined, loudness?.ceiling ?? undefined, loudness?.gainDb ?? undefined);
  const { gainDb } = mix;
  const wavs = [mix.wav];
  for (let i = 1; i < projects.length; i += 1) wavs.push(write(i, undefined, undefined, gainDb ?? undefined).wav);
  all.free();
  return { type: 'done', wavs, frames: total / projects.length, renderMs, gainDb };
}

const jobs = { start: ({ threads }) => start(threads), analyze: ({ files }) => analyze(files), bounce };

self.onmessage = async ({ data }) => {
  try {
    const reply = await jobs[data.type](data);
    self.postMessage(reply, reply.wavs?.map((w) => w.buffer) ?? []);
  } catch (err) {
    self.postMessage({ type: 'error', code: err?.code ?? 'Internal', message: String(err?.message ?? err) });
  }
};
