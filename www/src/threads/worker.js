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

/** The decoded audio one group of bounces may hold at once: wasm memory stops at 1 GiB. */
const GROUP_BYTES = 256 << 20;

/**
 * The mix and its stems (`projects`, mix first), rendered side by side, each as a WAV file. A
 * long song renders in groups, as many at once as `groupBytes` holds (8 bytes a stereo frame).
 */
function bounce({ projects, samples = [], sampleRate, format, start = 0, end = -1, tail = 2, loudness = null, groupBytes = GROUP_BYTES }) {
  const dither = format !== 'float32';
  const wavs = [];
  let gainDb = null;
  let renderMs = 0;
  let framesEach = 0;
  let next = 0;
  let doneBefore = 0;
  while (next < projects.length) {
    const all = new Bounces();
    for (const sample of samples) all.addSample(sample.name, sample.sampleRate, sample.channels);
    // The first bounce of a group says how long each is; the group is as many as fit.
    all.push(new Bounce(projects[next], sampleRate, start, end, tail));
    framesEach = all.frames();
    const size = Math.max(1, Math.min(projects.length - next, Math.floor(groupBytes / (8 * Math.max(1, framesEach)))));
    for (let i = 1; i < size; i += 1) all.push(new Bounce(projects[next + i], sampleRate, start, end, tail));
    const total = framesEach * projects.length;
    const startedAt = performance.now();
    while (all.render(sampleRate * CHUNK_SECONDS)) self.postMessage({ type: 'progress', done: doneBefore + all.done(), total });
    renderMs += performance.now() - startedAt;
    for (let i = 0; i < size; i += 1) {
      const one = all.take(i);
      try {
        // The mix is normalised; the stems take its gain, so they still add up to it.
        const wav = next + i === 0
          ? one.wav(format, dither, loudness?.target ?? undefined, loudness?.ceiling ?? undefined, loudness?.gainDb ?? undefined)
          : one.wav(format, dither, undefined, undefined, gainDb ?? undefined);
        if (next + i === 0) gainDb = one.gainDb() ?? null;
        wavs.push(wav);
      } finally {
        one.free();
      }
    }
    all.free();
    doneBefore += framesEach * size;
    next += size;
  }
  return { type: 'done', wavs, frames: framesEach, renderMs, gainDb };
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
